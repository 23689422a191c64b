"""The course website in a real browser: build it once, serve it on 127.0.0.1 and open every page in Chromium.

For every page (each chapter, the index, the results page, sources and errata): no console errors or
failed requests, every image decoded and described (alt text), formulas typeset by the local MathJax
(no raw `$$` left), every internal link and #anchor resolves, and axe-core finds no critical
accessibility violation. Uses Debian's `chromium` through Playwright (never a downloaded browser).
Without Chromium or the site tools the test is skipped, except under CI=true, where it must run.
"""

from __future__ import annotations

import functools
import html.parser
import os
import shutil
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["index.html", "results.html", "docs/sources.html", "docs/errata.html"] + [
    f"notebooks/{stem}.html" for stem in CHAPTERS]
PAGE_TIMEOUT_MS = 60_000


def unavailable(reason: str) -> None:
    """Skip outside CI; fail in CI, which must run the browser test."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run in CI; .ci/run installs it)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """The system Chromium: $MLCOURSE_CHROMIUM, else chromium / chromium-browser on PATH."""
    if os.environ.get("MLCOURSE_CHROMIUM"):
        return os.environ["MLCOURSE_CHROMIUM"]
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def axe_script() -> str:
    """axe-core's axe.min.js, as shipped inside the axe-playwright-python wheel."""
    try:
        import axe_playwright_python
    except ImportError:
        unavailable("axe-playwright-python (which ships axe-core) is not installed; pip install -e \".[test]\"")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the built site without logging every request."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the signature of the base class
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The site, built once into a temporary folder and served on a free port of 127.0.0.1."""
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("sphinx") if not IN_CI else None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the playwright package is not installed; pip install -e \".[test]\"")
    out = tmp_path_factory.mktemp("site") / "html"
    info = build_site.build(out)
    assert info["chapters"] == len(CHAPTERS)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": f"http://127.0.0.1:{httpd.server_address[1]}/", "out": out, "chromium": executable,
               "pages": info["pages"]}
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server):
    """One headless system Chromium for all pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=server["chromium"], headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class IdCollector(html.parser.HTMLParser):
    """The id attributes of an HTML page (the targets of #anchors)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.ids.update(value for key, value in attrs if key == "id" and value)


@functools.lru_cache(maxsize=None)
def fetch(url: str) -> tuple[int, frozenset]:
    """HTTP status of `url` and, for HTML, the ids on it (each URL is fetched once per session)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
            status = response.status
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, frozenset()
    ids: set[str] = set()
    if "html" in kind:
        collector = IdCollector()
        collector.feed(body.decode("utf-8", "replace"))
        ids = collector.ids
    return status, frozenset(ids)


def test_the_site_has_a_page_for_every_chapter(server):
    assert set(PAGES) <= set(server["pages"])
    for stem in CHAPTERS:  # the download link of each chapter points at the original notebook
        assert (server["out"] / "notebooks" / f"{stem}.ipynb").read_bytes() == \
            (ROOT / "notebooks" / f"{stem}.ipynb").read_bytes()


# Visible text without code and outputs: raw TeX there would mean MathJax did not typeset it.
VISIBLE_PROSE = """() => {
  const clone = document.querySelector('main').cloneNode(true);
  clone.querySelectorAll('pre, code, mjx-container, script, style').forEach(e => e.remove());
  return clone.innerText;
}"""


# axe-core without its slowest rules, none of which can report a critical violation (colour contrast,
# target size and links told apart by colour are "serious" at most, landmarks "moderate"); together they
# take three quarters of the scan time on a chapter page. preload: false stops axe re-fetching the
# theme's stylesheets (it resolves their @import against the page and asks for a file that is not there).
AXE_RUN = """async () => await axe.run(document, {
  resultTypes: ['violations'], preload: false,
  rules: {'color-contrast': {enabled: false}, 'target-size': {enabled: false},
          'link-in-text-block': {enabled: false}, 'region': {enabled: false}}})"""


@pytest.mark.parametrize("page_path", PAGES)
def test_page_in_chromium(server, browser, page_path):
    base = server["base"]
    url = urllib.parse.urljoin(base, page_path)
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} ({req.failure})"))
    page.on("response", lambda resp: problems.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
        assert response is not None and response.status == 200, f"{page_path} did not load"

        # Formulas: every math node typeset by the local MathJax, no raw TeX left in the prose.
        math_nodes = page.locator(".math").count()
        if math_nodes:
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=PAGE_TIMEOUT_MS)
            page.evaluate("() => MathJax.startup.promise")
            typeset = page.locator("mjx-container").count()
            assert typeset >= math_nodes, f"{page_path}: {typeset} of {math_nodes} formulas typeset"
        prose = page.evaluate(VISIBLE_PROSE)
        assert "$$" not in prose, f"{page_path}: raw $$ in the text"
        assert "\\(" not in prose and "\\[" not in prose, f"{page_path}: raw TeX delimiters in the text"

        # Images: present, decoded and described.
        images = page.evaluate("""() => Array.from(document.images).map(img => ({
            src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0,
            alt: (img.getAttribute('alt') || '').trim()}))""")
        assert [im["src"] for im in images if not im["ok"]] == [], f"{page_path}: images that did not load"
        assert [im["src"] for im in images if not im["alt"]] == [], f"{page_path}: images without alt text"
        if page_path.startswith("notebooks/"):
            assert any(im["src"].endswith("colab-badge.svg") for im in images), f"{page_path}: no Colab badge"
            assert page.locator(f"a[download][href='{Path(page_path).stem}.ipynb']").count() == 1
            assert page.locator(".cell_output").count() > 0, f"{page_path}: no committed outputs shown"

        # Internal links and their #anchors.
        hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        broken = []
        for href in sorted(set(hrefs)):
            if not href.startswith(base):
                continue
            target, _, anchor = href.partition("#")
            status, ids = fetch(target)
            if status != 200:
                broken.append(f"{href} (HTTP {status})")
            elif anchor and target.endswith(".html") and urllib.parse.unquote(anchor) not in ids:
                broken.append(f"{href} (no element with id {anchor!r})")
        assert broken == [], f"{page_path}: broken internal links"

        # Accessibility: axe-core, no critical violation.
        page.add_script_tag(content=axe_script())
        result = page.evaluate(AXE_RUN)
        critical = [f"{v['id']}: {v['help']} ({len(v['nodes'])} element(s), e.g. {v['nodes'][0]['html'][:120]})"
                    for v in result["violations"] if v.get("impact") == "critical"]
        assert critical == [], f"{page_path}: critical accessibility violations"
        assert problems == [], f"{page_path}: errors while loading"
    finally:
        page.close()
