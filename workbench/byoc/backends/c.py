"""The C backend: each partition becomes readable C, compiled by the system compiler, called with ctypes.

The classic teaching example of bring-your-own-codegen. Its table takes float32
convolutions (``groups == 1``; grouped and depthwise ones stay with Workbench),
dense layers, batched matmuls, pooling, reshapes, transposes and elementwise
ops, plus the composites conv2d + bias (+ relu) and dense + bias (+ relu).
Shared libraries are cached by the hash of their source.

>>> be = CBackend()
>>> exe = wb.compile(mod, backends=[be])          # doctest: +SKIP
>>> print(be.source(exe.partitioned.partition(0)))   # doctest: +SKIP
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np

from ..pattern import is_constant, is_op, wildcard
from ..table import PatternTable, Rule, check, float32, op_rule
from .base import Backend, ExternalBackendError, Partition
from .c_source import BINARY, UNARY, c_source


def _groups1(m):
    conv = next(c for c in m.calls if c.op.name == "nn.conv2d")
    return conv.attrs["groups"] == 1


def _channel_bias(m):
    conv = next(c for c in m.calls if c.op.name == "nn.conv2d")
    add = next(c for c in m.calls if c.op.name == "add")
    b = add.args[1].type.shape
    oc = conv.type.shape[1]
    return add.type.shape == conv.type.shape and tuple(b) in ((oc, 1, 1), (1, oc, 1, 1))


def _row_bias(m):
    dense = next(c for c in m.calls if c.op.name == "nn.dense")
    add = next(c for c in m.calls if c.op.name == "add")
    n = dense.type.shape[-1]
    return add.type.shape == dense.type.shape and tuple(add.args[1].type.shape) in ((n,), (1, n))


def _rank2(m):
    a, b = m.root.args
    return a.type.ndim >= 2 and b.type.ndim >= 2


groups1 = check("groups == 1 (no grouped or depthwise convolution in C)", _groups1)
channel_bias = check("the bias is one value per output channel", _channel_bias)
row_bias = check("the bias is one value per output column", _row_bias)


def c_table() -> PatternTable:
    """The C backend's pattern table."""
    conv = is_op("nn.conv2d")(wildcard(), is_constant())
    dense = is_op("nn.dense")(wildcard(), is_constant())
    conv_bias = is_op("add")(conv, is_constant())
    dense_bias = is_op("add")(dense, is_constant())
    rules = [
        Rule("conv2d_bias_relu", is_op("nn.relu")(conv_bias), [float32, groups1, channel_bias]),
        Rule("conv2d_bias", conv_bias, [float32, groups1, channel_bias]),
        Rule("dense_bias_relu", is_op("nn.relu")(dense_bias), [float32, row_bias]),
        Rule("dense_bias", dense_bias, [float32, row_bias]),
        op_rule("nn.conv2d", float32, groups1),
        op_rule("nn.dense", float32),
        op_rule("nn.matmul", float32, check("both operands have rank >= 2", _rank2)),
        op_rule("nn.max_pool2d", float32),
        op_rule("nn.global_avg_pool2d", float32),
        op_rule("reshape", float32),
        op_rule("transpose", float32),
    ] + [op_rule(name, float32) for name in list(UNARY) + list(BINARY)]
    return PatternTable(rules)


def find_compiler() -> str:
    """The system C compiler (``$CC``, ``cc`` or ``gcc``)."""
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise ExternalBackendError("C backend: no C compiler found (tried $CC, cc, gcc, clang); install one, "
                               "e.g. apt-get install -y gcc")


# Fast-math's parts, not -ffast-math itself: linking a shared library with -ffast-math adds crtfastmath.o,
# which turns on flush-to-zero / denormals-are-zero for the whole process when the library loads,
# silently changing every other computation in the notebook (and hypothesis refuses to run).
DEFAULT_FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fno-signed-zeros",
                 "-fassociative-math", "-ffp-contract=fast")


class CBackend(Backend):
    """Partitions as C source, compiled with the system C compiler into shared libraries."""
    name = "c"

    def __init__(self, flags=DEFAULT_FLAGS, cache_dir=None, table: PatternTable = None):
        self.flags = tuple(flags)
        self.table = table if table is not None else c_table()
        self.cache_dir = pathlib.Path(cache_dir or pathlib.Path(tempfile.gettempdir()) / "workbench_byoc_c")

    def source(self, part: Partition) -> str:
        """The C source of a partition."""
        return c_source(part.function, part.name)[0]

    def compile_source(self, text: str) -> pathlib.Path:
        """The shared library built from ``text`` (cached by the hash of source and flags)."""
        cc = find_compiler()
        key = hashlib.sha256((text + " ".join(self.flags) + cc).encode()).hexdigest()[:20]
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        lib = self.cache_dir / f"part_{key}.so"
        if lib.exists():
            return lib
        src = self.cache_dir / f"part_{key}.c"
        src.write_text(text)
        tmp = lib.with_suffix(f".{os.getpid()}.tmp")
        r = subprocess.run([cc, *self.flags, "-shared", "-fPIC", "-o", str(tmp), str(src), "-lm"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise ExternalBackendError(f"C backend: {cc} failed on {src}:\n{r.stderr[-2000:]}")
        os.replace(tmp, lib)
        return lib

    def build(self, part: Partition):
        for t in part.input_types + part.output_types:
            if t.dtype != "float32":
                raise ExternalBackendError(f"C backend: partition {part.name} has a {t} value; only float32")
        text, weights = c_source(part.function, part.name)
        lib = ctypes.CDLL(str(self.compile_source(text)))
        cfn = getattr(lib, part.name)
        cfn.restype = None
        w_ptrs = [w.ctypes.data_as(ctypes.c_void_p) for w in weights]
        outs = [(tuple(t.shape), t.dtype) for t in part.output_types]

        def run(*arrays):
            ins = [np.ascontiguousarray(a, dtype="float32") for a in arrays]
            res = [np.empty(s, d) for s, d in outs]
            cfn(*[a.ctypes.data_as(ctypes.c_void_p) for a in ins], *w_ptrs,
                *[r.ctypes.data_as(ctypes.c_void_p) for r in res])
            return res[0] if len(res) == 1 else tuple(res)
        run.lib, run.weights, run.source = lib, weights, text  # keep the library and weights alive
        return run
