"""The check every default-schedule test makes: build, run on random inputs, compare with the te interpreter."""
import numpy as np
import workbench as wb
from workbench import te, topi
from workbench.te.reference import evaluate


def run_and_compare(schedule_fn, outs, inputs, anchor=None, rtol=1e-4, atol=1e-4, seed=0):
    """Schedule ``outs`` with ``schedule_fn``, compile, run on random inputs, check against ``evaluate``."""
    rng = np.random.default_rng(seed)
    s = schedule_fn(outs, anchor)
    kernel = wb.build(s, list(inputs) + list(outs))
    arrays = [rng.uniform(-1, 1, t.shape).astype(t.dtype) for t in inputs]
    results = [np.full(o.shape, np.nan, o.dtype) for o in outs]
    kernel(*arrays, *results)
    expected = evaluate(list(outs), dict(zip(inputs, arrays)))
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    return kernel


def with_epilogue(conv, epilogue="bias_relu"):
    """``(extra inputs, output)``: an NCHW ``conv`` alone (``"none"``), then + bias and relu
    (``"bias_relu"``), then + a residual input and a clip (``"residual"``)."""
    inputs, out = [], conv
    if epilogue in ("bias_relu", "residual"):
        b = te.placeholder((conv.shape[1], 1, 1), name="b")
        inputs.append(b)
        out = topi.relu(topi.add(conv, b))
    if epilogue == "residual":
        r = te.placeholder(conv.shape, name="r")
        inputs.append(r)
        out = topi.clip(topi.add(out, r), 0.0, 6.0)
    return inputs, out
