"""environment.yml (conda) and pyproject.toml (pip) must list the same packages and bounds.

Two dependency lists drift apart silently unless something compares them; this test does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from the PyPI names used in pyproject.toml.
CONDA_TO_PYPI = {"pytorch": "torch", "py-opencv": "opencv-python"}


def load_toml(path: Path) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            from pip._vendor import tomli as tomllib  # pip has carried tomli since 21.2
    with open(path, "rb") as f:
        return tomllib.load(f)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def parse_requirement(spec: str) -> tuple[str, str | None, str]:
    """'scikit-learn >=1.3 ; python_version>"3"' -> ('scikit-learn', '1.3', '>=1.3').

    Works for PEP 508 strings and conda match specs; extras and markers are dropped.
    """
    spec = spec.split(";", 1)[0].split("#", 1)[0].strip()
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", spec)
    if not m:
        raise ValueError(f"cannot parse requirement {spec!r}")
    name, constraint = m.group(1), m.group(3).replace(" ", "")
    lower = re.search(r">=([^,|]+)", constraint)
    return normalise(name), (lower.group(1) if lower else None), constraint


def pyproject_requirements() -> dict[str, tuple[str | None, str]]:
    project = load_toml(ROOT / "pyproject.toml")["project"]
    specs = list(project.get("dependencies", []))
    specs += project.get("optional-dependencies", {}).get("test", [])
    out = {}
    for spec in specs:
        name, lower, constraint = parse_requirement(spec)
        out[name] = (lower, constraint)
    return out


def environment() -> dict:
    with open(ROOT / "environment.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def environment_requirements() -> dict[str, tuple[str | None, str]]:
    """Conda dependencies minus python and pip, plus pip dependencies minus `-e .`."""
    out = {}
    for dep in environment()["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep.get("pip", []):
                if spec.strip().startswith("-e"):
                    continue
                name, lower, constraint = parse_requirement(spec)
                out[name] = (lower, constraint)
        else:
            name, lower, constraint = parse_requirement(str(dep))
            name = CONDA_TO_PYPI.get(name, name)
            if name not in ("python", "pip"):
                out[name] = (lower, constraint)
    return out


def test_same_packages():
    py, env = pyproject_requirements(), environment_requirements()
    only_py, only_env = sorted(set(py) - set(env)), sorted(set(env) - set(py))
    assert not only_py and not only_env, (
        "pyproject.toml (dependencies + test extras) and environment.yml list different packages:\n"
        f"  only in pyproject.toml:  {', '.join(only_py) or '-'}\n"
        f"  only in environment.yml: {', '.join(only_env) or '-'}"
    )


def test_same_lower_bounds():
    py, env = pyproject_requirements(), environment_requirements()
    diffs = [
        f"  {name}: pyproject.toml >={py[name][0]}, environment.yml >={env[name][0]}"
        for name in sorted(set(py) & set(env))
        if py[name][0] != env[name][0]
    ]
    assert not diffs, "lower bounds differ between pyproject.toml and environment.yml:\n" + "\n".join(diffs)


def test_no_exact_pins():
    """Exact pins are what make old courses uninstallable on new Pythons and Colab images."""
    pinned = [f"  pyproject.toml: {n} {c}" for n, (_, c) in pyproject_requirements().items() if "==" in c]
    pinned += [f"  environment.yml: {n} {c}" for n, (_, c) in environment_requirements().items()
               if "==" in c or re.fullmatch(r"=?[0-9][^<>,]*", c or "-")]
    assert not pinned, "use lower bounds (>=), not exact pins:\n" + "\n".join(pinned)


def test_environment_basics():
    env = environment()
    assert env.get("channels") == ["conda-forge"], "environment.yml should use the conda-forge channel only"
    deps = env["dependencies"]
    conda = {parse_requirement(str(d))[0]: parse_requirement(str(d))[2] for d in deps if not isinstance(d, dict)}
    assert "pip" in conda, "environment.yml must list pip (it installs the pip section)"
    requires = load_toml(ROOT / "pyproject.toml")["project"]["requires-python"].replace(" ", "")
    assert conda.get("python") == requires, (
        f"environment.yml has python{conda.get('python')}, pyproject.toml requires-python is {requires}"
    )
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml should have exactly one pip section"
    assert pip_sections[0] and pip_sections[0][-1].strip() == "-e .", (
        "the last pip line of environment.yml must be `-e .` (installs the course package itself)"
    )


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("numpy>=1.24", ("numpy", "1.24", ">=1.24")),
        ("scikit_learn >= 1.3", ("scikit-learn", "1.3", ">=1.3")),
        ("mlcourse[test] >=0.1,<2 ; python_version >= '3.10'", ("mlcourse", "0.1", ">=0.1,<2")),
        ("PyYAML", ("pyyaml", None, "")),
        ("pydicom-data>=1.0   # comment", ("pydicom-data", "1.0", ">=1.0")),
    ],
)
def test_parse_requirement(spec, expected):
    assert parse_requirement(spec) == expected
