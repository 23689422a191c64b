"""Figures used throughout the course: image montages, training curves, confusion matrices, ROC.

Every function returns a matplotlib ``Figure`` (made with ``plt.subplots`` so that it shows up
in a notebook) and never calls ``plt.show()``. Save one with ``fig.savefig("name.png")``.

Inputs are checked before anything is drawn: images, labels and scores must be real numbers
without NaN or infinity (strings and complex numbers are refused, naming the argument); class
labels must be whole numbers 0, 1, 2, ... (`mlcourse.arrays.class_labels`), binary scores go
through `mlcourse.arrays.score_column`. Training histories may contain NaN (a diverged loss is
drawn as a gap).

The course plot style: `use_course_style()` (called by `mlcourse.setup()`) sets matplotlib's
defaults for every figure of the course: the colour-blind-safe Okabe–Ito palette, a colour cycle
in which each series also gets its own line style (so curves stay apart in greyscale print and
for readers who cannot tell the colours apart), readable font sizes, a light grid where a plot
asks for one, and a resolution suited to the course website. The functions below pick their
colours and dashes from the same palette, so they look the same whether or not the style is on.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn import metrics as skm

from mlcourse.arrays import check_positive_int, class_labels, finite_number, real_array, score_column

__all__ = [
    "OKABE_ITO", "COURSE_COLOURS", "COURSE_LINESTYLES", "COURSE_MARKERS", "use_course_style",
    "montage", "training_curves", "confusion_matrix", "roc_curve", "decision_regions",
]

LabelNames = Mapping[str, str] | Sequence[str] | None


# ----------------------------------------------------------------------------- course style

#: The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), in its published order:
#: black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple.
OKABE_ITO: tuple[str, ...] = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
)

#: The order in which series take the palette's colours: strong colours first, black (kept for
#: reference lines) and yellow (faint on white) last.
COURSE_COLOURS: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
)

#: One dash pattern per series, cycled together with COURSE_COLOURS: solid, dashed, dash-dot,
#: dotted, long dashes, dash-dot-dot, long-short dashes, sparse dashes.
COURSE_LINESTYLES: tuple[str | tuple[int, tuple[float, ...]], ...] = (
    "-", "--", "-.", ":",
    (0, (9.0, 3.0)),
    (0, (5.0, 1.5, 1.0, 1.5, 1.0, 1.5)),
    (0, (10.0, 2.0, 3.0, 2.0)),
    (0, (2.0, 4.0)),
)

#: One marker per series, for curves with few points (training curves, reliability diagrams)
#: and for scatter plots of classes.
COURSE_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

_COURSE_RC: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=list(COURSE_COLOURS)) + cycler(linestyle=list(COURSE_LINESTYLES)),
    "image.cmap": "viridis",  # heatmaps; medical images are drawn with cmap="gray" explicitly
    "font.size": 11.0,
    "axes.titlesize": 12.0,
    "axes.labelsize": 11.0,
    "xtick.labelsize": 10.0,
    "ytick.labelsize": 10.0,
    "legend.fontsize": 9.0,
    "figure.titlesize": 13.0,
    "lines.linewidth": 1.8,
    "lines.markersize": 5.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # a light grid wherever a plot turns one on (ax.grid(True)); off by default, so that grid
    # lines are never drawn across an image shown with imshow
    "axes.grid": False,
    "axes.axisbelow": True,
    "grid.color": "#b0b0b0",
    "grid.linestyle": "-",
    "grid.linewidth": 0.6,
    "grid.alpha": 0.5,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "figure.dpi": 100.0,
    "savefig.dpi": 110.0,
    "savefig.bbox": "tight",
}


def use_course_style() -> None:
    """Set matplotlib's defaults to the course style (Okabe–Ito colours, one dash per series); safe to call again."""
    matplotlib.rcParams.update(_COURSE_RC)


def _light_grid(ax: Axes) -> None:
    """Turn on the course's light grid on one Axes (the same grid whether or not the style is on)."""
    ax.grid(True, color=_COURSE_RC["grid.color"], linewidth=_COURSE_RC["grid.linewidth"],
            alpha=_COURSE_RC["grid.alpha"])
    ax.set_axisbelow(True)


def _series(k: int) -> dict[str, Any]:
    """Colour and line style of the k-th series (0, 1, 2, ...), the same as the course cycle's k-th entry."""
    i = k % len(COURSE_COLOURS)
    return {"color": COURSE_COLOURS[i], "linestyle": COURSE_LINESTYLES[i]}


# ----------------------------------------------------------------------------- helpers


def _name_list(label_names: LabelNames) -> list[str] | None:
    """Turn MedMNIST-style {"0": "normal", ...} or a list of names into a list indexed by class."""
    if label_names is None:
        return None
    if isinstance(label_names, Mapping):
        try:
            pairs = sorted((int(k), str(v)) for k, v in label_names.items())
        except (TypeError, ValueError):
            raise ValueError(
                "label_names keys must be class numbers such as '0', '1' (as in MedMNIST's "
                f"INFO[flag]['label']); got keys {list(label_names)[:5]}."
            ) from None
        names: list[str] = []
        for k, v in pairs:
            if k != len(names):
                raise ValueError(
                    f"label_names is missing class {len(names)}; give one name per class 0..K-1."
                )
            names.append(v)
        return names
    if isinstance(label_names, str) or not isinstance(label_names, Sequence):
        raise ValueError(
            "label_names must be a dict like {'0': 'normal', '1': 'pneumonia'} or a list of "
            f"names; got {type(label_names).__name__}."
        )
    return [str(v) for v in label_names]


def _label_text(label: np.ndarray, names: list[str] | None) -> str:
    """Text for one image's label: a class name, or the names of all positive labels."""
    label = np.asarray(label).ravel()
    if label.size == 1:
        k = int(label[0])
        if names is not None and 0 <= k < len(names):
            return names[k]
        return str(k)
    positives = np.flatnonzero(label)  # multi-label (e.g. ChestMNIST): list every positive
    if positives.size == 0:
        return "none"
    if names is None:
        return ", ".join(str(int(k)) for k in positives)
    return ", ".join(names[k] if k < len(names) else str(int(k)) for k in positives)


def _as_2d_images(images: Any) -> tuple[np.ndarray, bool]:
    """Bring images to (N,H,W) grey or (N,H,W,3) RGB; return them and whether they are RGB."""
    if isinstance(images, (str, bytes)):
        raise TypeError(f"images must be an array of images, got the string {images!r:.40}.")
    arr = np.asarray(images)
    if arr.size == 0:
        raise ValueError(f"images is empty (shape {arr.shape}); pass at least one image.")
    if arr.dtype == bool:
        arr = arr.astype(np.float64)  # masks: False black, True white
    if arr.dtype != np.uint8:
        arr = real_array(arr, "images")
    if arr.ndim == 5 and arr.shape[-1] == 1:  # (N,D,H,W,1) volumes with a channel axis
        arr = arr[..., 0]
    if arr.ndim == 3:
        return arr, False
    if arr.ndim == 4 and arr.shape[-1] == 1:
        return arr[..., 0], False
    if arr.ndim == 4 and arr.shape[-1] == 3:
        return arr, True
    if arr.ndim == 4:  # (N,D,H,W) volumes: show the middle slice along D
        return arr[:, arr.shape[1] // 2], False
    raise ValueError(
        f"images has shape {arr.shape}; expected (N,H,W) grey, (N,H,W,1), (N,H,W,3) RGB or "
        "(N,D,H,W) volumes. For a single image add a batch axis: images[None]."
    )


def _rgb_for_display(img: np.ndarray) -> np.ndarray:
    """Make an RGB image displayable: uint8 as is, floats rescaled into [0, 1] when outside it."""
    if img.dtype == np.uint8:
        return img
    img = img.astype(float)
    lo, hi = float(np.nanmin(img)), float(np.nanmax(img))
    if lo < 0.0 or hi > 1.0:
        img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img


def _optional_text(value: Any, name: str) -> None:
    """Refuse anything but None or a string for a title or label argument."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a string or None, got {type(value).__name__} {value!r:.40}.")


def _as_class_vector(y: Any, name: str) -> np.ndarray:
    """Flatten (N,) or (N,1) class labels; refuse probabilities or multi-label arrays."""
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be an array of class labels 0, 1, 2, ..., got the string {y!r:.40}.")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} has shape {arr.shape}; expected one class index per sample, shape (N,) or "
            "(N,1). For predicted probabilities use y_prob.argmax(axis=1)."
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one sample.")
    return class_labels(arr, name=name)


def _history_dict(history: Any) -> dict[str, list[float]]:
    """Get the {metric: [values per epoch]} dict out of a Keras History or a plain dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise ValueError(
            "history must be the object returned by model.fit(...) (it has a .history dict) or "
            f"a dict like {{'loss': [...], 'val_loss': [...]}}; got {type(history).__name__}."
        )
    if not logs:
        raise ValueError("history is empty; train for at least one epoch first.")
    out: dict[str, list[float]] = {}
    for k, v in logs.items():
        try:
            values = real_array(v, f"history[{k!r}]", finite=False)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{err} Each history entry must be a list of numbers, one per epoch.") from None
        out[str(k)] = list(values.astype(float).ravel())
    return out


# ----------------------------------------------------------------------------- figures


def montage(
    images: Any,
    labels: Any = None,
    label_names: LabelNames = None,
    n: int = 32,
    ncols: int = 8,
    title: str | None = None,
    seed: int = 0,
    cmap: str = "gray",
) -> Figure:
    """Show a random sample of `n` images in a grid, with each label's name under its image.

    images: (N,H,W) grey, (N,H,W,1), (N,H,W,3) RGB, uint8 or float; 3-D volumes (N,D,H,W)
    (or (N,D,H,W,1)) are shown by their middle slice along D. labels: (N,), (N,1) or a
    multi-label (N,K) 0/1 array. label_names: MedMNIST's INFO[flag]["label"] dict or a list.
    """
    arr, rgb = _as_2d_images(images)
    total = arr.shape[0]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive whole number of images to show; got {n!r}.")
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive whole number; got {ncols!r}.")
    check_positive_int(seed, "seed", minimum=0)
    _optional_text(title, "title")
    if not isinstance(cmap, str):
        raise TypeError(f"cmap must be the name of a matplotlib colour map such as 'gray', got {cmap!r:.40}.")
    lab = None
    if labels is not None:
        if isinstance(labels, (str, bytes)):
            raise TypeError(f"labels must be an array with one label per image, got the string {labels!r:.40}.")
        lab = np.asarray(labels)
        if lab.ndim == 0 or lab.shape[0] != total:
            raise ValueError(
                f"labels has shape {lab.shape} but there are {total} images; pass one label "
                "per image (the same N as images)."
            )
        lab = real_array(lab, "labels")
        if lab.dtype.kind == "f" and not np.all(lab == np.round(lab)):
            raise ValueError("labels must be whole class numbers (or 0/1 per label); got fractions. "
                             "For predicted probabilities use y_prob.argmax(axis=1) or y_prob > 0.5.")
    names = _name_list(label_names)

    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(total, size=n, replace=False)) if total > n else np.arange(total)
    count = len(idx)
    cols = min(int(ncols), count)
    rows = math.ceil(count / cols)
    cell_h = 1.6 + (0.45 if lab is not None else 0.0)
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, cell_h * rows + (0.4 if title else 0)),
                             squeeze=False)
    flat = axes.ravel()
    for ax, i in zip(flat, idx):
        img = arr[i]
        if rgb:
            ax.imshow(_rgb_for_display(img))
        elif img.dtype == np.uint8:
            ax.imshow(img, cmap=cmap, vmin=0, vmax=255)
        else:
            ax.imshow(img, cmap=cmap)
        ax.set_axis_off()
        if lab is not None:
            text = textwrap.shorten(_label_text(lab[i], names), width=40, placeholder="…")
            ax.text(0.5, -0.04, textwrap.fill(text, 20), transform=ax.transAxes,
                    ha="center", va="top", fontsize=7)
    for ax in flat[count:]:
        fig.delaxes(ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_curves(history: Any, metrics: Sequence[str] | None = None) -> Figure:
    """Plot each metric per epoch with its validation counterpart, one panel per metric.

    history: what ``model.fit`` returns (a Keras History; its ``.history`` is used) or a dict
    such as {"loss": [...], "val_loss": [...], "auc": [...], "val_auc": [...]}.
    metrics: which metrics to show (e.g. ["loss", "auc"]); default: all of them.
    """
    logs = _history_dict(history)
    if metrics is not None and not isinstance(metrics, str) and not (
        isinstance(metrics, Sequence) and all(isinstance(m, str) for m in metrics)
    ):
        raise TypeError(f"metrics must be a metric name or a list of names such as ['loss', 'auc'], "
                        f"got {metrics!r:.60}.")
    if metrics is None:
        chosen = [k for k in logs if not k.startswith("val_")]
        chosen += [k for k in logs if k.startswith("val_") and k[4:] not in logs]
    else:
        if isinstance(metrics, str):
            metrics = [metrics]
        chosen = list(metrics)
        missing = [m for m in chosen if m not in logs]
        if missing or not chosen:
            raise ValueError(
                f"metrics {missing or chosen} not found in history; available: {sorted(logs)}."
            )

    cols = min(len(chosen), 3)
    rows = math.ceil(len(chosen) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    flat = axes.ravel()
    for ax, name in zip(flat, chosen):
        values = logs[name]
        epochs = np.arange(1, len(values) + 1)
        is_val = name.startswith("val_")
        # training: solid line with circles; validation: dashed line with squares (told apart without colour)
        k = 1 if is_val else 0
        ax.plot(epochs, values, marker=COURSE_MARKERS[k], markersize=4, **_series(k),
                label="validation" if is_val else "training")
        val_name = f"val_{name}"
        if not is_val and val_name in logs:
            val = logs[val_name]
            ax.plot(np.arange(1, len(val) + 1), val, marker=COURSE_MARKERS[1], markersize=4, **_series(1),
                    label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _light_grid(ax)
        ax.legend()
    for ax in flat[len(chosen):]:
        fig.delaxes(ax)
    fig.tight_layout()
    return fig


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    label_names: LabelNames = None,
    normalize: str | None = None,
) -> Figure:
    """Draw the confusion matrix (rows: true class, columns: predicted class) with each cell annotated.

    normalize=None shows counts; "true" shows fractions of each true class (rows sum to 1);
    "pred" and "all" are passed on to sklearn.metrics.confusion_matrix as well.
    """
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all'; got {normalize!r}.")
    yt = _as_class_vector(y_true, "y_true")
    yp = _as_class_vector(y_pred, "y_pred")
    if yt.shape[0] != yp.shape[0]:
        raise ValueError(
            f"y_true has {yt.shape[0]} samples but y_pred has {yp.shape[0]}; they must match."
        )
    names = _name_list(label_names)
    if names is not None:
        classes = list(range(len(names)))
        seen = set(np.unique(yt).tolist()) | set(np.unique(yp).tolist())
        unknown = sorted(seen - set(classes))
        if unknown:
            raise ValueError(
                f"classes {unknown} appear in the labels but label_names has only "
                f"{len(names)} names (classes 0..{len(names) - 1})."
            )
        ticks = names
    else:
        classes = sorted(set(np.unique(yt).tolist()) | set(np.unique(yp).tolist()))
        ticks = [str(c) for c in classes]

    cm = skm.confusion_matrix(yt, yp, labels=classes, normalize=normalize)
    k = len(classes)
    longest = max(len(t) for t in ticks)
    size = max(4.5, 0.6 * k + 2.0 + 0.08 * longest)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(cm, cmap="Blues", vmin=0)
    ax.grid(False)  # no grid lines across the cells, even where a user's style turns grids on
    threshold = cm.max() / 2.0 if cm.size else 0.0
    for i in range(k):
        for j in range(k):
            value = cm[i, j]
            text = f"{value:.2f}" if normalize else f"{int(value)}"
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="white" if value > threshold else "black")
    tilt = k > 3 or longest > 6
    ax.set_xticks(range(k), labels=ticks, rotation=45 if tilt else 0, ha="right" if tilt else "center",
                  rotation_mode="anchor")
    ax.set_yticks(range(k), labels=ticks)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    notes = {None: "counts", "true": "each row sums to 1", "pred": "each column sums to 1", "all": "fractions of all"}
    ax.set_title(f"confusion matrix ({notes[normalize]})")
    fig.tight_layout()
    return fig


def roc_curve(
    y_true: Any,
    y_score: Any,
    label: str | None = None,
    ax: Axes | None = None,
    operating_point: float | None = None,
) -> Figure:
    """Plot a binary ROC curve with its AUC in the legend; pass `ax` to overlay several models.

    y_true: 0/1 labels, (N,) or (N,1). y_score: score or probability of class 1, (N,) or (N,1);
    a softmax output (N,2) is accepted and its second column used. operating_point: a decision
    threshold; its (1 − specificity, sensitivity) point is marked.
    """
    yt = _as_class_vector(y_true, "y_true")
    _optional_text(label, "label")
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. from plt.subplots()) or None, got {type(ax).__name__}.")
    score = score_column(y_score, name="y_score")
    if score.shape[0] != yt.shape[0]:
        raise ValueError(
            f"y_true has {yt.shape[0]} samples but y_score has {score.shape[0]}; they must match."
        )
    classes = set(np.unique(yt).tolist())
    if not classes <= {0, 1} or len(classes) != 2:
        raise ValueError(
            f"roc_curve needs binary labels with both 0 and 1 present; y_true has classes "
            f"{sorted(classes)}. For several classes, pass (y_true == k) for one class k."
        )
    yt = yt.astype(int)
    t = None
    if operating_point is not None:
        if isinstance(operating_point, (bool, str, bytes)) or not isinstance(operating_point, (int, float, np.number)):
            raise ValueError(
                f"operating_point must be a decision threshold (a number such as 0.5); got {operating_point!r}."
            )
        t = finite_number(operating_point, "operating_point (the decision threshold)")
        if not 0.0 <= t <= 1.0 and score.min() >= 0.0 and score.max() <= 1.0:
            raise ValueError(
                f"operating_point is {t:g}, but every score lies in [0, 1]: scores are probabilities; the "
                "threshold must lie in [0, 1] (write 0.5 for 50 %)."
            )
    fpr, tpr, _ = skm.roc_curve(yt, score)
    auc = skm.roc_auc_score(yt, score)

    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    if not any(line.get_gid() == "chance" for line in ax.get_lines()):
        ax.plot([0, 1], [0, 1], linestyle=(0, (1.0, 2.0)), color="grey", linewidth=1, label="chance",
                gid="chance")
    # the k-th ROC curve on these axes takes the course's k-th colour and dash pattern
    k = sum(1 for existing in ax.get_lines() if existing.get_gid() == "roc")
    text = f"AUC = {auc:.3f}" if label is None else f"{label} (AUC = {auc:.3f})"
    (line,) = ax.plot(fpr, tpr, linewidth=2, label=text, gid="roc", **_series(k))
    if t is not None:
        pred = score >= t
        sens = float(pred[yt == 1].mean())
        spec = 1.0 - float(pred[yt == 0].mean())
        ax.plot([1.0 - spec], [sens], marker=COURSE_MARKERS[k % len(COURSE_MARKERS)], markersize=8,
                linestyle="none", color=line.get_color(),
                markeredgecolor="black",
                label=f"threshold {t:g}: sensitivity {sens:.2f}, specificity {spec:.2f}")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("1 − specificity (false-positive rate)")
    ax.set_ylabel("sensitivity (true-positive rate)")
    ax.set_title("ROC curve")
    _light_grid(ax)
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure


def decision_regions(model: Any, X: Any, y: Any, feature_names: Sequence[str] = ("feature 1", "feature 2"),
                     label_names: LabelNames = None, ax: Axes | None = None, resolution: int = 200,
                     title: str | None = None) -> Figure:
    """Colour the plane by a fitted two-feature classifier's prediction and scatter the samples on it."""
    X = real_array(X, "X").astype(float)
    y = _as_class_vector(y, "y").astype(int)
    resolution = check_positive_int(resolution, "resolution", minimum=2)
    _optional_text(title, "title")
    if isinstance(feature_names, str) or len(feature_names) != 2 or not all(isinstance(f, str) for f in feature_names):
        raise ValueError(f"feature_names must be two strings, one per axis; got {feature_names!r:.60}.")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_regions needs exactly two features, X of shape (N, 2); got {X.shape}. "
                         "Select two columns (and fit the model on those two only).")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels.")
    if not hasattr(model, "predict"):
        raise ValueError("model must be a fitted classifier with a predict() method.")
    pad = 0.05 * (X.max(axis=0) - X.min(axis=0) + 1e-12)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    z = np.asarray(model.predict(grid)).reshape(g0.shape)
    classes = np.unique(np.concatenate([np.unique(y), np.unique(z)])).astype(int)
    colours = COURSE_COLOURS
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
    else:
        fig = ax.figure
    index = {c: i for i, c in enumerate(classes)}
    ax.contourf(g0, g1, np.vectorize(index.get)(z), levels=np.arange(len(classes) + 1) - 0.5,
                colors=[colours[c % len(colours)] for c in classes], alpha=0.25)
    names = _name_list(label_names)
    for c in classes:
        mask = y == c
        if mask.any():
            label = names[c] if names and c < len(names) else str(c)
            # each class has its own marker as well as its own colour
            ax.scatter(X[mask, 0], X[mask, 1], s=14, color=colours[c % len(colours)],
                       marker=COURSE_MARKERS[c % len(COURSE_MARKERS)], edgecolor="k", linewidth=0.3, label=label)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.legend(title="true class", fontsize=8)
    if title:
        ax.set_title(title)
    return fig
