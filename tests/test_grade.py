"""Grading a folder of submissions (tools/grade.py) on synthetic chapter 04 notebooks.

One module-scoped run grades a small class: a right and a wrong submission, a blank student
edition, an infinite loop (interruptible, and one that ignores the interrupt), a syntax error, a
kernel crash, a notebook that never calls check(), one of another chapter, an unreadable file,
and one that deletes files. The tests then read grades.csv and grades.html.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(spec)
sys.modules["grade"] = grade  # dataclasses look their module up by name
spec.loader.exec_module(grade)

CELL_TIMEOUT_S = 4.0
IDS = ["04.1", "04.2", "04.3", "04.4"]
SETUP = "import numpy as np\n\nfrom mlcourse.exercises import check"
RIGHT = {
    "04.1": ("def logistic_gradient(w, b, X, y, lam):\n"
             "    y = np.asarray(y, dtype=float).ravel()\n"
             "    r = 1 / (1 + np.exp(-(X @ w + b))) - y\n"
             "    return X.T @ r / len(y) + lam * w, r.mean()\n\n\n"
             'check("04.1", logistic_gradient)'),
    "04.2": 'answer_04_2 = 2 / np.linalg.norm([3.0, 4.0])\ncheck("04.2", answer_04_2)',
    "04.3": ("def rbf_kernel(A, B, gamma):\n"
             "    d2 = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)\n"
             "    return np.exp(-gamma * d2)\n\n\n"
             'check("04.3", rbf_kernel)'),
    "04.4": ("def fit_logistic(X, y, lam, lr, epochs):\n"
             "    y = np.asarray(y, dtype=float).ravel()\n"
             "    w, b = np.zeros(X.shape[1]), 0.0\n"
             "    for _ in range(epochs):\n"
             "        r = 1 / (1 + np.exp(-(X @ w + b))) - y\n"
             "        w, b = w - lr * (X.T @ r / len(y) + lam * w), b - lr * r.mean()\n"
             "    return w, b\n\n\n"
             'check("04.4", fit_logistic)'),
}
WRONG_04_1 = RIGHT["04.1"].replace("X.T @ r / len(y)", "X.T @ r")  # "The data part of grad_w is n times too large"
WRONG_04_2 = 'answer_04_2 = 1 / np.linalg.norm([3.0, 4.0])\ncheck("04.2", answer_04_2)'  # one margin line only
WRONG_04_4 = RIGHT["04.4"].replace("b - lr * r.mean()", "b")  # "The bias never moves from 0."
BLANK = {
    "04.1": 'def logistic_gradient(w, b, X, y, lam):\n    # YOUR CODE HERE\n    raise NotImplementedError\n\n\n'
            'check("04.1", logistic_gradient)',
    "04.2": '# YOUR CODE HERE\nraise NotImplementedError\ncheck("04.2", answer_04_2)',
    "04.3": 'rbf_kernel = None\ncheck("04.3", rbf_kernel)',
    "04.4": 'def fit_logistic(X, y, lam, lr, epochs):\n    # YOUR CODE HERE\n    raise NotImplementedError\n\n\n'
            'check("04.4", fit_logistic)',
}


def notebook(title: str, *cells: str) -> nbformat.NotebookNode:
    """A notebook with a title cell and the given code cells."""
    nb = new_notebook(cells=[new_markdown_cell(title), *(new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def chapter04(**answers: str) -> nbformat.NotebookNode:
    """A chapter 04 submission: the setup cell, then one cell per exercise (right unless replaced)."""
    cells = {**RIGHT, **{k.replace("_", "."): v for k, v in answers.items()}}
    return notebook("# 04. Support vector machines", SETUP, *(cells[i] for i in IDS))


def write(folder: Path, name: str, nb: nbformat.NotebookNode) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def tree(folder: Path, skip: Path) -> dict[str, bytes]:
    """Every file under `folder` (except under `skip`) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and skip not in p.parents}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the synthetic class once; return (submissions by student, out folder, seconds, files before/after)."""
    base = tmp_path_factory.mktemp("class")
    sub = base / "submissions"
    victim = base / "victim.txt"
    victim.write_text("instructor's file")
    write(sub, "alice.ipynb", chapter04())
    write(sub, "bob.ipynb", chapter04(**{"04_1": WRONG_04_1, "04_2": WRONG_04_2, "04_4": WRONG_04_4}))
    write(sub, "carol.ipynb", chapter04(**{k.replace(".", "_"): v for k, v in BLANK.items()}))
    write(sub, "dan.ipynb", chapter04(**{
        "04_2": 'while True:\n    pass\ncheck("04.2", 0.4)',  # interrupted before check()
        "04_3": ("def rbf_kernel(A, B, gamma):\n    while True:\n        pass\n\n\n"
                 'check("04.3", rbf_kernel)')}))  # interrupted inside check()
    write(sub, "erin.ipynb", chapter04(**{
        "04_3": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
                 'check("04.3", None)')}))  # ignores the interrupt: the kernel is killed
    write(sub, "frank.ipynb", chapter04(**{"04_2": 'answer_04_2 = 2 / (3 +\ncheck("04.2", answer_04_2)'}))
    write(sub, "grace.ipynb", chapter04(**{"04_3": 'import os\nimport signal\nos.kill(os.getpid(), signal.SIGKILL)'}))
    write(sub, "heidi.ipynb", notebook("# 04. Support vector machines", SETUP, "w = np.array([3.0, 4.0])",
                                       "margin = 2 / np.linalg.norm(w)"))
    write(sub, "ivan/03_knn.ipynb", notebook("# 03. k-nearest neighbours", SETUP, 'check("03.2", 5)'))
    (sub / "judy.ipynb").write_text("{ this is not json", encoding="utf-8")
    write(sub, "mallory/work.ipynb", chapter04(**{
        "04_1": ("import os\nfrom pathlib import Path\n"
                 "os.remove('work.ipynb')\n"                          # its own copy: allowed, changes nothing
                 "Path('scratch.txt').write_text('x')\n"
                 "(Path.home() / 'home.txt').write_text('x')\n"
                 "os.remove('../../victim.txt')"),                    # the instructor's file, outside its folder
        "04_2": WRONG_04_2}))
    write(sub, "mallory/notes.txt", new_notebook())  # a second file of the student's folder
    write(sub, ".ipynb_checkpoints/alice-checkpoint.ipynb", chapter04())  # skipped
    out = base / "grades"
    before = tree(base, out)
    start = time.monotonic()
    subs, written = grade.grade_folder(sub, "4", cell_timeout=CELL_TIMEOUT_S, notebook_timeout=60,
                                       interrupt_grace=3, keep_executed=True, progress=None)
    seconds = time.monotonic() - start
    print(f"\ngraded {len(subs)} notebooks in {seconds:.1f} s")
    after = tree(base, out)
    return {s.student: s for s in subs}, written, before, after, victim


def statuses(sub) -> list[str]:
    return [sub.results[i].status for i in IDS]


def test_output_goes_next_to_the_submissions_by_default(graded):
    subs, out, *_ = graded
    assert out.name == "grades" and (out / "grades.csv").is_file() and (out / "grades.html").is_file()
    assert sorted(subs) == ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan/03_knn",
                            "judy", "mallory/work"]  # checkpoints skipped


def test_right_and_wrong_answers(graded):
    subs = graded[0]
    assert statuses(subs["alice"]) == ["correct"] * 4 and subs["alice"].correct == 4
    assert statuses(subs["bob"]) == ["wrong", "wrong", "correct", "wrong"]
    assert "n times too large" in subs["bob"].results["04.1"].detail
    assert "ONE of the margin lines" in subs["bob"].results["04.2"].detail
    assert not subs["bob"].results["04.2"].detail.startswith("Exercise")


def test_blank_student_edition_is_not_attempted(graded):
    carol = graded[0]["carol"]
    assert statuses(carol) == ["not attempted"] * 4
    assert carol.correct == 0


def test_infinite_loops_time_out_and_the_rest_still_runs(graded):
    subs = graded[0]
    assert statuses(subs["dan"]) == ["correct", "timed out", "timed out", "correct"]  # interrupted, then went on
    assert "inside check()" in subs["dan"].results["04.3"].detail
    erin = subs["erin"]
    assert statuses(erin) == ["correct", "correct", "timed out", "timed out"]  # kernel killed at 04.3
    assert any("did not stop when interrupted" in n for n in erin.notes)
    assert erin.seconds < 60


def test_syntax_error_and_kernel_crash_are_reported(graded):
    subs = graded[0]
    frank = subs["frank"]
    assert statuses(frank) == ["correct", "crashed", "correct", "correct"]
    assert "syntax error in cell 4" in frank.results["04.2"].detail
    assert any(n.startswith("04.2 crashed: syntax error") for n in grade.notes_of(frank))
    grace = subs["grace"]
    assert statuses(grace) == ["correct", "correct", "crashed", "crashed"]
    assert any("kernel died in cell 5" in n for n in grace.notes)


def test_no_check_other_chapter_and_unreadable_notebooks(graded):
    subs = graded[0]
    assert statuses(subs["heidi"]) == ["not attempted"] * 4 and "never called check()" in subs["heidi"].notes
    ivan = subs["ivan/03_knn"]
    assert statuses(ivan) == ["not attempted"] * 4 and ivan.seconds == 0  # not run
    assert "another chapter" in ivan.notes[0] and "03.2" in ivan.notes[0]
    judy = subs["judy"]
    assert statuses(judy) == ["not attempted"] * 4 and "could not read" in judy.notes[0]


def test_nothing_is_written_or_deleted_outside_the_output_folder(graded):
    subs, out, before, after, victim = graded
    assert victim.read_text() == "instructor's file"
    assert after == before  # submissions untouched (mallory's own notebook too), no scratch or home files
    mallory = subs["mallory/work"]
    assert statuses(mallory) == ["not attempted", "wrong", "correct", "correct"]
    assert any(n.startswith("cell 3 raised FileNotFoundError") and "victim.txt" in n for n in mallory.notes)
    assert {p.name for p in out.iterdir()} == {"grades.csv", "grades.html", "executed"}


def test_grades_csv(graded):
    out = graded[1]
    with (out / "grades.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["student", *IDS, "total correct", "notes"]
    by_name = {r["student"]: r for r in rows}
    assert by_name["alice"]["total correct"] == "4" and by_name["alice"]["notes"] == ""
    assert by_name["bob"]["04.1"] == "wrong" and "04.1 wrong: For a random problem" in by_name["bob"]["notes"]
    assert {r["04.3"] for r in rows} <= set(grade.STATUSES)


def test_grades_html_has_labels_totals_and_common_wrong_answers(graded):
    page = (graded[1] / "grades.html").read_text(encoding="utf-8")
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    assert body.count("<tr>") == 11
    for label in ("\u2713 correct", "\u2717 wrong", "\u2013 not attempted", "! crashed", "\u25d4 timed out"):
        assert label in page  # readable without colour
    footer = page[page.index("<tfoot>"):page.index("</tfoot>")]
    assert [f"{k} of 11 correct" for k in (5, 3, 4, 4)] == [c.split(">")[-1] for c in footer.split("</td>")[:4]]
    assert "<strong>2 students</strong>: That is the distance from the hyperplane to ONE of the margin lines" in page
    assert ("<strong>1 student</strong>: For a random problem with lam = 0.1: "
            "The data part of grad_w is n times too large") in page


def test_executed_copies_are_kept_without_the_grader_cell(graded):
    out = graded[1]
    nb = json.loads((out / "executed" / "alice.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert not any("_mlcourse_grade_hook" in s for s in sources)
    outputs = json.dumps(nb["cells"][-1]["outputs"])
    assert "Exercise 04.4" in outputs and "correct" in outputs
    assert (out / "executed" / "mallory" / "work.ipynb").is_file()


def test_bad_arguments_are_refused_before_any_run(tmp_path, capsys):
    sub = tmp_path / "subs"
    sub.mkdir()
    assert grade.main([str(tmp_path / "missing"), "--chapter", "04"]) == 2
    assert "SUBMISSIONS" in capsys.readouterr().err
    assert grade.main([str(sub), "--chapter", "04"]) == 2
    assert "no .ipynb files" in capsys.readouterr().err
    write(sub, "a.ipynb", chapter04())
    assert grade.main([str(sub), "--chapter", "99"]) == 2
    assert "--chapter" in capsys.readouterr().err
    assert grade.main([str(sub), "--chapter", "04", "--out", str(sub / "grades")]) == 2
    assert "inside the submissions folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        grade.main([str(sub), "--chapter", "04", "--timeout-cell", "0"])
    assert "positive number of seconds" in capsys.readouterr().err
    assert not (tmp_path / "grades").exists() and not (sub / "grades").exists()


def test_other_chapter_detection():
    nb = notebook("# 03. k-nearest neighbours", SETUP, 'check("03.1", f)')
    assert "chapter 03" in grade.other_chapter(nb, Path("x.ipynb"), "04")
    assert grade.other_chapter(chapter04(), Path("03_knn.ipynb"), "04") is None  # its checks are chapter 04's
    assert "file name" in grade.other_chapter(notebook("Untitled", "x = 1"), Path("03_knn.ipynb"), "04")
    assert grade.other_chapter(notebook("Untitled", "x = 1"), Path("alice.ipynb"), "04") is None


def test_csv_cells_never_become_formulas():
    assert grade._csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and grade._csv_safe("alice") == "alice"


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_notebook_limit_kills_a_slow_notebook(tmp_path):
    sub = tmp_path / "subs"
    write(sub, "slow.ipynb", chapter04(**{"04_2": "import time\n\ntime.sleep(1)\n" + RIGHT["04.2"],
                                           "04_3": "time.sleep(60)"}))
    subs, _ = grade.grade_folder(sub, "04", tmp_path / "out", cell_timeout=30, notebook_timeout=5,
                                 interrupt_grace=2, progress=None)
    slow = subs[0]
    assert statuses(slow) == ["correct", "correct", "timed out", "timed out"]
    assert any("its limit of 5 s" in n for n in slow.notes) and slow.seconds < 30
