"""Every operator case compiled with its default schedule (LLVM) and compared to numpy."""
import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.topi.testing import OPERATOR_CASES


def compile_and_run(outputs, inputs, feeds, s=None):
    s = s or te.create_schedule([t.op for t in outputs])
    kernel = wb.build(s, inputs + outputs)
    outs = [np.zeros(t.shape, t.dtype) for t in outputs]
    kernel(*[feeds[t] for t in inputs], *outs)
    return outs


@pytest.mark.parametrize("case", OPERATOR_CASES, ids=lambda c: c.name)
def test_case_compiled_matches_numpy(case):
    outputs, inputs, make_inputs, numpy_ref = case()
    feeds = make_inputs(np.random.default_rng(0))
    for got, want in zip(compile_and_run(outputs, inputs, feeds), numpy_ref(feeds)):
        assert got.dtype == want.dtype or np.can_cast(want.dtype, got.dtype)
        np.testing.assert_allclose(got, want, rtol=case.rtol, atol=case.atol)


def test_there_are_at_least_25_cases():
    assert len(OPERATOR_CASES) >= 25
    assert len({c.name for c in OPERATOR_CASES}) == len(OPERATOR_CASES)
