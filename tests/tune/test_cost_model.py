"""The xgboost cost model: learns an order, normalizes per group, is reproducible."""
import numpy as np
import pytest

from workbench.tune.cost_model import XGBCostModel, rank_accuracy


def smooth(X):
    return 10.0 - (X[:, 0] - 0.3) ** 2 * 20 - (X[:, 1] - 0.7) ** 2 * 10 + X[:, 2]


def test_rank_accuracy():
    assert rank_accuracy([1, 2, 3], [10, 20, 30]) == 1.0
    assert rank_accuracy([3, 2, 1], [10, 20, 30]) == 0.0
    assert rank_accuracy([1, 1], [5, 5]) == 1.0


@pytest.mark.parametrize("objective", ["rank", "reg"])
def test_learns_a_smooth_function(objective):
    rng = np.random.default_rng(0)
    X, Xt = rng.random((96, 6)), rng.random((300, 6))
    m = XGBCostModel(objective=objective, seed=0).fit(X, smooth(X))
    assert m.fitted
    assert rank_accuracy(m.predict(Xt), smooth(Xt)) > 0.75


def test_unfitted_and_constant_labels_predict_zeros():
    m = XGBCostModel()
    assert not m.fitted and np.all(m.predict(np.ones((3, 2))) == 0)
    m.fit(np.random.default_rng(0).random((5, 2)), np.ones(5))
    assert not m.fitted


def test_groups_rank_within_each_task():
    rng = np.random.default_rng(1)
    X = rng.random((120, 4))
    y = smooth(X)
    groups = np.repeat([0, 1], 60)
    y = np.where(groups == 1, y * 1000.0, y)  # a task 1000x faster must not swamp the other
    m = XGBCostModel(seed=0).fit(X, y, groups=groups)
    Xt = rng.random((200, 4))
    assert rank_accuracy(m.predict(Xt), smooth(Xt)) > 0.75


def test_same_seed_same_model():
    rng = np.random.default_rng(2)
    X = rng.random((50, 4))
    a = XGBCostModel(seed=3).fit(X, smooth(X)).predict(X)
    b = XGBCostModel(seed=3).fit(X, smooth(X)).predict(X)
    np.testing.assert_array_equal(a, b)


def test_bad_objective():
    with pytest.raises(ValueError, match="objective"):
        XGBCostModel(objective="hinge")
