"""Sphinx configuration of the course website (built by `python3 course.py site`, see tools/build_site.py).

Everything the pages need comes from installed Python packages: the theme's files are inside the
sphinx-book-theme wheel and MathJax inside sphinx-mathjax-offline, so the build and the built site
work without internet. Notebooks are rendered from their committed outputs; nothing is executed.
"""

project = "Machine learning and deep learning for medical image analysis"
author = "The mlcourse authors"
copyright = "the mlcourse authors, MIT licence"  # noqa: A001 - the name Sphinx reads

extensions = ["myst_nb", "sphinx-mathjax-offline"]  # the latter copies MathJax into _static/mathjax
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
root_doc = "index"
language = "en"

# Notebooks: committed outputs only, no execution, no widget JavaScript from a CDN.
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "html_image"]
myst_heading_anchors = 3  # GitHub-style anchors, so that links like errata.md#e9-... resolve
myst_dmath_double_inline = True
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "ML for medical image analysis"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_favicon = "_static/favicon.svg"
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,  # each chapter page has its own link to the original notebook
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
# The theme's colour mode; without a default its script logs an error on a first visit.
html_context = {"default_mode": "light"}
