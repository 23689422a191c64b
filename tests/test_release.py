"""A release students can pin: one version, a changelog, a citation file, a tagging tool, a stated
Python range, issue templates and pre-commit hooks."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import release  # noqa: E402
import sync_links  # noqa: E402

VERSION = sync_links.project_version(ROOT)
URL = sync_links.repo_url(ROOT)


def load_toml(path: Path) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # Python 3.10
        from pip._vendor import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def citation() -> dict:
    with open(ROOT / "CITATION.cff", encoding="utf-8") as f:
        return yaml.safe_load(f)


def changelog() -> str:
    return (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# --------------------------------------------------------------------------- one version
def test_every_place_that_names_the_version_agrees():
    import mlcourse

    places = {
        "pyproject.toml [project] version": load_toml(ROOT / "pyproject.toml")["project"]["version"],
        "mlcourse.__version__": mlcourse.__version__,
        "CITATION.cff version": str(citation()["version"]),
        "CHANGELOG.md newest entry": release.changelog_releases(changelog())[0][0],
    }
    assert len(set(places.values())) == 1, f"the version differs between places: {places}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION), "use MAJOR.MINOR.PATCH"


def test_the_version_is_written_in_pyproject_only():
    init = (ROOT / "mlcourse" / "__init__.py").read_text(encoding="utf-8")
    assert not re.search(r"""__version__\s*=\s*["']""", init), "mlcourse/__init__.py must read the version"
    assert VERSION not in init


def test_version_reader_falls_back_to_the_installed_metadata(tmp_path: Path):
    """A copy of the package outside a checkout (as pip installs it) reads the version from its metadata."""
    shutil.copytree(ROOT / "mlcourse", tmp_path / "mlcourse", ignore=shutil.ignore_patterns("__pycache__"))
    code = "import importlib.metadata as m, mlcourse; print(mlcourse.__version__); print(m.version('mlcourse'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "", "PYTHONPATH": str(tmp_path)}, check=True).stdout.split()
    assert out[0] == out[1], "without pyproject.toml beside it, __version__ is the installed distribution's"


def test_the_release_metadata_of_this_repository_is_consistent():
    assert release.metadata_problems(ROOT) == []


# --------------------------------------------------------------------------- CHANGELOG.md
def test_changelog_follows_keep_a_changelog():
    text = changelog()
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]" in text
    releases = release.changelog_releases(text)
    versions = [v for v, _ in releases]
    assert versions[:2] == [VERSION, "0.1.0"] and versions[-1] == "0.1.0"
    assert versions == sorted(versions, key=version_key, reverse=True), "newest first"
    dates = [datetime.date.fromisoformat(d) for _, d in releases]
    assert dates == sorted(dates, reverse=True)
    for version in versions:
        body = release.changelog_section(text, version)
        assert re.search(r"^### (Added|Changed|Deprecated|Removed|Fixed|Security)$", body, re.MULTILINE), version
        assert re.search(r"^- \S", body, re.MULTILINE), f"the {version} entry lists no change"
        assert re.search(rf"^\[{re.escape(version)}\]: {re.escape(URL)}/", text, re.MULTILINE), (
            f"no link reference for {version}")


def test_changelog_section_stops_at_the_next_entry():
    text = "# Changelog\n\n## [2.0.0] - 2030-01-02\n\n- two\n\n## [1.0.0] - 2030-01-01\n\n- one\n\n[1.0.0]: https://x/\n"
    assert release.changelog_releases(text) == [("2.0.0", "2030-01-02"), ("1.0.0", "2030-01-01")]
    assert release.changelog_section(text, "2.0.0") == "- two"
    assert release.changelog_section(text, "1.0.0") == "- one"
    assert release.changelog_section(text, "3.0.0") == ""


# --------------------------------------------------------------------------- CITATION.cff
def test_citation_file_is_valid_cff():
    cff = citation()
    for key in ("cff-version", "message", "title", "authors", "version", "date-released", "license",
                "repository-code", "references"):
        assert key in cff, f"CITATION.cff has no {key!r}"
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "software"
    assert cff["authors"] == [{"name": "The mlcourse authors"}]
    assert cff["license"] == load_toml(ROOT / "pyproject.toml")["project"]["license"]["text"] == "MIT"
    assert cff["repository-code"] == URL
    assert cff["title"] in load_toml(ROOT / "pyproject.toml")["project"]["description"]
    date = cff["date-released"]
    date = date if isinstance(date, datetime.date) else datetime.date.fromisoformat(date)
    assert date.isoformat() == release.changelog_releases(changelog())[0][1], "date-released = the changelog's date"
    assert release.citation_fields((ROOT / "CITATION.cff").read_text(encoding="utf-8"))["version"] == cff["version"]


def test_citation_file_asks_for_the_medmnist_citation():
    info = json.loads((ROOT / "mlcourse" / "medmnist_info.json").read_text(encoding="utf-8"))["citation"]
    (ref,) = [r for r in citation()["references"] if "MedMNIST" in r["title"]]
    assert ref["type"] == "article"
    assert ref["title"] in info
    assert ref["doi"] == "10.1038/s41597-022-01721-8"
    assert (ref["journal"], ref["volume"], ref["start"], ref["year"]) == ("Scientific Data", 10, 41, 2023)
    assert f"{ref['journal']} {ref['volume']}, {ref['start']} ({ref['year']})" in info
    # Same authors in the same order as the registry's citation ("Yang J., Shi R., ...").
    cited = re.findall(r"([A-Z][a-z]+) ([A-Z])\.", info.split(". MedMNIST")[0] + ".")
    assert [(a["family-names"], a["given-names"][0]) for a in ref["authors"]] == cited
    assert len(cited) == 8


def test_citation_fields_reads_top_level_scalars_only():
    text = 'cff-version: 1.2.0\nversion: "1.2.3"\nreferences:\n  - version: 9\ndate-released: 2030-01-01\n'
    assert release.citation_fields(text) == {"cff-version": "1.2.0", "version": "1.2.3", "date-released": "2030-01-01"}


# --------------------------------------------------------------------------- disagreements are caught
@pytest.fixture
def release_files(tmp_path: Path) -> Path:
    """The files the release checks read, copied, with one chapter notebook and the chapter template."""
    for name in ("pyproject.toml", "CHANGELOG.md", "CITATION.cff", str(sync_links.TEMPLATE)):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# 00. Welcome\n\n{sync_links.badge_markdown(URL, '00_welcome.ipynb')}"),
                nbformat.v4.new_code_cell(sync_links.install_cell_source(URL, f"v{VERSION}")),
                nbformat.v4.new_code_cell("x = 1")]
    (tmp_path / "notebooks").mkdir()
    sync_links.write_notebook(nb, tmp_path / "notebooks" / "00_welcome.ipynb")
    template = sync_links.read_notebook(tmp_path / sync_links.TEMPLATE)
    sync_links.fix_notebook(template, sync_links.TEMPLATE_NAME, URL, f"v{VERSION}")
    sync_links.write_notebook(template, tmp_path / sync_links.TEMPLATE)
    assert release.metadata_problems(tmp_path) == [] and release.install_cell_problems(tmp_path) == []
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_citation_version_that_differs_is_reported(release_files: Path):
    edit(release_files / "CITATION.cff", f'version: "{VERSION}"', 'version: "9.9.9"')
    (problem,) = release.metadata_problems(release_files)
    assert problem.startswith("CITATION.cff: version is '9.9.9'") and VERSION in problem


def test_a_citation_date_that_differs_is_reported(release_files: Path):
    edit(release_files / "CITATION.cff", "date-released:", "date-released: \"1999-01-01\"\nold-date:")
    (problem,) = release.metadata_problems(release_files)
    assert "date-released is '1999-01-01'" in problem


def test_a_new_version_without_a_changelog_entry_is_reported(release_files: Path):
    edit(release_files / "pyproject.toml", f'version = "{VERSION}"', 'version = "9.9.9"')
    problems = release.metadata_problems(release_files)
    assert any(p.startswith("CHANGELOG.md: the newest entry is") and "9.9.9" in p for p in problems), problems
    assert any(p.startswith("CITATION.cff: version") for p in problems)
    assert len(release.install_cell_problems(release_files)) == 2, "both install cells still name the old tag"


def test_an_empty_changelog_entry_is_reported(release_files: Path):
    path = release_files / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"## [{VERSION}]")
    end = text.index("\n## [", start + 1)
    heading = text[start:end].splitlines()[0]
    path.write_text(text[:start] + heading + "\n" + text[end:], encoding="utf-8")
    assert any("is empty" in p for p in release.metadata_problems(release_files))


def test_missing_files_are_reported(release_files: Path):
    (release_files / "CHANGELOG.md").unlink()
    (release_files / "CITATION.cff").unlink()
    problems = release.metadata_problems(release_files)
    assert [p.split(":")[0] for p in problems] == ["CHANGELOG.md", "CITATION.cff"]


# --------------------------------------------------------------------------- tools/release.py on a scratch repository
@pytest.fixture
def repo(release_files: Path, tmp_path_factory, monkeypatch) -> Path:
    """`release_files` as a fresh git repository with one commit, isolated from the user's git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var, value in (("GIT_AUTHOR_NAME", "Course Test"), ("GIT_COMMITTER_NAME", "Course Test"),
                       ("GIT_AUTHOR_EMAIL", "test@example.invalid"), ("GIT_COMMITTER_EMAIL", "test@example.invalid")):
        monkeypatch.setenv(var, value)
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release"]):
        subprocess.run(["git", "-C", str(release_files), *args], check=True, capture_output=True)
    return release_files


def tags(root: Path) -> list[str]:
    return release.git(root, "tag", "--list").stdout.split()


def test_dry_run_checks_and_creates_nothing(repo: Path, capsys):
    assert release.main(["--dry-run", "--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert f"ready: version {VERSION}, tag v{VERSION}" in out and f"would run: git tag -a v{VERSION}" in out
    assert tags(repo) == []


def test_release_creates_an_annotated_tag_with_the_changelog(repo: Path, capsys):
    assert release.main(["--root", str(repo)]) == 0
    assert f"git push origin v{VERSION}" in capsys.readouterr().out
    assert tags(repo) == [f"v{VERSION}"]
    assert release.git(repo, "cat-file", "-t", f"v{VERSION}").stdout.strip() == "tag", "annotated, not lightweight"
    message = release.git(repo, "tag", "-l", "--format=%(contents)", f"v{VERSION}").stdout
    assert message.startswith(f"mlcourse {VERSION}\n")
    assert release.changelog_section(changelog(), VERSION).splitlines()[-1] in message
    # A second run refuses: the tag exists.
    assert release.main(["--root", str(repo)]) == 1
    assert f"the tag v{VERSION} exists already" in capsys.readouterr().err


def test_a_dirty_tree_is_refused(repo: Path, capsys):
    (repo / "notes.txt").write_text("not committed\n", encoding="utf-8")
    edit(repo / "CHANGELOG.md", "# Changelog", "# Changelog (edited)")
    assert release.main(["--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "the working tree is not clean" in err and "notes.txt" in err and "CHANGELOG.md" in err
    assert tags(repo) == []


def test_an_install_cell_at_another_tag_is_refused(repo: Path, capsys):
    path = repo / "notebooks" / "00_welcome.ipynb"
    edit(path, f"@v{VERSION}", "@main")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "install main"], check=True, capture_output=True)
    assert release.main(["--dry-run", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert f"notebooks/00_welcome.ipynb: the install cell does not install v{VERSION}" in err
    assert "1 problem(s); no tag created" in err


def test_a_fork_tags_its_own_release_tag(repo: Path, capsys):
    edit(repo / "pyproject.toml", '# release-tag = "v0.2.0"', 'release-tag = "fork-2"')
    assert sync_links.release_tag(repo) == "fork-2"
    assert len(release.install_cell_problems(repo)) == 2
    for path, name in sync_links.linked_files(repo):
        nb = sync_links.read_notebook(path)
        assert sync_links.fix_notebook(nb, name, URL, "fork-2")
        sync_links.write_notebook(nb, path)
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "fork tag"], check=True, capture_output=True)
    assert release.main(["--root", str(repo)]) == 0
    assert tags(repo) == ["fork-2"]


def test_outside_a_git_repository_nothing_is_tagged(release_files: Path, capsys, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(release_files.parent))
    assert release.main(["--root", str(release_files)]) == 1
    assert "is not a git repository" in capsys.readouterr().err


# --------------------------------------------------------------------------- Python range
def test_python_range_has_an_upper_bound_that_includes_this_interpreter():
    spec = load_toml(ROOT / "pyproject.toml")["project"]["requires-python"].replace(" ", "")
    m = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", spec)
    assert m, f"requires-python {spec!r} must read '>=3.X,<3.Y' (TensorFlow has no wheel for the newest Python)"
    low, high = int(m.group(1)), int(m.group(2))
    assert low == 10 and high > low
    assert low <= sys.version_info[1] < high, f"this interpreter {sys.version.split()[0]} is outside {spec}"


# --------------------------------------------------------------------------- issue templates and pre-commit
def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name} must start with YAML front matter"
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


@pytest.mark.parametrize("name, fields", [
    ("erratum.md", ("Chapter:", "Cell:", "What it says:", "What is right:", "Source:")),
    ("bug.md", ("What you ran:", "What happened:", "Environment:", "mlcourse.setup()")),
])
def test_issue_templates(name: str, fields: tuple[str, ...]):
    meta, body = front_matter(ROOT / ".github" / "ISSUE_TEMPLATE" / name)
    assert {"name", "about", "title", "labels"} <= set(meta) and all(meta[k] for k in ("name", "about"))
    for field in fields:
        assert field in body, f"{name} does not ask for {field!r}"


def test_pre_commit_runs_ruff_and_the_notebook_contract():
    with open(ROOT / ".pre-commit-config.yaml", encoding="utf-8") as f:
        config = yaml.safe_load(f)
    repos = {r["repo"]: r for r in config["repos"]}
    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    assert [h["id"] for h in ruff["hooks"]] == ["ruff-check"]
    assert "jupyter" in ruff["hooks"][0]["types_or"], "the notebooks are linted too"
    rev = re.fullmatch(r"v(\d+\.\d+\.\d+)", ruff["rev"])
    assert rev, ruff["rev"]
    test_extras = load_toml(ROOT / "pyproject.toml")["project"]["optional-dependencies"]["test"]
    (lower,) = [re.search(r">=([\d.]+)", s).group(1) for s in test_extras if re.match(r"ruff\b", s)]
    assert version_key(rev.group(1)) >= version_key(lower), "the hook's ruff is older than the test extras allow"
    (hook,) = repos["local"]["hooks"]
    assert hook["language"] == "system" and hook["pass_filenames"] is False
    assert hook["entry"].startswith("python -m pytest tests/test_notebooks.py tests/test_links.py")
    assert re.search(hook["files"], "notebooks/03_knn.ipynb") and re.search(hook["files"], "pyproject.toml")
    assert not re.search(hook["files"], "mlcourse/metrics.py")
