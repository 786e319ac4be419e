"""The per-store features and the pack-sum cost model: it learns to rank programs."""
import random

import numpy as np
import pytest

from workbench.ansor import AnsorCostModel, AnsorTuner, SearchTask, STORE_FEATURE_NAMES, sample_program, store_features
from workbench.ansor.evolution import EvolutionarySearch
from workbench.tune.cost_model import rank_accuracy

from . import dags


def programs(task, n, seed):
    search = EvolutionarySearch(task, AnsorCostModel(), random.Random(seed))
    progs = search.random_programs(n, set())
    return progs, [search.lowered(p)[1] for p in progs]


def test_store_features_have_one_row_per_store():
    task = SearchTask("conv2d", *dags.conv2d())
    prog = sample_program(task.sketches[0], random.Random(0))
    rows = store_features(task.lower(prog))
    names = dict(zip(STORE_FEATURE_NAMES, range(len(STORE_FEATURE_NAMES))))
    assert rows.shape[1] == len(STORE_FEATURE_NAMES) and rows.shape[0] >= 2   # the conv's init + update at least
    assert np.isfinite(rows).all()
    assert rows[:, names["ops.float_mul"]].max() > 0                        # the multiply-add store


@pytest.mark.parametrize("objective", ["rank", "reg"])
def test_pack_sum_model_learns_an_additive_cost(objective):
    """A known ground truth that adds up per store (as real cost roughly does): the model must rank
    held-out programs far better than chance, with either loss."""
    task = SearchTask("matmul", *dags.matmul(64, 64, 64))
    progs, feats = programs(task, 90, seed=0)
    names = {n: k for k, n in enumerate(STORE_FEATURE_NAMES)}
    def truth(rows):   # faster with longer vectors and more parallelism, slower with bigger strides
        return float(np.sum(rows[:, names["vec.log_len"]] + rows[:, names["par.log_extent"]]
                            - 0.5 * rows[:, names["buf1.log_stride"]]))
    y = np.array([truth(f) for f in feats])
    y = y - y.min() + 0.1
    model = AnsorCostModel(seed=0, objective=objective)
    model.update(feats[:60], list(y[:60]), "t")
    assert model.fitted
    acc = rank_accuracy(model.predict(feats[60:]), y[60:])
    assert acc > 0.75, acc


def test_the_rank_loss_orders_pairs_within_a_task_only():
    from workbench.ansor.cost_model import pairwise_logistic
    # two tasks; across them the labels would disagree with the sums, within each they agree
    grad, hess = pairwise_logistic(np.array([1.0, 0.5, 1.0, 0.2]), np.array(["a", "a", "b", "b"]))(
        np.array([5.0, -5.0, 0.0, -10.0]))
    assert np.all(np.abs(grad) < 1e-3) and np.all(hess > 0)     # already ordered: nothing to push
    grad, _ = pairwise_logistic(np.array([1.0, 0.5]), np.array(["a", "a"]))(np.array([-1.0, 1.0]))
    assert grad[0] < 0 < grad[1]                                  # misordered: raise the faster one


def test_an_unknown_objective_is_named():
    with pytest.raises(ValueError, match="objective must be one of"):
        AnsorCostModel(objective="pairwise")


def test_accuracy_is_tracked_per_round():
    task = SearchTask("matmul", *dags.matmul(32, 32, 32))
    _, feats = programs(task, 30, seed=1)
    model = AnsorCostModel()
    g = list(np.linspace(1, 30, 30))
    model.update(feats[:15], g[:15], "t")
    model.update(feats[15:], g[15:], "t")
    (r,) = model.rounds
    assert len(r["predicted"]) == 15 and r["measured"] == g[15:] and 0.0 <= r["rank_accuracy"] <= 1.0


@pytest.mark.slow
def test_rank_accuracy_above_chance_on_measured_programs():
    """Real measurements: train on 48 measured matmul programs, rank 24 others."""
    from workbench.tune import Measurer
    task = SearchTask("matmul", *dags.matmul(256, 256, 256))
    progs, feats = programs(task, 72, seed=2)
    with Measurer(timeout=10) as m:
        res = m.measure([task.lower(p) for p in progs], task.reference())
    g = np.array([task.flop / r.mean / 1e9 if r.ok else 0.0 for r in res])
    model = AnsorCostModel(seed=0)
    model.update(feats[:48], list(g[:48]), task.key)
    acc = rank_accuracy(model.predict(feats[48:]), g[48:])
    assert acc > 0.6, acc


def test_accumulator_registers_of_a_register_block():
    """One register per vector row of the block inside the reduction: 8 and 16 fit, 32 do not."""
    from workbench.ansor.program import Program
    task = SearchTask("conv2d", *dags.conv2d(hw=8, relu=False))
    sk = next(s for s in task.sketches if any(p.cache for p in s.plans.values()))
    name = next(n for n, p in sk.plans.items() if p.cache)
    op = task.dag.op(name[:-len(".local")])
    regs = {}
    for block in ((1, 4, 2, 4), (1, 8, 2, 4), (1, 16, 2, 4)):
        d = {name: {"at": 0, "par": 1, "unroll": 512,
                    "tile": {**{iv.name: [1, 1, b] for iv, b in zip(op.axis, block)},
                             **{iv.name: [int(iv.extent)] for iv in op.reduce_axis}}}}
        d.update({s: {"loc": "inline", "par": 0, "vec": 1, "unroll": 0, "level": 0}
                  for s, p in sk.plans.items() if p.kind == "place"})
        rows = store_features(task.lower(Program(sk, d)))
        col = STORE_FEATURE_NAMES.index("acc.log_registers")
        fits = STORE_FEATURE_NAMES.index("acc.fits")
        k = int(np.argmax(rows[:, col]))
        regs[block] = (round(2 ** float(rows[k, col]) - 1), bool(rows[k, fits]))
    assert regs == {(1, 4, 2, 4): (8, True), (1, 8, 2, 4): (16, True), (1, 16, 2, 4): (32, False)}
