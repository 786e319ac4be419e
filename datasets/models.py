"""Model generators: ONNX ModelProtos built in code, with random but fixed weights.

Every builder returns an ``onnx.ModelProto`` that passes
``onnx.checker.check_model(model, full_check=True)`` and runs in onnxruntime.
Weights come from ``numpy.random.default_rng(seed)`` and are scaled (He /
Xavier style, plus BatchNormalization statistics near the activations' real
ones) so activations stay O(1) from input to output: outputs are finite and
neither constant nor saturated. The weights depend only on the architecture
arguments and ``seed``, not on ``batch``, ``image``/``seq`` or ``opset``, so a
small variant of a model computes with the same numbers as the full-size one.

Builders (all keyword arguments have defaults)::

    resnet18(batch=1, image=224, num_classes=1000, *, opset=17, dynamic_batch=False, seed=0)
    mobilenet_v2(batch=1, image=224, num_classes=1000, *, opset=17, dynamic_batch=False, seed=0)
    transformer_encoder(batch=1, seq=128, hidden=768, heads=12, ffn=3072, *,
                        attention_mask=False, opset=17, dynamic_batch=False, dynamic_seq=False, seed=0)
    mlp(batch=8, sizes=(784, 512, 256, 10), *, opset=17, dynamic_batch=False, seed=0)
    small_detector(batch=1, image=128, num_classes=4, anchors=3, *, opset=17, dynamic_batch=False, seed=0)

``opset`` may be 13 or newer (up to what the installed onnx knows). Ops whose
form changed between opsets are emitted in the form the chosen opset wants
(Split's ``split`` and Resize's ``scales`` are inputs; LayerNormalization is
decomposed into ReduceMean/Sub/Pow/Sqrt/Div below opset 17).
``dynamic_batch=True`` names the batch dimension ``"N"`` instead of fixing it;
every Reshape in these models copies the batch dimension (``0``) so the graph
is valid for any batch.

This file is a plain module in the ``datasets/`` folder (not a package); load it
with ``datasets/generate.py`` (``load_models()``) or add the folder to ``sys.path``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = [
    "MIN_OPSET",
    "resnet18",
    "mobilenet_v2",
    "transformer_encoder",
    "mlp",
    "small_detector",
]

#: Oldest opset the builders can emit (Split/Resize/Unsqueeze take their
#: parameters as inputs from 13 on, which is the form used here).
MIN_OPSET = 13

_PRODUCER = "workbench.datasets"


# ---------------------------------------------------------------------------
# A tiny graph builder
# ---------------------------------------------------------------------------
class _Builder:
    """Collects nodes and initializers; names every tensor after the node that makes it."""

    def __init__(self, opset: int, seed: int, bn_stats=None, calibrating: bool = False):
        if not isinstance(opset, int) or opset < MIN_OPSET:
            raise ValueError(f"opset={opset!r}: these models need opset >= {MIN_OPSET}")
        newest = onnx.defs.onnx_opset_version()
        if opset > newest:
            raise ValueError(f"opset={opset}: the installed onnx knows opsets up to {newest}")
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.names: set[str] = set()
        self._consts: dict[tuple, str] = {}
        # BatchNormalization running statistics: measured (see _calibrate_bn) or, while
        # calibrating, computed from the batch by ReduceMean nodes and exposed as outputs.
        self.bn_stats = bn_stats
        self.calibrating = calibrating
        self.calib_outputs: dict[str, tuple[str, str]] = {}

    # -- names ---------------------------------------------------------------
    def _claim(self, name: str) -> str:
        if name in self.names:
            raise ValueError(f"duplicate tensor name {name!r}")
        self.names.add(name)
        return name

    # -- initializers ----------------------------------------------------------
    def weight(self, name: str, array: np.ndarray) -> str:
        """Adds ``array`` as an initializer called ``name``; returns the name."""
        self.inits.append(numpy_helper.from_array(np.asarray(array, order="C"), self._claim(name)))
        return name

    def const(self, value, dtype=np.float32) -> str:
        """A small shared constant (scalars, shapes, axes); equal constants share one initializer."""
        arr = np.asarray(value, dtype=dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in self._consts:
            kind = "i" if arr.dtype.kind == "i" else "f"
            flat = "_".join(str(v).replace("-", "m").replace(".", "p") for v in arr.ravel()[:6])
            base = f"const_{kind}{'' if arr.ndim == 0 else str(arr.ndim) + 'd'}_{flat or 'empty'}"
            name, i = base, 1
            while name in self.names:
                name, i = f"{base}_{i}", i + 1
            self._consts[key] = self.weight(name, arr)
        return self._consts[key]

    def normal(self, shape: Sequence[int], std: float) -> np.ndarray:
        return (self.rng.standard_normal(tuple(shape)) * std).astype(np.float32)

    def uniform(self, shape: Sequence[int], lo: float, hi: float) -> np.ndarray:
        return self.rng.uniform(lo, hi, tuple(shape)).astype(np.float32)

    # -- nodes ---------------------------------------------------------------
    def node(self, op: str, inputs: Sequence[str], name: str, n_out: int = 1, out=None, **attrs):
        """Adds one node called ``name``; returns its output name(s).

        Outputs are named ``out`` (a string, or a list for several outputs) if
        given, else ``name`` (or ``name:0``, ``name:1``, ... when ``n_out > 1``).
        """
        if out is None:
            outs = [name] if n_out == 1 else [f"{name}:{i}" for i in range(n_out)]
        else:
            outs = [out] if isinstance(out, str) else list(out)
            n_out = len(outs)
        for o in outs:
            self._claim(o)
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    # -- layers shared by several models -------------------------------------
    def conv(self, x, name, cin, cout, k, stride=1, group=1, bias=False, gain=2.0):
        """Conv with He-initialised weights (``gain`` 2 for a ReLU-like input, 1 for linear)."""
        fan_in = (cin // group) * k * k
        w = self.weight(f"{name}.weight", self.normal((cout, cin // group, k, k), math.sqrt(gain / fan_in)))
        ins = [x, w]
        if bias:
            ins.append(self.weight(f"{name}.bias", self.normal((cout,), 0.05)))
        p = k // 2
        return self.node("Conv", ins, name, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[p, p, p, p], group=group, dilations=[1, 1])

    def batchnorm(self, x, name, c, gamma=(0.8, 1.2)):
        """BatchNormalization with running statistics equal to the real ones.

        ``running_mean``/``running_var`` are the per-channel statistics of the
        BN's input measured on a fixed random batch (``_calibrate_bn``), so the
        layer normalizes as in a trained network; ``gamma ~ U(*gamma)`` and
        ``beta ~ N(0, 0.1)`` then make it a non-trivial affine map that
        folding must get right.
        """
        scale = self.uniform((c,), *gamma)
        beta = self.normal((c,), 0.1)
        if self.calibrating:
            # Training-mode BN: normalize by this batch's statistics and expose them.
            axes = dict(axes=[0, 2, 3], keepdims=1)
            mean = self.node("ReduceMean", [x], f"{name}.batch_mean", **axes)
            d = self.node("Sub", [x, mean], f"{name}.centered")
            var = self.node("ReduceMean", [self.node("Mul", [d, d], f"{name}.sq")], f"{name}.batch_var", **axes)
            std = self.node("Sqrt", [self.node("Add", [var, self.const(1e-5)], f"{name}.var_eps")], f"{name}.std")
            y = self.node("Div", [d, std], f"{name}.normed")
            y = self.node("Mul", [y, self.weight(f"{name}.weight", scale.reshape(c, 1, 1))], f"{name}.scaled")
            self.calib_outputs[name] = (mean, var)
            return self.node("Add", [y, self.weight(f"{name}.bias", beta.reshape(c, 1, 1))], name)
        mean, var = self.bn_stats[name]
        ins = [x, self.weight(f"{name}.weight", scale), self.weight(f"{name}.bias", beta),
               self.weight(f"{name}.running_mean", mean), self.weight(f"{name}.running_var", var)]
        return self.node("BatchNormalization", ins, name, epsilon=1e-5, momentum=0.9)

    def matmul_add(self, x, name, fan_in, fan_out, gain=1.0):
        """``x @ W + b`` as MatMul + Add (the form a PyTorch Linear exports to on 3-D input)."""
        w = self.weight(f"{name}.weight", self.normal((fan_in, fan_out), math.sqrt(gain / fan_in)))
        b = self.weight(f"{name}.bias", self.normal((fan_out,), 0.02))
        y = self.node("MatMul", [x, w], f"{name}.matmul")
        return self.node("Add", [y, b], name)

    def gemm(self, x, name, fan_in, fan_out, gain=1.0, out=None):
        """Gemm with transB=1 (weights stored [out, in], as PyTorch exports Linear on 2-D input)."""
        w = self.weight(f"{name}.weight", self.normal((fan_out, fan_in), math.sqrt(gain / fan_in)))
        b = self.weight(f"{name}.bias", self.normal((fan_out,), 0.02))
        return self.node("Gemm", [x, w, b], name, out=out, alpha=1.0, beta=1.0, transB=1)

    def layernorm(self, x, name, c, epsilon=1e-12, out=None):
        """LayerNormalization over the last axis (opset >= 17), else its decomposition."""
        g = self.weight(f"{name}.weight", self.uniform((c,), 0.9, 1.1))
        b = self.weight(f"{name}.bias", self.normal((c,), 0.02))
        if self.opset >= 17:
            return self.node("LayerNormalization", [x, g, b], name, out=out, axis=-1, epsilon=epsilon)
        mean = self.node("ReduceMean", [x], f"{name}.mean", axes=[-1], keepdims=1)
        d = self.node("Sub", [x, mean], f"{name}.centered")
        sq = self.node("Pow", [d, self.const(2.0)], f"{name}.sq")
        var = self.node("ReduceMean", [sq], f"{name}.var", axes=[-1], keepdims=1)
        std = self.node("Sqrt", [self.node("Add", [var, self.const(epsilon)], f"{name}.var_eps")], f"{name}.std")
        y = self.node("Div", [d, std], f"{name}.normed")
        return self.node("Add", [self.node("Mul", [y, g], f"{name}.scaled"), b], name, out=out)

    def split(self, x, name, sizes, axis, out=None):
        return self.node("Split", [x, self.const(list(sizes), np.int64)], name, n_out=len(sizes), out=out, axis=axis)

    # -- finishing -------------------------------------------------------------
    def model(self, graph_name, inputs, outputs, doc, meta) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, initializer=self.inits)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", self.opset)],
            ir_version=_ir_version(self.opset),
            producer_name=_PRODUCER,
            producer_version="1",
            doc_string=doc,
        )
        helper.set_model_props(model, {k: str(v) for k, v in meta.items()})
        return model


def _ir_version(opset: int) -> int:
    """The oldest IR version that can carry ``opset`` (keeps files loadable by older runtimes)."""
    for _release, ir, op, *_ in helper.VERSION_TABLE:
        if op >= opset:
            return ir
    return onnx.IR_VERSION


def _dim(value: int, dynamic: bool, symbol: str):
    return symbol if dynamic else int(value)


def _check_positive(**kw):
    for k, v in kw.items():
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{k}={v!r}: must be a positive integer")


def _float_input(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def _round_significant(a: np.ndarray, digits: int = 4) -> np.ndarray:
    """Rounds to ``digits`` significant digits, so last-bit differences between
    machines' floating-point sums do not change the stored statistics."""
    a = np.asarray(a, np.float64)
    exp = np.floor(np.log10(np.maximum(np.abs(a), 1e-30)))
    q = 10.0 ** (exp - digits + 1)
    return (np.round(a / q) * q).astype(np.float32)


def _calibrate_bn(body, seed: int, image: int = 128, batch: int = 4) -> dict:
    """Measures every BatchNormalization's input statistics for the CNN ``body(builder)``.

    Builds the network once in "training mode" (BN normalizes by the batch's
    own mean/variance, computed with ReduceMean nodes), runs it in
    onnxruntime on a fixed random batch (standard normal, seeded by ``seed``)
    and returns ``{bn_name: (running_mean, running_var)}``. The weights do not
    depend on the image size, so a small calibration image serves every size.
    """
    import onnxruntime as ort  # only needed to build the CNNs

    g = _Builder(17, seed, calibrating=True)
    body(g)
    names = [n for pair in g.calib_outputs.values() for n in pair]
    graph = helper.make_graph(
        g.nodes, "calibration", [_float_input("input", [batch, 3, image, image])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names], initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=_ir_version(17))
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # the classifier head is unused here; do not warn about it
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng([seed, 1]).standard_normal((batch, 3, image, image)).astype(np.float32)
    values = dict(zip(names, sess.run(names, {"input": x})))
    return {bn: (_round_significant(values[m].ravel()), _round_significant(values[v].ravel()))
            for bn, (m, v) in g.calib_outputs.items()}


# ---------------------------------------------------------------------------
# ResNet-18
# ---------------------------------------------------------------------------
def resnet18(batch: int = 1, image: int = 224, num_classes: int = 1000, *, opset: int = 17,
             dynamic_batch: bool = False, seed: int = 0) -> onnx.ModelProto:
    """ResNet-18 (He et al. 2015), laid out as torchvision's export.

    Input ``input`` [batch, 3, image, image] float32; output ``logits``
    [batch, num_classes]. Conv 7x7/2 + BN + Relu, MaxPool 3x3/2, four stages
    of two BasicBlocks (64/128/256/512 channels; the first block of stages
    2-4 has stride 2 and a 1x1 conv + BN downsample on the shortcut),
    GlobalAveragePool, Flatten, Gemm. BatchNormalization nodes are kept
    separate from the convs (folding them is the compiler's job).
    ``image`` must be a multiple of 32 (the network downsamples 32x).
    """
    _check_positive(batch=batch, image=image, num_classes=num_classes)
    if image % 32:
        raise ValueError(f"image={image}: ResNet-18 needs a multiple of 32")

    def body(g):
        x = g.node("Relu", [g.batchnorm(g.conv("input", "conv1", 3, 64, 7, stride=2, gain=1.0), "bn1", 64)], "relu")
        x = g.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        cin = 64
        for stage, cout in enumerate((64, 128, 256, 512), start=1):
            for block in range(2):
                p = f"layer{stage}.{block}"
                stride = 2 if (block == 0 and stage > 1) else 1
                y = g.conv(x, f"{p}.conv1", cin, cout, 3, stride=stride)
                y = g.node("Relu", [g.batchnorm(y, f"{p}.bn1", cout)], f"{p}.relu1")
                y = g.conv(y, f"{p}.conv2", cout, cout, 3)
                # A smaller gamma on the block's last BN keeps the residual stream from growing.
                y = g.batchnorm(y, f"{p}.bn2", cout, gamma=(0.3, 0.6))
                if stride != 1 or cin != cout:
                    sc = g.conv(x, f"{p}.downsample.0", cin, cout, 1, stride=stride)
                    sc = g.batchnorm(sc, f"{p}.downsample.1", cout)
                else:
                    sc = x
                x = g.node("Relu", [g.node("Add", [y, sc], f"{p}.add")], f"{p}.relu2")
                cin = cout
        x = g.node("GlobalAveragePool", [x], "avgpool")
        x = g.node("Flatten", [x], "flatten", axis=1)
        g.gemm(x, "fc", 512, num_classes, gain=2.0, out="logits")

    g = _Builder(opset, seed, bn_stats=_calibrate_bn(body, seed))
    body(g)
    n = _dim(batch, dynamic_batch, "N")
    return g.model(
        "resnet18",
        [_float_input("input", [n, 3, image, image])],
        [_float_input("logits", [n, num_classes])],
        "ResNet-18 with random fixed weights (workbench datasets).",
        dict(model="resnet18", batch=batch, image=image, num_classes=num_classes, seed=seed),
    )


# ---------------------------------------------------------------------------
# MobileNetV2
# ---------------------------------------------------------------------------
#: (expansion t, output channels c, repeats n, first stride s), from the paper's Table 2.
MOBILENET_V2_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def mobilenet_v2(batch: int = 1, image: int = 224, num_classes: int = 1000, *, opset: int = 17,
                 dynamic_batch: bool = False, seed: int = 0) -> onnx.ModelProto:
    """MobileNetV2 (Sandler et al. 2018), width 1.0, laid out as torchvision's export.

    Input ``input`` [batch, 3, image, image]; output ``logits`` [batch, num_classes].
    Conv 3x3/2 (32) + BN + ReLU6, 17 inverted residual blocks from
    ``MOBILENET_V2_SETTINGS`` (1x1 expand + BN + ReLU6 when t > 1, 3x3
    depthwise conv with group=C + BN + ReLU6, 1x1 linear projection + BN,
    residual Add when stride 1 and channels match), 1x1 conv to 1280 + BN +
    ReLU6, GlobalAveragePool, Reshape to [batch, 1280], Gemm.
    ReLU6 is ``Clip(x, 0, 6)`` with min/max as inputs. ``image`` must be a
    multiple of 32.
    """
    _check_positive(batch=batch, image=image, num_classes=num_classes)
    if image % 32:
        raise ValueError(f"image={image}: MobileNetV2 needs a multiple of 32")

    def body(g):
        lo, hi = g.const(0.0), g.const(6.0)

        def relu6(x, name):
            return g.node("Clip", [x, lo, hi], name)

        def conv_bn(x, name, cin, cout, k, stride=1, group=1, act=True, gamma=(0.8, 1.2), gain=2.0):
            y = g.batchnorm(g.conv(x, f"{name}.0", cin, cout, k, stride, group, gain=gain), f"{name}.1", cout, gamma=gamma)
            return relu6(y, f"{name}.2") if act else y

        x = conv_bn("input", "features.0", 3, 32, 3, stride=2, gain=1.0)
        cin, idx = 32, 1
        for t, c, n, s in MOBILENET_V2_SETTINGS:
            for i in range(n):
                stride = s if i == 0 else 1
                hidden = cin * t
                p = f"features.{idx}.conv"
                y, j = x, 0
                if t != 1:
                    y = conv_bn(y, f"{p}.{j}", cin, hidden, 1)
                    j += 1
                y = conv_bn(y, f"{p}.{j}", hidden, hidden, 3, stride=stride, group=hidden)
                residual = stride == 1 and cin == c
                # The projection is linear (no ReLU6); smaller gamma on residual blocks keeps the sum O(1).
                y = g.batchnorm(g.conv(y, f"{p}.{j + 1}", hidden, c, 1), f"{p}.{j + 2}", c,
                                gamma=(0.3, 0.6) if residual else (0.8, 1.2))
                x = g.node("Add", [x, y], f"features.{idx}.add") if residual else y
                cin, idx = c, idx + 1
        x = conv_bn(x, f"features.{idx}", cin, 1280, 1, gain=1.0)
        x = g.node("GlobalAveragePool", [x], "avgpool")
        x = g.node("Reshape", [x, g.const([0, -1], np.int64)], "flatten")
        g.gemm(x, "classifier", 1280, num_classes, gain=2.0, out="logits")

    g = _Builder(opset, seed, bn_stats=_calibrate_bn(body, seed))
    body(g)
    n = _dim(batch, dynamic_batch, "N")
    return g.model(
        "mobilenet_v2",
        [_float_input("input", [n, 3, image, image])],
        [_float_input("logits", [n, num_classes])],
        "MobileNetV2 (width 1.0) with random fixed weights (workbench datasets).",
        dict(model="mobilenet_v2", batch=batch, image=image, num_classes=num_classes, seed=seed),
    )


# ---------------------------------------------------------------------------
# Transformer encoder block (BERT-base layout)
# ---------------------------------------------------------------------------
def transformer_encoder(batch: int = 1, seq: int = 128, hidden: int = 768, heads: int = 12, ffn: int = 3072, *,
                        attention_mask: bool = False, opset: int = 17, dynamic_batch: bool = False,
                        dynamic_seq: bool = False, seed: int = 0) -> onnx.ModelProto:
    """One BERT-base encoder layer (post-LayerNorm), as exported from PyTorch.

    Input ``input`` [batch, seq, hidden] float32 (already embedded tokens);
    output ``output`` [batch, seq, hidden]. With ``attention_mask=True`` a
    second input ``attention_mask`` [batch, seq] int64 (1 = attend, 0 = padding)
    adds ``(1 - mask) * -10000`` to the attention scores, as BERT does.

    Q/K/V = MatMul + Add; Reshape to [b, s, heads, d] and Transpose to
    [b, heads, s, d] (K to [b, heads, d, s]); scores = MatMul(Q, K) / sqrt(d);
    Softmax; MatMul with V; Transpose + Reshape back; output projection;
    residual Add; LayerNormalization; FFN MatMul + Add, GELU written with Erf
    (``x * 0.5 * (1 + erf(x / sqrt(2)))``; the Gelu op only exists from opset 20),
    MatMul + Add; residual Add; LayerNormalization.
    """
    _check_positive(batch=batch, seq=seq, hidden=hidden, heads=heads, ffn=ffn)
    if hidden % heads:
        raise ValueError(f"hidden={hidden} is not divisible by heads={heads}")
    d = hidden // heads
    g = _Builder(opset, seed)
    x = "input"
    p = "encoder.layer.0"
    heads_shape = g.const([0, 0, heads, d], np.int64)

    def to_heads(t, name, perm):
        r = g.node("Reshape", [t, heads_shape], f"{name}.reshape")
        return g.node("Transpose", [r], f"{name}.transpose", perm=perm)

    q = to_heads(g.matmul_add(x, f"{p}.attention.self.query", hidden, hidden), f"{p}.attention.self.query", [0, 2, 1, 3])
    k = to_heads(g.matmul_add(x, f"{p}.attention.self.key", hidden, hidden), f"{p}.attention.self.key", [0, 2, 3, 1])
    v = to_heads(g.matmul_add(x, f"{p}.attention.self.value", hidden, hidden), f"{p}.attention.self.value", [0, 2, 1, 3])
    scores = g.node("MatMul", [q, k], f"{p}.attention.self.scores")
    scores = g.node("Div", [scores, g.const(math.sqrt(d))], f"{p}.attention.self.scaled")
    inputs = [_float_input("input", [_dim(batch, dynamic_batch, "N"), _dim(seq, dynamic_seq, "S"), hidden])]
    if attention_mask:
        inputs.append(helper.make_tensor_value_info(
            "attention_mask", TensorProto.INT64, [_dim(batch, dynamic_batch, "N"), _dim(seq, dynamic_seq, "S")]))
        m = g.node("Unsqueeze", ["attention_mask", g.const([1, 2], np.int64)], "mask.unsqueeze")  # [b, 1, 1, s]
        m = g.node("Cast", [m], "mask.cast", to=TensorProto.FLOAT)
        m = g.node("Sub", [g.const(1.0), m], "mask.invert")
        m = g.node("Mul", [m, g.const(-10000.0)], "mask.bias")
        scores = g.node("Add", [scores, m], f"{p}.attention.self.masked")
    probs = g.node("Softmax", [scores], f"{p}.attention.self.softmax", axis=-1)
    ctx = g.node("MatMul", [probs, v], f"{p}.attention.self.context")
    ctx = g.node("Transpose", [ctx], f"{p}.attention.self.context.transpose", perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, g.const([0, 0, hidden], np.int64)], f"{p}.attention.self.context.reshape")
    att = g.matmul_add(ctx, f"{p}.attention.output.dense", hidden, hidden)
    att = g.node("Add", [att, x], f"{p}.attention.output.residual")
    att = g.layernorm(att, f"{p}.attention.output.LayerNorm", hidden)
    h = g.matmul_add(att, f"{p}.intermediate.dense", hidden, ffn)
    e = g.node("Erf", [g.node("Div", [h, g.const(math.sqrt(2.0))], f"{p}.intermediate.gelu.div")],
               f"{p}.intermediate.gelu.erf")
    e = g.node("Add", [e, g.const(1.0)], f"{p}.intermediate.gelu.add")
    h = g.node("Mul", [h, e], f"{p}.intermediate.gelu.mul")
    h = g.node("Mul", [h, g.const(0.5)], f"{p}.intermediate.gelu")
    out = g.matmul_add(h, f"{p}.output.dense", ffn, hidden, gain=2.0)
    out = g.node("Add", [out, att], f"{p}.output.residual")
    g.layernorm(out, f"{p}.output.LayerNorm", hidden, out="output")
    return g.model(
        "transformer_encoder",
        inputs,
        [_float_input("output", [_dim(batch, dynamic_batch, "N"), _dim(seq, dynamic_seq, "S"), hidden])],
        "One BERT-style encoder layer with random fixed weights (workbench datasets).",
        dict(model="transformer_encoder", batch=batch, seq=seq, hidden=hidden, heads=heads, ffn=ffn,
             attention_mask=attention_mask, seed=seed),
    )


# ---------------------------------------------------------------------------
# MLP
# ---------------------------------------------------------------------------
def mlp(batch: int = 8, sizes: Sequence[int] = (784, 512, 256, 10), *, opset: int = 17,
        dynamic_batch: bool = False, seed: int = 0) -> onnx.ModelProto:
    """A multi-layer perceptron: (Gemm + Relu) per hidden layer, a last Gemm, Softmax.

    Input ``input`` [batch, sizes[0]]; output ``probs`` [batch, sizes[-1]]
    (rows sum to 1). Gemm weights are stored [out, in] with transB=1.
    """
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes={sizes}: need at least an input and an output size")
    _check_positive(batch=batch, **{f"sizes[{i}]": s for i, s in enumerate(sizes)})
    g = _Builder(opset, seed)
    x = "input"
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        x = g.gemm(x, f"fc{i + 1}", a, b, gain=1.0 if i == 0 else 2.0)
        if not last:
            x = g.node("Relu", [x], f"relu{i + 1}")
    g.node("Softmax", [x], "softmax", out="probs", axis=-1)
    n = _dim(batch, dynamic_batch, "N")
    return g.model(
        "mlp",
        [_float_input("input", [n, sizes[0]])],
        [_float_input("probs", [n, sizes[-1]])],
        "A multi-layer perceptron with random fixed weights (workbench datasets).",
        dict(model="mlp", batch=batch, sizes=",".join(map(str, sizes)), seed=seed),
    )


# ---------------------------------------------------------------------------
# A small YOLO-like detector
# ---------------------------------------------------------------------------
def small_detector(batch: int = 1, image: int = 128, num_classes: int = 4, anchors: int = 3, *, opset: int = 17,
                   dynamic_batch: bool = False, seed: int = 0) -> onnx.ModelProto:
    """A small two-scale YOLO-style detector (about 35 nodes).

    Input ``input`` [batch, 3, image, image]. Backbone: four Conv 3x3/2 + SiLU
    (SiLU written as ``x * Sigmoid(x)``) down to stride 16; neck: 1x1 conv +
    SiLU on the stride-16 map, Resize x2 (nearest, ``scales`` input), Concat
    with the stride-8 map, 3x3 conv + SiLU; heads: a 1x1 conv per scale to
    ``anchors * (5 + num_classes)`` channels, Reshape/Transpose/Reshape to
    [batch, cells, 5 + num_classes], Concat of both scales, Split into
    box (4) / objectness (1) / class (num_classes), Sigmoid on objectness and
    classes. Outputs: ``boxes`` [batch, P, 4] (raw box regressions) and
    ``scores`` [batch, P, num_classes] = sigmoid(obj) * sigmoid(cls), where
    P = anchors * ((image/8)^2 + (image/16)^2). ``image`` must be a multiple of 16.
    """
    _check_positive(batch=batch, image=image, num_classes=num_classes, anchors=anchors)
    if image % 16:
        raise ValueError(f"image={image}: the detector needs a multiple of 16")
    g = _Builder(opset, seed)

    # Gain 2.8 = 1 / E[silu(z)^2] for z ~ N(0, 1): keeps the conv outputs at unit variance.
    def conv_silu(x, name, cin, cout, k, stride=1, gain=2.8):
        y = g.conv(x, f"{name}.conv", cin, cout, k, stride, bias=True, gain=gain)
        return g.node("Mul", [y, g.node("Sigmoid", [y], f"{name}.sigmoid")], name)

    x = conv_silu("input", "backbone.0", 3, 16, 3, 2, gain=1.0)   # /2
    x = conv_silu(x, "backbone.1", 16, 32, 3, 2)                   # /4
    p3 = conv_silu(x, "backbone.2", 32, 64, 3, 2)                  # /8
    p4 = conv_silu(p3, "backbone.3", 64, 128, 3, 2)                # /16
    lat = conv_silu(p4, "neck.lateral", 128, 64, 1)
    up = g.node("Resize", [lat, "", g.const([1.0, 1.0, 2.0, 2.0])], "neck.upsample", mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    cat = g.node("Concat", [up, p3], "neck.concat", axis=1)
    n3 = conv_silu(cat, "neck.fuse", 128, 64, 3)
    per = 5 + num_classes
    heads = []
    for name, feat, c, stride in (("head.p3", n3, 64, 8), ("head.p4", p4, 128, 16)):
        cells = (image // stride) ** 2
        y = g.conv(feat, f"{name}.conv", c, anchors * per, 1, bias=True, gain=2.8)
        y = g.node("Reshape", [y, g.const([0, anchors, per, cells], np.int64)], f"{name}.reshape")
        y = g.node("Transpose", [y], f"{name}.transpose", perm=[0, 1, 3, 2])     # [b, anchors, cells, per]
        heads.append(g.node("Reshape", [y, g.const([0, anchors * cells, per], np.int64)], f"{name}.flatten"))
    pred = g.node("Concat", heads, "head.concat", axis=1)
    box, obj, cls = g.split(pred, "head.split", [4, 1, num_classes], axis=2,
                            out=["boxes", "head.objectness_logit", "head.class_logit"])
    obj = g.node("Sigmoid", [obj], "head.objectness")
    cls = g.node("Sigmoid", [cls], "head.class_prob")
    g.node("Mul", [obj, cls], "head.scores", out="scores")
    n = _dim(batch, dynamic_batch, "N")
    total = anchors * ((image // 8) ** 2 + (image // 16) ** 2)
    return g.model(
        "small_detector",
        [_float_input("input", [n, 3, image, image])],
        [_float_input("boxes", [n, total, 4]), _float_input("scores", [n, total, num_classes])],
        "A small two-scale YOLO-style detector with random fixed weights (workbench datasets).",
        dict(model="small_detector", batch=batch, image=image, num_classes=num_classes, anchors=anchors, seed=seed),
    )
