"""mlcourse.wdbc: the course's one WDBC split."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer

from mlcourse import wdbc


def test_split_sizes_are_60_20_20_and_stratified():
    d = wdbc.load()
    sizes = [len(getattr(d, s)[1]) for s in ("train", "val", "test")]
    assert sizes == [341, 114, 114] and sum(sizes) == 569
    for s in ("train", "val", "test"):
        assert abs(getattr(d, s)[1].mean() - 212 / 569) < 0.01     # 212 malignant of 569


def test_malignant_is_label_one():
    raw = load_breast_cancer()
    d = wdbc.load()
    x, y = d.test
    row = int(np.flatnonzero((raw.data == x[0]).all(axis=1))[0])
    assert y[0] == int(raw.target_names[raw.target[row]] == "malignant")
    assert d.label_names[d.positive] == "malignant" and d.dev[1].sum() + y.sum() == 212


def test_splits_are_disjoint_and_the_same_every_time():
    a, b = wdbc.load(), wdbc.load()
    for s in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(a, s)[0], getattr(b, s)[0])
    rows = {tuple(r) for r in a.train[0]}
    assert not rows & {tuple(r) for r in a.test[0]} and not rows & {tuple(r) for r in a.val[0]}
    assert len(a.dev[1]) == 455 and "30 features" in a.summary()
