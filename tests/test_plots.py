"""Tests for mlcourse.plots (headless, Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import confusion_matrix as sk_confusion_matrix  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from mlcourse import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test made."""
    yield
    plt.close("all")


def image_axes(fig: Figure) -> list:
    """Visible axes holding an image."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.images]


# ----------------------------------------------------------------------------- montage


def test_montage_grey_uint8_with_dict_names():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    labels = np.array([[0], [1]] * 5)
    fig = plots.montage(images, labels, {"0": "normal", "1": "pneumonia"}, n=32, ncols=5, title="x")
    assert isinstance(fig, Figure)
    axes = image_axes(fig)
    assert len(axes) == 10
    texts = [t.get_text() for ax in axes for t in ax.texts]
    assert sorted(texts) == ["normal"] * 5 + ["pneumonia"] * 5
    assert all(not ax.axison for ax in axes)
    assert fig._suptitle.get_text() == "x"


def test_montage_samples_n_and_is_reproducible():
    images = np.random.default_rng(0).random((50, 8, 8, 3))
    labels = np.arange(50) % 3
    a = plots.montage(images, labels, ["a", "b", "c"], n=12, ncols=4, seed=3)
    b = plots.montage(images, labels, ["a", "b", "c"], n=12, ncols=4, seed=3)
    assert len(image_axes(a)) == 12
    first = [ax.images[0].get_array() for ax in image_axes(a)]
    second = [ax.images[0].get_array() for ax in image_axes(b)]
    assert all(np.array_equal(x, y) for x, y in zip(first, second))


def test_montage_channel_axis_float_and_no_labels():
    fig = plots.montage(np.random.default_rng(0).random((3, 16, 16, 1)), ncols=8)
    axes = image_axes(fig)
    assert len(axes) == 3
    assert axes[0].images[0].get_array().shape == (16, 16)
    assert not any(ax.texts for ax in axes)


def test_montage_volume_shows_middle_slice():
    vol = np.zeros((2, 5, 6, 6), dtype=np.float32)
    vol[:, 2] = 1.0  # only the middle slice is bright
    fig = plots.montage(vol)
    shown = image_axes(fig)[0].images[0].get_array()
    assert shown.shape == (6, 6)
    assert np.all(np.asarray(shown) == 1.0)


def test_montage_multilabel_text():
    images = np.zeros((2, 4, 4))
    labels = np.array([[1, 0, 1], [0, 0, 0]])
    fig = plots.montage(images, labels, ["a", "b", "c"])
    texts = [ax.texts[0].get_text() for ax in image_axes(fig)]
    assert texts == ["a, c", "none"]


@pytest.mark.parametrize("shape", [(28, 28), (4, 28, 28, 2, 2, 2), (4,)])
def test_montage_bad_shape(shape):
    with pytest.raises(ValueError, match="shape"):
        plots.montage(np.zeros(shape))


def test_montage_bad_labels_length():
    with pytest.raises(ValueError, match="one label"):
        plots.montage(np.zeros((4, 8, 8)), labels=np.zeros(3))


# ----------------------------------------------------------------------------- training curves


class FakeHistory:
    """Duck-typed stand-in for keras.callbacks.History."""

    def __init__(self, history):
        self.history = history


HISTORY = {
    "loss": [0.9, 0.6, 0.4],
    "val_loss": [1.0, 0.7, 0.6],
    "auc": [0.7, 0.8, 0.9],
    "val_auc": [0.65, 0.75, 0.8],
}


@pytest.mark.parametrize("history", [HISTORY, FakeHistory(HISTORY)])
def test_training_curves_panels(history):
    fig = plots.training_curves(history)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    for ax, name in zip(fig.axes, ["loss", "auc"]):
        assert ax.get_xlabel() == "epoch"
        assert ax.get_ylabel() == name
        assert len(ax.get_lines()) == 2
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
        assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]


def test_training_curves_metric_selection_and_errors():
    fig = plots.training_curves(HISTORY, metrics=["auc"])
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="available"):
        plots.training_curves(HISTORY, metrics=["accuracy"])
    with pytest.raises(ValueError, match="history"):
        plots.training_curves([0.1, 0.2])
    with pytest.raises(ValueError, match="empty"):
        plots.training_curves({})


# ----------------------------------------------------------------------------- confusion matrix


def cell_values(fig: Figure) -> list[str]:
    """Annotation texts in the matrix axes, row by row."""
    return [t.get_text() for t in fig.axes[0].texts]


def test_confusion_matrix_counts_match_sklearn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 60)
    y_pred = rng.integers(0, 3, 60)
    fig = plots.confusion_matrix(y_true.reshape(-1, 1), y_pred, label_names={"0": "a", "1": "b", "2": "c"})
    assert isinstance(fig, Figure)
    expected = sk_confusion_matrix(y_true, y_pred, labels=[0, 1, 2])
    assert [int(v) for v in cell_values(fig)] == expected.ravel().tolist()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted"
    assert ax.get_ylabel() == "true"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]


def test_confusion_matrix_normalised_rows():
    y_true = [0, 0, 0, 1, 1]
    y_pred = [0, 1, 1, 1, 1]
    fig = plots.confusion_matrix(y_true, y_pred, normalize="true")
    assert cell_values(fig) == ["0.33", "0.67", "0.00", "1.00"]


def test_confusion_matrix_bad_input():
    with pytest.raises(ValueError, match="must match"):
        plots.confusion_matrix([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="argmax"):
        plots.confusion_matrix([0, 1], np.array([[0.2, 0.8], [0.9, 0.1]]))
    with pytest.raises(ValueError, match="normalize"):
        plots.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="label_names"):
        plots.confusion_matrix([0, 2], [0, 1], label_names=["a", "b"])


# ----------------------------------------------------------------------------- ROC


def roc_data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    score = np.clip(0.3 * y + rng.normal(0.35, 0.2, 200), 0, 1)
    return y, score


def test_roc_curve_legend_auc_and_labels():
    y, score = roc_data()
    fig = plots.roc_curve(y, score, label="CNN", operating_point=0.5)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    expected = f"{roc_auc_score(y, score):.3f}"
    assert f"CNN (AUC = {expected})" in legend
    assert "chance" in legend
    assert any(text.startswith("threshold 0.5") for text in legend)
    assert ax.get_xlabel() == "1 − specificity (false-positive rate)"
    assert ax.get_ylabel() == "sensitivity (true-positive rate)"


def test_roc_curve_shared_axes():
    y, score = roc_data()
    fig, ax = plt.subplots()
    out1 = plots.roc_curve(y, score, label="A", ax=ax)
    out2 = plots.roc_curve(y, np.column_stack([1 - score, score]), label="B", ax=ax)
    assert out1 is fig and out2 is fig
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("chance") == 1
    assert len([t for t in legend if "AUC" in t]) == 2


def test_roc_curve_bad_input():
    y, score = roc_data()
    with pytest.raises(ValueError, match="shape"):
        plots.roc_curve(y, np.zeros((len(y), 3)))
    with pytest.raises(ValueError, match="binary"):
        plots.roc_curve(np.zeros(10), np.linspace(0, 1, 10))
    with pytest.raises(ValueError, match="must match"):
        plots.roc_curve(y[:-1], score)
    with pytest.raises(ValueError, match="threshold"):
        plots.roc_curve(y, score, operating_point="high")


# ----------------------------------------------------------------------------- decision_regions


def test_decision_regions_colours_the_plane_by_prediction():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(4, 1, (30, 2))])
    y = np.array([0] * 30 + [1] * 30)
    model = KNeighborsClassifier(3).fit(X, y)
    fig = plots.decision_regions(model, X, y, feature_names=("radius (px)", "texture"),
                                 label_names={"0": "benign", "1": "malignant"}, resolution=50)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "radius (px)" and ax.get_ylabel() == "texture"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["benign", "malignant"]
    assert len(ax.collections) >= 3  # the filled regions plus one scatter per class
    plt.close(fig)


def test_decision_regions_rejects_more_than_two_features():
    from sklearn.dummy import DummyClassifier

    X = np.zeros((4, 3))
    model = DummyClassifier().fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="exactly two features"):
        plots.decision_regions(model, X, [0, 1, 0, 1])


# ----------------------------------------------------------------------------- bad input is refused before drawing


@pytest.mark.parametrize("point", [float("nan"), float("inf"), 1.5, -0.2, "0.5", True])
def test_roc_curve_refuses_bad_operating_points(point):
    y, score = roc_data()
    with pytest.raises(ValueError, match="operating_point"):
        plots.roc_curve(y, score, operating_point=point)


def test_roc_curve_operating_point_on_logits_may_lie_outside_0_1():
    y, score = roc_data()
    logits = np.log(np.clip(score, 1e-3, 1 - 1e-3) / (1 - np.clip(score, 1e-3, 1 - 1e-3)))
    fig = plots.roc_curve(y, logits, operating_point=-0.5)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(text.startswith("threshold -0.5") for text in legend)
    plt.close(fig)


def test_roc_curve_refuses_non_real_scores_and_labels():
    y, score = roc_data()
    with pytest.raises(TypeError, match="y_score.*complex"):
        plots.roc_curve(y, score + 0j)
    with pytest.raises(TypeError, match="y_score"):
        plots.roc_curve(y, "abc")
    with pytest.raises(ValueError, match="y_score.*NaN"):
        plots.roc_curve(y, np.where(np.arange(len(score)) == 3, np.nan, score))
    with pytest.raises(TypeError, match="y_true"):
        plots.roc_curve("ab", [0.1, 0.9])
    with pytest.raises(TypeError, match="label must be a string"):
        plots.roc_curve(y, score, label=3)


def test_montage_refuses_strings_nan_and_bad_options():
    with pytest.raises(TypeError, match="images must be an array of images, got the string"):
        plots.montage("x")
    with pytest.raises(ValueError, match="images contains 32 NaN"):
        plots.montage(np.full((2, 4, 4), np.nan))
    with pytest.raises((TypeError, ValueError), match="images"):
        plots.montage(np.zeros((2, 4, 4)) + 0j)
    with pytest.raises(ValueError, match="n must be a positive"):
        plots.montage(np.zeros((2, 4, 4)), n=True)
    with pytest.raises(TypeError, match="labels must be an array"):
        plots.montage(np.zeros((2, 4, 4)), labels="ab")
    with pytest.raises(ValueError, match="labels contains 1 NaN"):
        plots.montage(np.zeros((2, 4, 4)), labels=[0, np.nan])
    with pytest.raises(ValueError, match="whole class numbers"):
        plots.montage(np.zeros((2, 4, 4)), labels=[0.2, 0.9])
    with pytest.raises(TypeError, match="title"):
        plots.montage(np.zeros((2, 4, 4)), title=5)


def test_montage_shows_bool_masks_black_and_white():
    masks = np.zeros((2, 4, 4), dtype=bool)
    masks[:, 1:3, 1:3] = True
    fig = plots.montage(masks)
    shown = fig.axes[0].images[0]
    assert shown.get_array().max() == 1.0 and shown.norm.vmax == 1.0
    plt.close(fig)


def test_confusion_matrix_and_curves_refuse_non_labels():
    with pytest.raises(TypeError, match="y_true must be an array of class labels"):
        plots.confusion_matrix("ab", "ab")
    with pytest.raises(ValueError, match="y_true.*class indices"):
        plots.confusion_matrix([0.5, 1], [0, 1])
    with pytest.raises(TypeError, match="y_pred"):
        plots.confusion_matrix([0, 1], ["a", "b"])
    with pytest.raises(ValueError, match=r"history\['loss'\].*one per epoch"):
        plots.training_curves({"loss": ["a", "b"]})
    with pytest.raises(TypeError, match="metrics must be"):
        plots.training_curves(HISTORY, metrics=[1])


def test_training_curves_draw_a_diverged_loss():
    fig = plots.training_curves({"loss": [0.9, float("nan"), float("nan")]})
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 3
    plt.close(fig)


def test_decision_regions_refuses_bad_numbers():
    from sklearn.dummy import DummyClassifier

    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    model = DummyClassifier().fit(X, [0, 1, 0, 1])
    X_nan = X.copy()
    X_nan[2, 0] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        plots.decision_regions(model, X_nan, [0, 1, 0, 1])
    with pytest.raises(TypeError, match="resolution"):
        plots.decision_regions(model, X, [0, 1, 0, 1], resolution=50.5)
    with pytest.raises(ValueError, match="resolution"):
        plots.decision_regions(model, X, [0, 1, 0, 1], resolution=1)
    with pytest.raises(ValueError, match="feature_names"):
        plots.decision_regions(model, X, [0, 1, 0, 1], feature_names="ab")


# ----------------------------------------------------------------------------- course style


@pytest.fixture
def restore_rcparams():
    """Give back matplotlib's settings after a test that changes them."""
    with matplotlib.rc_context():
        yield


def dash_pattern(linestyle) -> tuple:
    """A line style as (offset, dashes), with the named styles spelled out as matplotlib draws them."""
    named = {"-": None, "solid": None, "--": "lines.dashed_pattern", "dashed": "lines.dashed_pattern",
             "-.": "lines.dashdot_pattern", "dashdot": "lines.dashdot_pattern",
             ":": "lines.dotted_pattern", "dotted": "lines.dotted_pattern"}
    if isinstance(linestyle, str):
        key = named[linestyle]
        return (0, None) if key is None else (0, tuple(float(v) for v in matplotlib.rcParams[key]))
    offset, dashes = linestyle
    return (offset, tuple(float(v) for v in dashes))


def test_palette_is_the_okabe_ito_set():
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert isinstance(plots.OKABE_ITO, tuple)
    assert len(plots.OKABE_ITO) == 8 and {c.upper() for c in plots.OKABE_ITO} == okabe_ito
    assert sorted(plots.COURSE_COLOURS) == sorted(plots.OKABE_ITO)


def test_course_style_cycles_colour_and_dash_together(restore_rcparams):
    assert plots.use_course_style() is None
    cycle = list(matplotlib.rcParams["axes.prop_cycle"])
    first = cycle[:8]
    assert len(first) == 8
    colours = [matplotlib.colors.to_hex(entry["color"]) for entry in first]
    dashes = [dash_pattern(entry["linestyle"]) for entry in first]
    for i in range(8):
        for j in range(i + 1, 8):
            assert colours[i] != colours[j], (i, j)
            assert dashes[i] != dashes[j], (i, j)
    assert {c.upper() for c in colours} == {c.upper() for c in plots.OKABE_ITO}


def test_course_style_lines_drawn_by_plot_differ_in_dash(restore_rcparams):
    plots.use_course_style()
    fig, ax = plt.subplots()
    lines = [ax.plot([0, 1], [0, k])[0] for k in range(8)]
    patterns = {line._unscaled_dash_pattern for line in lines}
    assert len(patterns) == 8
    assert len({line.get_color() for line in lines}) == 8


def test_course_style_is_idempotent_and_sets_readable_defaults(restore_rcparams):
    plots.use_course_style()
    once = dict(matplotlib.rcParams)
    plots.use_course_style()
    assert dict(matplotlib.rcParams) == once
    rc = matplotlib.rcParams
    assert 100 <= rc["figure.dpi"] <= 110 and 100 <= rc["savefig.dpi"] <= 110
    assert rc["font.size"] >= 10 and rc["legend.fontsize"] >= 8
    assert rc["image.cmap"] == "viridis"
    assert rc["grid.alpha"] < 1.0


def test_setup_applies_the_course_style(restore_rcparams, monkeypatch):
    import mlcourse

    monkeypatch.setenv("MLCOURSE_FAST", "1")
    matplotlib.rcdefaults()
    assert "linestyle" not in matplotlib.rcParams["axes.prop_cycle"].keys
    mlcourse.setup(seed=0, verbose=False)
    assert "linestyle" in matplotlib.rcParams["axes.prop_cycle"].keys
    first = next(iter(matplotlib.rcParams["axes.prop_cycle"]))
    assert matplotlib.colors.to_hex(first["color"]).upper() == plots.COURSE_COLOURS[0].upper()
    assert matplotlib.rcParams["savefig.dpi"] == plots._COURSE_RC["savefig.dpi"]


def test_roc_curves_on_shared_axes_differ_in_dash_without_the_style():
    y, score = roc_data()
    fig, ax = plt.subplots()
    plots.roc_curve(y, score, label="A", ax=ax)
    plots.roc_curve(y, np.clip(score + 0.1, 0, 1), label="B", ax=ax)
    curves = [line for line in ax.get_lines() if "AUC" in line.get_label()]
    assert len(curves) == 2
    assert curves[0].get_linestyle() != curves[1].get_linestyle()
    assert curves[0].get_color() != curves[1].get_color()
    chance = [line for line in ax.get_lines() if line.get_label() == "chance"][0]
    assert {chance._unscaled_dash_pattern} & {c._unscaled_dash_pattern for c in curves} == set()


def test_training_curves_tell_training_from_validation_without_colour():
    fig = plots.training_curves(HISTORY)
    train, val = fig.axes[0].get_lines()[:2]
    assert train.get_label() == "training" and val.get_label() == "validation"
    assert train.get_linestyle() != val.get_linestyle()
    assert train.get_marker() != val.get_marker()


def test_decision_regions_give_each_class_its_own_marker():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (20, 2)), rng.normal(4, 1, (20, 2)), rng.normal((0, 4), 1, (20, 2))])
    y = np.repeat([0, 1, 2], 20)
    fig = plots.decision_regions(KNeighborsClassifier(3).fit(X, y), X, y, resolution=20)
    scatters = [c for c in fig.axes[0].collections if c.get_label() in {"0", "1", "2"}]
    assert len(scatters) == 3
    paths = [tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in scatters]
    assert len(set(paths)) == 3


def test_confusion_matrix_has_no_grid_even_when_grids_are_on(restore_rcparams):
    matplotlib.rcParams["axes.grid"] = True
    fig = plots.confusion_matrix([0, 1, 1], [0, 1, 0])
    ax = fig.axes[0]
    assert not any(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())
