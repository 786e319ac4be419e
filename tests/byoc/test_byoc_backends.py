"""The backends (C, onnxruntime, numpy functions) against the numpy interpreter, op by op, and their errors."""
import numpy as np
import pytest

import workbench as wb
from workbench import byoc
from workbench.graph import Function, Module, Tuple, ops, run

RNG = np.random.default_rng(0)


def const(shape, name):
    return ops.const(RNG.standard_normal(shape).astype("float32"), name=name)


def conv_net(strides=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), bias=True, relu=True):
    x = ops.var("x", (2, 3, 9, 11))
    y = ops.nn.conv2d(x, const((5, 3, 3, 3), "w"), strides=strides, padding=padding, dilation=dilation)
    if bias:
        y = ops.add(y, const((5, 1, 1), "b"))
    if relu:
        y = ops.nn.relu(y)
    return Module(Function((x,), y))


def pool_dense_net():
    x = ops.var("x", (1, 4, 9, 9))
    y = ops.nn.max_pool2d(x, pool_size=(3, 3), strides=(2, 2), padding=(1, 1, 1, 1), ceil_mode=True)
    y = ops.nn.global_avg_pool2d(ops.sigmoid(y))
    y = ops.reshape(y, newshape=(1, 4))
    y = ops.nn.relu(ops.add(ops.nn.dense(y, const((6, 4), "fc")), const((6,), "fc_b")))
    return Module(Function((x,), y))


def matmul_net():
    a = ops.var("a", (2, 1, 5, 7))
    b = ops.var("b", (3, 7, 4))
    y = ops.nn.matmul(a, b)                                   # batch dims broadcast: (2, 3, 5, 4)
    y = ops.transpose(y, axes=(0, 2, 1, 3))
    z = ops.divide(ops.erf(y), ops.const(2.0))
    z = ops.subtract(z, const((4,), "row"))                   # broadcast along the last axis
    return Module(Function((a, b), Tuple((z, ops.tanh(y)))))


NETS = {"conv": conv_net(), "conv-stride-dilation": conv_net((2, 1), (0, 2, 1, 0), (2, 2), relu=False),
        "conv-plain": conv_net(bias=False, relu=False), "pool-dense": pool_dense_net(), "matmul": matmul_net()}


def feeds(mod):
    return {p.name: RNG.standard_normal(p.type.shape).astype("float32") for p in mod.main.params}


def check(mod, backends, expect_all=True):
    f = feeds(mod)
    exe = wb.compile(mod, backends=backends)
    if expect_all:
        assert all(d.backend != "workbench" for d in exe.partitioned.report), exe.partitioned.report
    got, want = exe.run(**f), run(mod, **f)
    for g, w in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, want))):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    return exe


@pytest.mark.parametrize("net", list(NETS))
def test_c_backend_matches_the_interpreter(net):
    check(NETS[net], [byoc.CBackend()])


@pytest.mark.parametrize("net", list(NETS))
def test_onnxruntime_backend_matches_the_interpreter(net):
    check(NETS[net], [byoc.OnnxRuntimeBackend()])


def test_the_c_source_is_readable():
    part = byoc.partition_for(conv_net(), [byoc.CBackend()])
    src = byoc.CBackend().source(part.partition(0))
    assert "void c_0(const float *restrict in0, const float *restrict w0, const float *restrict w1, " \
           "float *restrict out0)" in src
    assert "/* c.conv2d_bias_relu: nn.conv2d + add + nn.relu */" in src
    assert "yp[i] > 0.0f ? yp[i] : 0.0f" in src


def test_the_onnx_source_is_printable():
    part = byoc.partition_for(conv_net(), [byoc.OnnxRuntimeBackend()])
    text = byoc.OnnxRuntimeBackend().source(part.partition(0))
    assert "Conv" in text and "Relu" in text


def test_a_numpy_backend_in_a_few_lines():
    class NumpyMatmul(byoc.Backend):
        name = "numpy"
        table = byoc.PatternTable([byoc.op_rule("nn.matmul", byoc.float32)])

        def build(self, part):
            return lambda *arrays: byoc.evaluate(part.function, arrays, {"nn.matmul": np.matmul})

    exe = check(matmul_net(), [NumpyMatmul()], expect_all=False)
    assert [st.backend for st in exe.steps].count("numpy") == 1
    prof = exe.profile(repeat=2, **feeds(matmul_net()))
    row = next(r for r in prof.rows if r.backend == "numpy")
    assert row.name == "numpy_0" and 0 < row.boundary <= row.seconds
    assert prof.by_backend()["numpy"][0] == 1 and "at boundaries" in repr(prof)


class Broken(byoc.Backend):
    """Takes relus; ``mode`` says how it fails."""
    name = "broken"
    table = byoc.PatternTable([byoc.op_rule("nn.relu")])

    def __init__(self, mode):
        self.mode = mode

    def build(self, part):
        if self.mode == "build":
            raise RuntimeError("no device")
        if self.mode == "not callable":
            return 42
        return {"raise": lambda x: 1 / 0, "shape": lambda x: x[:1], "dtype": lambda x: x.astype("float64"),
                "count": lambda x: (x, x)}[self.mode]


def relu_net():
    x = ops.var("x", (2, 3))
    return Module(Function((x,), ops.tanh(ops.nn.relu(ops.exp(x)))))


@pytest.mark.parametrize("mode,message", [
    ("build", r"backend 'broken' could not build partition broken_0 \(nn.relu\): RuntimeError: no device"),
    ("not callable", r"build\(\) of partition broken_0 returned int, not a callable"),
    ("raise", r"partition broken_0 \(backend 'broken', ops nn.relu\): the backend raised ZeroDivisionError"),
    ("shape", r"partition broken_0 .*output 0 is float32\[1, 3\], expected float32\[2, 3\]"),
    ("dtype", r"partition broken_0 .*output 0 is float64\[2, 3\], expected float32\[2, 3\]"),
    ("count", r"partition broken_0 .*returned 2 outputs, the partition has 1"),
])
def test_a_failing_backend_names_the_partition(mode, message):
    with pytest.raises(byoc.ExternalBackendError, match=message):
        exe = wb.compile(relu_net(), backends=[Broken(mode)])
        exe.run(x=np.ones((2, 3), "float32"))


def test_compiling_a_partitioned_module_needs_its_backends():
    part = byoc.partition_for(relu_net(), [byoc.CBackend()])
    with pytest.raises(byoc.ExternalBackendError, match="partition c_0 is for backend 'c', which was not given"):
        wb.compile(part.module)
    exe = wb.compile(part.module, backends=[byoc.CBackend()])   # already partitioned: compiled as it is
    x = np.linspace(-2, 2, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(exe.run(x=x), run(relu_net(), x=x), rtol=1e-6)


def test_function_backend_names_missing_implementations():
    be = byoc.FunctionBackend("np", byoc.PatternTable([byoc.op_rule("nn.relu"), byoc.op_rule("exp")]),
                              {"nn.relu": lambda x: np.maximum(x, 0)})
    with pytest.raises(byoc.ExternalBackendError, match="no implementation of exp"):
        wb.compile(relu_net(), backends=[be])


def test_loading_c_partitions_leaves_subnormals_alone():
    """A library linked with -ffast-math would switch on flush-to-zero for the whole process."""
    x = ops.var("x", (4, 8))
    mod = Module(Function((x,), ops.nn.relu(ops.nn.dense(x, ops.const(np.ones((8, 8), "float32"))))))
    exe = wb.compile(mod, backends=[byoc.CBackend()])
    np.testing.assert_allclose(exe.run(x=np.ones((4, 8), "float32")), np.full((4, 8), 8.0))
    tiny = np.array([1e-39], np.float32)   # a float32 subnormal
    assert (tiny * np.float32(1.0))[0] != 0.0
