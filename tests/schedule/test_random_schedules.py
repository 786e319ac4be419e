"""Property: any legal sequence of schedule primitives computes what the unscheduled program does.

For every operator case, hypothesis draws seeds for ``sample_schedule``, which
applies random legal primitives (split, tile, fuse, reorder, vectorize, parallel,
unroll, pragma, compute_at, compute_inline, compute_root, cache_read,
cache_write, rfactor); the compiled result must equal numpy's.
"""
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import workbench as wb
from workbench.schedule.sample import sample_schedule
from workbench.topi.testing import OPERATOR_CASES

# reassociation (rfactor, vector lanes, fast-math) changes float rounding a little
SLACK = 10


def check(case, seed: int, steps: int):
    outputs, inputs, make_inputs, numpy_ref = case()
    s = sample_schedule(outputs, inputs + outputs, random.Random(seed), steps=steps)
    kernel = wb.build(s, inputs + outputs)
    feeds = make_inputs(np.random.default_rng(seed))
    outs = [np.zeros(t.shape, t.dtype) for t in outputs]
    kernel(*[feeds[t] for t in inputs], *outs)
    for got, want in zip(outs, numpy_ref(feeds)):
        np.testing.assert_allclose(got, want, rtol=case.rtol * SLACK, atol=case.atol * SLACK,
                                   err_msg=f"schedule:\n{s.trace}\nloop nest:\n{wb.lower(s, inputs + outputs)}")
    return s


@pytest.mark.parametrize("case", OPERATOR_CASES, ids=lambda c: c.name)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 31 - 1), steps=st.integers(1, 10))
def test_random_schedule_is_equivalent(case, seed, steps):
    check(case, seed, steps)


@pytest.mark.slow
@pytest.mark.parametrize("case", OPERATOR_CASES, ids=lambda c: c.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 31 - 1), steps=st.integers(1, 16))
def test_random_schedule_is_equivalent_many(case, seed, steps):
    check(case, seed, steps)


def test_sampler_covers_every_primitive():
    """Across a few hundred draws on one case every primitive kind is applied at least once."""
    kinds = set()
    case = next(c for c in OPERATOR_CASES if c.name == "conv2d_bias_relu")
    outputs, inputs, _, _ = case()
    for seed in range(300):
        s = sample_schedule(outputs, inputs + outputs, random.Random(seed), steps=8)
        kinds |= {step.kind for step in s.trace}
    assert kinds >= {"split", "tile", "fuse", "reorder", "vectorize", "parallel", "unroll", "pragma", "compute_at",
                     "compute_inline", "compute_root", "cache_read", "cache_write", "rfactor"}
