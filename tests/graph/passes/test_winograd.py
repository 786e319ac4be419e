"""winograd: blocked 3x3 stride-1 convs with constant weights become Winograd convs (weights transformed at
compile time); the model computes what the direct convs compute, to float rounding."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.graph import Call, Function, Module, ops, run
from workbench.graph.functor import post_order
from workbench.graph.passes import PassContext, optimize, pipeline_of
from workbench.graph.passes.winograd import winograd_tile

BLOCK = {"pack_conv_kernels": True, "block_layout": True}
DIRECT = {**BLOCK, "winograd": False}


def w(rng, *shape):
    return ops.const((rng.normal(size=shape) * 0.2).astype("float32"))


def net(seed=0, c=16, hw=8, stride=1, kernel=3, second_pad=(1, 1, 1, 1), residual=True):
    """A 3x3 conv on the NCHW input (stays direct), relu, then a ``kernel x kernel`` conv on blocked data
    (+ the first conv's result, relu, when ``residual`` and the shapes agree)."""
    rng = np.random.default_rng(seed)
    x = ops.var("x", (1, 16, hw, hw))
    y = ops.nn.relu(ops.nn.conv2d(x, w(rng, c, 16, 3, 3), padding=(1, 1, 1, 1)))
    pad = second_pad if kernel == 3 else (0, 0, 0, 0)
    z = ops.nn.conv2d(y, w(rng, c, c, kernel, kernel), padding=pad, strides=(stride, stride))
    if residual and z.type.shape == y.type.shape:
        z = ops.nn.relu(ops.add(z, y))
    return Module(Function((x,), z)), rng.normal(size=(1, 16, hw, hw)).astype("float32")


def winograd_convs(mod):
    found = []
    for n in post_order(mod.main.body):
        if isinstance(n, Call) and isinstance(n.op, Function):
            found += [c for c in post_order(n.op.body) if isinstance(c, Call)
                      and getattr(c.op, "name", "") == "nn.conv2d_winograd"]
        elif isinstance(n, Call) and getattr(n.op, "name", "") == "nn.conv2d_winograd":
            found.append(n)
    return found


def test_the_blocked_pipeline_runs_winograd_after_block_layout_unless_the_config_says_no():
    names = [p.name for p in pipeline_of(PassContext(config=BLOCK))]
    assert names.index("winograd") == names.index("block_layout") + 1
    assert "winograd" not in [p.name for p in pipeline_of(PassContext(config=DIRECT))]
    assert "winograd" not in [p.name for p in pipeline_of(PassContext(config={"pack_conv_kernels": True}))]


def test_the_tile_follows_the_size_of_the_transformed_weights():
    assert winograd_tile(64, 64, 56, 56) == 4      # 0.59 MB of F(4x4) weights
    assert winograd_tile(128, 128, 28, 28) == 2    # F(4x4) would be 2.4 MB; F(2x2) is 1 MB
    assert winograd_tile(256, 256, 14, 14) is None
    assert winograd_tile(64, 64, 6, 6) == 2        # 6 rows are not whole 4x4 tiles
    assert winograd_tile(64, 64, 7, 7) is None


def test_only_blocked_3x3_stride_1_convs_are_rewritten():
    mod, _ = net(residual=False)
    fused = optimize(mod, PassContext(config=BLOCK))
    convs = winograd_convs(fused)
    assert len(convs) == 1   # the first conv reads the NCHW model input
    assert convs[0].attrs["tile"] == 4 and convs[0].attrs["padding"] == (0, 0, 0, 0)   # padded by store_padded
    assert convs[0].args[1].type.shape == (6, 6, 16, 1, 16)
    for stride, kernel in ((2, 3), (1, 1)):
        assert not winograd_convs(optimize(net(stride=stride, kernel=kernel)[0], PassContext(config=BLOCK)))
    assert not winograd_convs(optimize(mod, PassContext(config=DIRECT)))


@pytest.mark.parametrize("case", [{}, {"c": 32, "hw": 6}, {"second_pad": (1, 2, 1, 0)}, {"residual": False}])
def test_results_match_the_direct_compile_and_the_interpreter(case):
    mod, x = net(**case)
    ctx = PassContext(config=BLOCK)
    assert winograd_convs(optimize(mod, ctx))
    got = wb.compile(mod, ctx=ctx).run(x=x)
    direct = wb.compile(mod, ctx=PassContext(config=DIRECT)).run(x=x)
    want = run(mod, x=x)
    np.testing.assert_allclose(got, direct, rtol=1e-4, atol=1e-4 * np.abs(direct).max())
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_the_interpreter_runs_the_winograd_op():
    mod, x = net()
    fused = optimize(mod, PassContext(config=BLOCK))
    np.testing.assert_allclose(run(fused, x=x), run(mod, x=x), rtol=1e-4, atol=1e-4)


@settings(max_examples=4, deadline=None)
@given(c=st.sampled_from([16, 32]), hw=st.sampled_from([4, 6, 8, 12]), seed=st.integers(0, 1000))
def test_random_nets_match_the_direct_compile(c, hw, seed):
    mod, x = net(seed=seed, c=c, hw=hw)
    got = wb.compile(mod, ctx=PassContext(config=BLOCK)).run(x=x)
    direct = wb.compile(mod, ctx=PassContext(config=DIRECT)).run(x=x)
    np.testing.assert_allclose(got, direct, rtol=1e-4, atol=1e-4 * np.abs(direct).max())
