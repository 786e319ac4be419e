"""The onnxruntime backend: each partition is exported as an ONNX model and run by onnxruntime.

A real third-party runtime behind the same small API. Its table takes every
operator the ONNX exporter knows (``onnx_export.EXPORTERS``) plus the composites
conv2d + bias (+ relu) and dense + bias, which onnxruntime fuses itself.
``OnnxRuntimeBackend(only=("nn.conv2d",))`` takes just the rules that mention
those operators (the convolution layers, with their bias and relu). Every
partition is its own onnxruntime session; their worker threads do not spin
between runs (``spinning=False``), so they leave the cores to Workbench's
kernels in between.

>>> exe = wb.compile(mod, backends=[OnnxRuntimeBackend()])   # doctest: +SKIP
>>> print(OnnxRuntimeBackend().source(exe.partitioned.partition(0)))   # the ONNX graph, as text   # doctest: +SKIP
"""
from __future__ import annotations

from ..pattern import is_constant, is_op, wildcard
from ..table import PatternTable, Rule, check, op_rule
from .base import Backend, ExternalBackendError, Partition
from .onnx_export import EXPORTERS, to_onnx

DTYPES = ("float32", "float64", "int64", "int32")


def _dtypes(m) -> bool:
    return all(getattr(x.type, "dtype", None) in DTYPES for x in m.calls + m.inputs)


supported_dtype = check(f"dtypes are among {', '.join(DTYPES)}", _dtypes)
channel_axis = check("axis == 1", lambda m: m.root.attrs.get("axis", 1) == 1)


def onnxruntime_table() -> PatternTable:
    """The onnxruntime backend's pattern table."""
    conv = is_op("nn.conv2d")(wildcard(), wildcard())
    conv_bias = is_op("add")(conv, is_constant())
    dense_bias = is_op("add")(is_op("nn.dense")(wildcard(), wildcard()), is_constant())
    rules = [Rule("conv2d_bias_relu", is_op("nn.relu")(conv_bias), [supported_dtype]),
             Rule("conv2d_bias", conv_bias, [supported_dtype]),
             Rule("dense_bias", dense_bias, [supported_dtype])]
    for name in EXPORTERS:
        checks = [supported_dtype] + ([channel_axis] if name == "nn.batch_norm" else [])
        rules.append(op_rule(name, *checks))
    return PatternTable(rules)


class OnnxRuntimeBackend(Backend):
    """Partitions exported to ONNX and run by onnxruntime's CPU execution provider."""
    name = "onnxruntime"

    def __init__(self, only=None, name: str = "onnxruntime", threads: int | None = None, spinning: bool = False):
        table = onnxruntime_table()
        self.table = table.only(*only) if only else table
        self.name = name
        self.threads = threads
        # Each partition is its own session with its own thread pool; threads that spin after a run
        # would keep the cores busy while Workbench's kernels run between partitions.
        self.spinning = spinning

    def source(self, part: Partition) -> str:
        """The partition's ONNX graph, printed by onnx."""
        import onnx
        return onnx.printer.to_text(to_onnx(part.function, part.name).graph)

    def build(self, part: Partition):
        import onnxruntime as ort
        model = to_onnx(part.function, part.name)
        opts = ort.SessionOptions()
        if self.threads:
            opts.intra_op_num_threads = self.threads
        if not self.spinning:
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ExternalBackendError(f"onnxruntime rejected partition {part.name}: {e}") from e
        names = [i.name for i in sess.get_inputs()]
        single = len(part.output_types) == 1

        def run(*arrays):
            res = sess.run(None, dict(zip(names, arrays)))
            return res[0] if single else tuple(res)
        run.session = sess
        return run
