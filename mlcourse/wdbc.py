"""The Wisconsin Diagnostic Breast Cancer data (WDBC) with the course's one fixed split.

Chapters 02-08 use the same 60/20/20 split (stratified, seed 42): a model is chosen on `val`
(or by cross-validation inside `dev`, which is train + val) and scored once on `test`.
Labels are recoded so that 1 = malignant, the clinically positive class (scikit-learn codes
malignant as 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLIT_SEED = 42          # the course's split; changing it changes every WDBC number in chapters 02-08
TEST_SHARE = 0.2         # of all 569 patients
VAL_SHARE = 0.25         # of the remaining 80 %, so 20 % of all
LABEL_NAMES = ("benign", "malignant")
POSITIVE = 1             # malignant


@dataclass(frozen=True)
class WDBC:
    """The three splits as (X, y) pairs, with feature and label names."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    feature_names: tuple[str, ...]
    label_names: tuple[str, ...] = LABEL_NAMES
    positive: int = POSITIVE

    @property
    def dev(self) -> tuple[np.ndarray, np.ndarray]:
        """Train and validation together, for choosing by cross-validation."""
        return (np.concatenate([self.train[0], self.val[0]]), np.concatenate([self.train[1], self.val[1]]))

    def summary(self) -> str:
        """One line per split: patients and malignant cases."""
        rows = [f"WDBC (Street, Wolberg and Mangasarian 1993), {len(self.feature_names)} features, 1 = malignant"]
        for name in ("train", "val", "test"):
            _, y = getattr(self, name)
            rows.append(f"  {name:5s} {len(y):3d} patients, {int(y.sum()):3d} malignant ({y.mean():.1%})")
        return "\n".join(rows)


def load() -> WDBC:
    """WDBC from scikit-learn (shipped with it, no download), split 60/20/20 with the course's seed."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    raw = load_breast_cancer()
    x, y = raw.data.astype(np.float64), (raw.target == 0).astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=TEST_SHARE, stratify=y,
                                                      random_state=SPLIT_SEED)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=VAL_SHARE, stratify=y_rest,
                                                      random_state=SPLIT_SEED)
    return WDBC(train=(x_train, y_train), val=(x_val, y_val), test=(x_test, y_test),
                feature_names=tuple(str(n) for n in raw.feature_names))
