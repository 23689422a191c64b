"""Tests for mlcourse.benchmarks: the packaged MedMNIST v2 table and the results records."""

import json

import pytest

from mlcourse import benchmarks, paths


def record(**changes):
    """A valid results record, with some keys changed."""
    rec = {
        "chapter": "11",
        "dataset": "pneumoniamnist",
        "model": "small CNN",
        "split": "test",
        "acc": 0.871,
        "auc": 0.953,
        "f1": 0.9,
        "seconds": 123.4,
        "seeds": [0, 1, 2],
        "settings": {"epochs": 10, "batch_size": 128},
    }
    rec.update(changes)
    return rec


@pytest.fixture
def results_env(tmp_path, monkeypatch):
    """Point results at a temporary folder, full mode."""
    folder = tmp_path / "results"
    monkeypatch.setenv("MLCOURSE_RESULTS_DIR", str(folder))
    monkeypatch.delenv("MLCOURSE_FAST", raising=False)
    return folder


# ----------------------------------------------------------------------------- benchmark table


def test_csv_rows_and_known_numbers():
    rows = benchmarks.medmnist_v2()
    assert len(rows) == 132
    assert set(rows[0]) >= {"dataset", "dim", "method", "acc", "auc", "split", "source"}
    pneu = [r for r in rows if r["dataset"] == "PneumoniaMNIST" and r["method"] == "ResNet-18 (28)"]
    assert [(r["acc"], r["auc"]) for r in pneu] == [(0.854, 0.944)]
    breast = [r for r in rows if r["dataset"] == "BreastMNIST" and r["method"] == "auto-sklearn"]
    assert [(r["acc"], r["auc"]) for r in breast] == [(0.803, 0.836)]
    assert all(isinstance(r["acc"], float) and isinstance(r["auc"], float) for r in rows)


def test_flag_and_display_name_agree():
    by_flag = benchmarks.medmnist_v2("pneumoniamnist")
    assert by_flag == benchmarks.medmnist_v2("PneumoniaMNIST") == benchmarks.medmnist_v2("PNEUMONIAMNIST")
    assert len(by_flag) == 7
    assert {r["dataset"] for r in by_flag} == {"PneumoniaMNIST"}


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match="BreastMNIST"):
        benchmarks.medmnist_v2("pneumonia")


def test_rows_are_copies():
    benchmarks.medmnist_v2("breastmnist")[0]["acc"] = -1.0
    assert benchmarks.medmnist_v2("breastmnist")[0]["acc"] > 0


def test_compare_table():
    text = benchmarks.compare("pneumoniamnist", acc=0.87, auc=0.95, model="small CNN")
    lines = text.splitlines()
    assert lines[3].startswith("small CNN")  # title, header, rule, then our row first
    resnet = next(line for line in lines if line.startswith("ResNet-18 (28)"))
    assert resnet.split()[-3:] == ["0.854", "0.944", "+0.006"]
    automl = next(line for line in lines if line.startswith("Google AutoML Vision"))
    assert automl.split()[-3:] == ["0.946", "0.991", "-0.041"]
    assert "0.855" in text and "0.942" in text and "+0.008" in text  # auto-sklearn
    assert lines[-1] == "Source: MedMNIST v2, Yang et al., Scientific Data 2023; test split"


def test_compare_other_baselines_and_errors():
    out = benchmarks.compare("BreastMNIST", 0.8, 0.836, baselines=["auto-sklearn"])
    assert "+0.000" in out and "0.803" in out
    text = benchmarks.compare("nodulemnist3d", 0.85, 0.9)
    assert "Not reported for NoduleMNIST3D" in text
    with pytest.raises(ValueError, match="unknown baseline"):
        benchmarks.compare("breastmnist", 0.8, 0.8, baselines=["ResNet18"])
    with pytest.raises(ValueError, match="auc"):
        benchmarks.compare("breastmnist", 0.8, 80.0)


# ----------------------------------------------------------------------------- results records


def test_results_dir_env(results_env):
    assert paths.results_dir() == results_env


def test_results_dir_default(monkeypatch):
    monkeypatch.delenv("MLCOURSE_RESULTS_DIR", raising=False)
    assert paths.results_dir().name == "results"


def test_fast_mode_writes_nothing(results_env, monkeypatch, capsys):
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    assert benchmarks.record_results("11_cnn", [record()]) is None
    assert "not recorded" in capsys.readouterr().out
    assert not results_env.exists()
    assert benchmarks.record_results("11_cnn", [record()], fast=False) is not None


def test_full_mode_round_trip_and_replace(results_env):
    recs = [record(), record(dataset="breastmnist", acc=0.8, auc=0.85, seeds=[0])]
    path = benchmarks.record_results("11_cnn", recs)
    assert path == results_env / "11_cnn.json"
    assert benchmarks.load_results() == recs
    text = path.read_text()
    assert json.loads(text) == recs
    assert text.index('"acc"') < text.index('"auc"') < text.index('"chapter"')  # sorted keys
    assert [p.name for p in results_env.iterdir()] == ["11_cnn.json"]  # no temp file left
    benchmarks.record_results("11_cnn", [record(model="bigger CNN")])
    assert [r["model"] for r in benchmarks.load_results()] == ["bigger CNN"]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"acc": 1.5}, "acc"),
        ({"auc": "0.9"}, "auc"),
        ({"split": "val"}, "split"),
        ({"dataset": "PneumoniaMNIST"}, "dataset"),
        ({"seeds": 0}, "seeds"),
        ({"seeds": [0.5]}, "seeds"),
        ({"settings": None}, "settings"),
        ({"chapter": "07"}, "chapter"),
        ({"seconds": -1}, "seconds"),
    ],
)
def test_invalid_records_refused(results_env, changes, key):
    with pytest.raises(ValueError, match=f"record 0.*'{key}'"):
        benchmarks.record_results("11_cnn", [record(**changes)])
    assert not results_env.exists()


def test_missing_key_and_bad_name(results_env):
    rec = record()
    del rec["seconds"]
    with pytest.raises(ValueError, match="seconds"):
        benchmarks.record_results("11_cnn", [rec])
    with pytest.raises(ValueError, match="07_unsupervised"):
        benchmarks.record_results("11-CNN", [record()])
    with pytest.raises(ValueError, match="list"):
        benchmarks.record_results("11_cnn", record())


def test_malformed_file_named(results_env):
    results_env.mkdir()
    (results_env / "05_broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="05_broken.json"):
        benchmarks.load_results()


def test_results_table(results_env):
    assert "No results recorded yet" in benchmarks.results_table()
    benchmarks.record_results("11_cnn", [record()])
    benchmarks.record_results("07_unsupervised", [record(chapter="07", model="k-means", acc=0.7, auc=0.75)])
    table = benchmarks.results_table()
    lines = table.splitlines()
    ours = [line for line in lines if "pneumoniamnist" in line and not line.startswith("ref")]
    assert [line.split()[0] for line in ours] == ["07", "11"]
    assert "0.871" in ours[1] and "0.953" in ours[1] and "123.4" in ours[1]
    refs = [line for line in lines if line.startswith("ref")]
    assert len(refs) == 3
    assert "ResNet-18 (28)" in refs[0] and "0.854" in refs[0] and "0.944" in refs[0]
    assert "auto-sklearn" in table and "Google AutoML Vision" in table
    assert benchmarks.results_table(results_env) == table


def test_cli_prints_table(results_env, tmp_path, capsys):
    benchmarks.record_results("11_cnn", [record()])
    capsys.readouterr()
    assert benchmarks.main([]) == 0
    out = capsys.readouterr().out
    assert "small CNN" in out and "ResNet-18 (28)" in out
    assert benchmarks.main(["--dir", str(tmp_path / "empty")]) == 0
    assert "No results recorded yet" in capsys.readouterr().out
    assert benchmarks.main(["--dataset", "breastmnist"]) == 0
    out = capsys.readouterr().out
    assert "AutoKeras" in out and "0.803" in out
    assert benchmarks.main(["--dataset", "nope"]) == 1
    assert "Valid names" in capsys.readouterr().err


# ----------------------------------------------------------------------------- text that reaches the terminal


@pytest.mark.parametrize("name", ["٠٧_x", "0٧_x", "１１_cnn", "11_cnn\n"])
def test_results_name_needs_ascii_digits(results_env, name):
    with pytest.raises(ValueError, match="two digits 0-9"):
        benchmarks.record_results(name, [record()])


def test_chapter_needs_ascii_digits(results_env):
    with pytest.raises(ValueError, match="'chapter'"):
        benchmarks.record_results("11_cnn", [record(chapter="١١")])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "CNN\x1b[2J"}, "non-printable"),
        ({"model": "CNN\nref  pneumoniamnist  fake"}, "non-printable"),
        ({"model": "CNN\u202e"}, "non-printable"),  # a right-to-left override
        ({"model": "x" * 121}, "121 characters; at most 120"),
        ({"model": "x" * 10_000}, "10000 characters; at most 120"),
        ({"settings": {"optimizer": "adam\x07"}}, "non-printable"),
        ({"settings": {"note": "y" * 201}}, "201 characters; at most 200"),
        ({"settings": {"bad\tkey": 1}}, "non-printable"),
        ({"settings": {"augment": ["flip", "rot\r"]}}, "non-printable"),
        ({"comment": "\x1b]0;title\x07"}, "non-printable"),
    ],
)
def test_record_text_must_be_printable_and_short(results_env, changes, message):
    with pytest.raises(ValueError, match=message):
        benchmarks.record_results("11_cnn", [record(**changes)])
    assert not results_env.exists()


def test_limits_allow_ordinary_text(results_env):
    path = benchmarks.record_results(
        "11_cnn", [record(model="m" * 120, settings={"note": "é " * 100, "augment": ["flip"]})]
    )
    assert path is not None and json.loads(path.read_text())[0]["model"] == "m" * 120


def test_cli_escapes_hand_edited_files(results_env, capsys):
    results_env.mkdir()
    evil = [record(model="CNN\x1b[31m red")]
    (results_env / "11_cnn.json").write_text(json.dumps(evil), encoding="utf-8")
    assert benchmarks.main([]) == 1
    captured = capsys.readouterr()
    assert "\x1b" not in captured.err and "\x1b" not in captured.out
    assert "11_cnn.json" in captured.err and "non-printable" in captured.err
    (results_env / "11_cnn.json").write_text(json.dumps([record(model="z" * 5000)]), encoding="utf-8")
    assert benchmarks.main([]) == 1
    assert len(capsys.readouterr().err) < 1000  # a huge name is not echoed in full


def test_cli_escapes_odd_file_names(results_env, capsys):
    results_env.mkdir()
    (results_env / "\x1b[2J.json").write_text("[]", encoding="utf-8")
    assert benchmarks.main([]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b" in err


def test_terminal_safe_keeps_lines_and_escapes_the_rest():
    assert benchmarks._terminal_safe("a\x1b[0m\nb\tc") == "a\\x1b[0m\nb\\tc"


# ----------------------------------------------------------------------------- protocols beside every row


def _proto(**changes):
    kwargs = {"epochs": 20, "augmentation": "rotation, shift", "pretraining": "none", "seeds": [0, 1, 2],
              "aggregate": "median (min-max)", "official": False}
    kwargs.update(changes)
    return benchmarks.protocol(**kwargs)


def test_protocol_names_every_field_and_the_data_file():
    p = _proto()
    assert p == {"epochs": "20", "augmentation": "rotation, shift", "pretraining": "none", "seeds": "3 (0, 1, 2)",
                 "aggregate": "median (min-max)", "data_file": "re-assembled"}
    assert _proto(official=True, augmentation=False)["data_file"] == "official"
    assert _proto(augmentation=False)["augmentation"] == "none"
    assert benchmarks.format_protocol(p) == ("20 epochs | aug: rotation, shift | pretraining: none | "
                                             "seeds: 3 (0, 1, 2), median (min-max) | re-assembled file")
    assert benchmarks.format_protocol(None) == "protocol not recorded"


@pytest.mark.parametrize("changes, word", [({"epochs": -1}, "epochs"), ({"epochs": True}, "epochs"),
                                           ({"augmentation": ""}, "augmentation"),
                                           ({"pretraining": None}, "pretraining"),
                                           ({"seeds": []}, "seeds"), ({"seeds": "012"}, "seeds"),
                                           ({"aggregate": 3}, "aggregate"), ({"official": "yes"}, "official")])
def test_protocol_refuses_bad_fields_by_name(changes, word):
    with pytest.raises(ValueError, match=word):
        _proto(**changes)


def test_compare_prints_a_protocol_under_every_row_and_a_verdict_against_our_ci():
    text = benchmarks.compare("pneumoniamnist", 0.9, 0.95, "CNN", protocol=_proto(), auc_ci=(0.93, 0.97))
    lines = text.splitlines()
    for name in ("CNN", "ResNet-18 (28)", "auto-sklearn", "Google AutoML Vision"):
        i = next(k for k, line in enumerate(lines) if line.startswith(name))
        assert lines[i + 1].startswith("    ") and "epochs" in lines[i + 1] and "file" in lines[i + 1]
    assert "re-assembled file" in text and "not disclosed" in text and "trained from scratch" in text
    by_name = {line.split("  ")[0]: line for line in lines}
    assert by_name["ResNet-18 (28)"].rstrip().endswith("level")          # 0.944 inside [0.93, 0.97]
    assert by_name["Google AutoML Vision"].rstrip().endswith("ours below")  # 0.991 above it
    high = benchmarks.compare("pneumoniamnist", 0.9, 0.97, auc_ci=(0.95, 0.99))
    assert "ours above" in high and "beats" not in high
    with pytest.raises(ValueError, match="auc_ci"):
        benchmarks.compare("pneumoniamnist", 0.9, 0.95, auc_ci=(0.97, 0.93))


def test_records_keep_their_protocol_and_the_table_prints_it(results_env):
    benchmarks.record_results("11_cnn", [record(protocol=_proto())])
    benchmarks.record_results("07_unsupervised", [record(chapter="07", model="k-means", acc=0.7, auc=0.75)])
    table = benchmarks.results_table()
    assert "re-assembled file" in table and "protocol not recorded" in table and "trained from scratch" in table
    bad = dict(_proto(), data_file="mine")
    with pytest.raises(ValueError, match="protocol"):
        benchmarks.record_results("11_cnn", [record(protocol=bad)])


# ----------------------------------------------------------------------------- segmentation records


def seg_record(**changes):
    """A valid segmentation record, with some keys changed."""
    rec = {"chapter": "16", "dataset": "mni152", "model": "U-Net (2-D)", "split": "test", "task": "segmentation",
           "dice": {"GM": 0.93, "WM": 0.95, "CSF (derived)": 0.86}, "hd95_mm": {"GM": 2.0, "WM": 2.0,
                                                                                "CSF (derived)": 4.0},
           "seconds": 45.0, "seeds": [42, 43, 44], "settings": {"epochs": 30}}
    rec.update(changes)
    return rec


def test_segmentation_record_round_trip_and_table(results_env):
    benchmarks.record_results("16_segmentation", [seg_record()])
    benchmarks.record_results("11_cnn", [record()])
    assert benchmarks.load_results()[1]["dice"]["GM"] == 0.93   # files in name order: 11_, then 16_
    table = benchmarks.results_table()
    assert "Segmentation results" in table
    row = [line for line in table.splitlines() if line.startswith("16")][0]
    assert "mni152" in row and "0.913" in row and "CSF (derived) 0.860" in row
    assert "0.871" in table                        # the classification table is still there


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"task": "tracking"}, "'task' must be one of"),
        ({"dataset": "brainweb"}, "data source of the course"),
        ({"dice": {}}, "non-empty dict"),
        ({"dice": [0.9]}, "non-empty dict"),
        ({"dice": {"GM": 1.2}}, "between 0 and 1"),
        ({"dice": {"GM": float("nan")}}, "cannot be written as JSON"),
        ({"hd95_mm": {"GM": -1.0}}, ">= 0"),
        ({"iou": {"GM": True}}, "finite number"),
    ],
)
def test_invalid_segmentation_records_refused(results_env, changes, match):
    with pytest.raises(ValueError, match=match):
        benchmarks.record_results("16_segmentation", [seg_record(**changes)])
    assert not results_env.exists()


def test_segmentation_record_needs_dice_not_acc(results_env):
    rec = seg_record()
    del rec["dice"]
    with pytest.raises(ValueError, match=r"missing key\(s\) \['dice'\]"):
        benchmarks.record_results("16_segmentation", [rec])
    sources = benchmarks.course_sources()
    assert sources == sorted(sources) and "mni152" in sources


# ----------------------------------------------------------------------------- detection records


def det_record(**changes):
    """A valid detection record, with some keys changed."""
    rec = {"chapter": "17", "dataset": "pneumoniamnist", "model": "heat-map detector", "split": "test",
           "task": "detection", "ap50": {"all": 0.9, "small, faint": 0.7}, "map_50_95": {"all": 0.55},
           "seconds": 80.0, "seeds": [42, 43, 44], "settings": {"lesions": "synthetic"}}
    rec.update(changes)
    return rec


def test_detection_record_round_trip_and_table(results_env):
    benchmarks.record_results("17_detection", [det_record(), det_record(model="LoG", map_50_95={"all": 0.1234})]
                              )
    benchmarks.record_results("16_segmentation", [seg_record()])
    assert benchmarks.load_results()[1]["ap50"]["small, faint"] == 0.7
    table = benchmarks.results_table()
    assert "Segmentation results" in table and "Detection results" in table
    rows = [line for line in table.splitlines() if line.startswith("17")]
    assert len(rows) == 2 and "0.123" in rows[0] and "0.550" in rows[1]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"ap50": {"small": 0.5}}, "'all' entry"),
        ({"ap50": {"all": 1.5}}, "between 0 and 1"),
        ({"map_50_95": {}}, "non-empty dict"),
        ({"dataset": "luna16"}, "data source of the course"),
    ],
)
def test_invalid_detection_records_refused(results_env, changes, match):
    with pytest.raises(ValueError, match=match):
        benchmarks.record_results("17_detection", [det_record(**changes)])
    assert not results_env.exists()


def test_detection_record_needs_ap50(results_env):
    rec = det_record()
    del rec["ap50"]
    with pytest.raises(ValueError, match=r"missing key\(s\) \['ap50'\]"):
        benchmarks.record_results("17_detection", [rec])
