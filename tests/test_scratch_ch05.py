"""The from-scratch code of chapter 05 (cells tagged `scratch`) against hand values and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from notebook_code import scratch_namespace
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

ns = scratch_namespace("05_trees.ipynb")
gini, entropy, best_split, best_stump = ns["gini"], ns["entropy"], ns["best_split"], ns["best_stump"]


@pytest.mark.parametrize("labels, expected_gini, expected_entropy", [
    ([1, 1, 1, 1], 0.0, 0.0),
    ([0, 1, 0, 1], 0.5, 1.0),
    ([1] * 30 + [0] * 10, 0.375, -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))),
    ([0, 1, 2], 2 / 3, math.log2(3)),
    (["a", "b", "b", "b"], 0.375, -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))),
])
def test_impurities_match_hand_values(labels, expected_gini, expected_entropy):
    assert gini(np.array(labels)) == pytest.approx(expected_gini, abs=1e-12)
    assert entropy(np.array(labels)) == pytest.approx(expected_entropy, abs=1e-12)


def test_empty_node_has_zero_impurity():
    assert gini(np.array([], dtype=int)) == 0.0
    assert entropy(np.array([], dtype=int)) == 0.0


def test_best_split_of_a_separable_feature():
    x = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 12.0])
    y = np.array([0, 0, 0, 1, 1, 1])
    threshold, decrease = best_split(x, y)
    assert threshold == pytest.approx(6.5)
    assert decrease == pytest.approx(0.5)
    threshold, decrease = best_split(x, y, impurity=entropy)
    assert threshold == pytest.approx(6.5) and decrease == pytest.approx(1.0)


def test_constant_feature_cannot_split():
    threshold, decrease = best_split(np.ones(5), np.array([0, 1, 0, 1, 1]))
    assert np.isnan(threshold) and decrease == 0.0


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_stump_matches_sklearn_depth_one_tree(criterion, seed):
    X, y = make_classification(n_samples=200, n_features=6, n_informative=3, n_redundant=1,
                               n_classes=2 if seed % 2 == 0 else 3, n_clusters_per_class=1, random_state=seed)
    X = X.astype(np.float32).astype(np.float64)  # scikit-learn's trees work in float32
    feature, threshold, _ = best_stump(X, y, impurity=gini if criterion == "gini" else entropy)
    tree = DecisionTreeClassifier(max_depth=1, criterion=criterion, random_state=0).fit(X, y)
    assert feature == tree.tree_.feature[0]
    assert threshold == pytest.approx(tree.tree_.threshold[0], rel=1e-6, abs=1e-6)
