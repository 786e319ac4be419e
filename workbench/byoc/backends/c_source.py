"""Readable C for a partition: one function, one commented loop nest per operator, static shapes.

The function takes the partition's inputs, then its weights, then its outputs,
all as float pointers (``void c_0(const float *in0, const float *w0, float *out0)``).
Intermediates live in static arrays. Composite calls conv2d + bias (+ relu) and
dense + bias (+ relu) become one loop nest with the bias and relu in it.

>>> print(c_source(part.function, "c_0"))   # doctest: +SKIP
"""
from __future__ import annotations

import math

import numpy as np

from ...graph.expr import Call, Constant, Function, Tuple
from ...graph.functor import post_order

UNARY = {"nn.relu": "{x} > 0.0f ? {x} : 0.0f", "exp": "expf({x})", "tanh": "tanhf({x})",
         "sigmoid": "1.0f / (1.0f + expf(-{x}))", "erf": "erff({x})", "sqrt": "sqrtf({x})",
         "negative": "-{x}", "abs": "fabsf({x})"}
BINARY = {"add": "{a} + {b}", "subtract": "{a} - {b}", "multiply": "{a} * {b}", "divide": "{a} / {b}",
          "maximum": "fmaxf({a}, {b})", "minimum": "fminf({a}, {b})"}


def _strides(shape) -> list:
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= s
    return out[::-1]


def _float(v) -> str:
    v = float(v)
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return repr(v) + "f" if "." in repr(v) or "e" in repr(v) else f"{v:.1f}f"


class _Emitter:
    def __init__(self, fn: Function, name: str):
        self.fn, self.name = fn, name
        self.names: dict = {}
        self.params: list = []        # C parameter declarations
        self.weights: list = []       # Constants passed at run time, in order
        self.statics: list = []
        self.body: list = []
        outs = list(fn.body.fields) if isinstance(fn.body, Tuple) else [fn.body]
        for k, p in enumerate(fn.params):
            self.names[id(p)] = f"in{k}"
            self.params.append(f"const float *restrict in{k}")
        self.out_names = {}
        for k, o in enumerate(outs):
            self.out_names.setdefault(id(o), f"out{k}")

    def ref(self, e) -> str:
        if id(e) in self.names:
            return self.names[id(e)]
        if isinstance(e, Constant):
            k = len(self.weights)
            self.weights.append(e)
            self.names[id(e)] = f"w{k}"
            return self.names[id(e)]
        raise KeyError(e)

    def scalar(self, e) -> str | None:
        if isinstance(e, Constant) and e.data.size == 1:
            return _float(e.data.reshape(()).item())
        return None

    def buffer(self, e) -> str:
        """The C name a call writes its result to (an output pointer or a static array)."""
        if id(e) in self.out_names:
            name = self.out_names[id(e)]
        else:
            name = f"t{len(self.statics)}"
            self.statics.append(f"static float {name}[{max(1, e.type.size)}];")
        self.names[id(e)] = name
        return name

    def emit(self, *lines):
        self.body.extend(lines)

    # ---------------------------------------------------------------- operators

    def call(self, n: Call) -> None:
        if isinstance(n.op, Function):
            ops = [m.op.name for m in post_order(n.op.body) if isinstance(m, Call)]
            args = dict(zip([id(p) for p in n.op.params], n.args))
            root = n.op.body
            relu = root.op.name == "nn.relu"
            add = root.args[0] if relu else root
            heavy = add.args[0]
            bias = args[id(add.args[1])]
            x, w = (args.get(id(a), a) for a in heavy.args)
            self.emit(f"  /* {n.op.attrs['Composite']}: {' + '.join(ops)}{'  ' + n.name if n.name else ''} */")
            if heavy.op.name == "nn.conv2d":
                self.conv2d(n, heavy, x, w, bias, relu)
            else:
                self.dense(n, heavy, x, w, bias, relu)
            return
        op = n.op.name
        self.emit(f"  /* {op}{'  ' + n.name if n.name else ''}: {n.type} */")
        emit = getattr(self, "op_" + op.replace("nn.", "").replace(".", "_"), None)
        (emit or self.elementwise)(n)

    def elementwise(self, n: Call):
        op = n.op.name
        y, size = self.buffer(n), n.type.size
        if op in UNARY:
            x = self.ref(n.args[0])
            self.emit(f"  for (long i = 0; i < {size}; ++i) {y}[i] = {UNARY[op].format(x=x + '[i]')};")
            return
        a, b = n.args
        sa, sb = self.scalar(a), self.scalar(b)
        shape = n.type.shape
        ia = sa or self.index(a, shape)
        ib = sb or self.index(b, shape)
        loops, idx = self.loops(shape)
        self.emit(*loops, f"  {'  ' * len(shape)}{y}[{idx}] = {BINARY[op].format(a=ia, b=ib)};")

    def index(self, e, shape) -> str:
        """``name[offset]`` of ``e`` read at output index (i0, i1, ...), with numpy broadcasting."""
        es = (1,) * (len(shape) - len(e.type.shape)) + tuple(e.type.shape)
        st = _strides(es)
        terms = [f"i{d}" if st[d] == 1 else f"i{d} * {st[d]}" for d in range(len(shape)) if es[d] != 1]
        return f"{self.ref(e)}[{' + '.join(terms) or '0'}]"

    def loops(self, shape) -> tuple:
        st = _strides(shape)
        lines = [f"  {'  ' * d}for (long i{d} = 0; i{d} < {s}; ++i{d})" for d, s in enumerate(shape)]
        idx = " + ".join(f"i{d}" if st[d] == 1 else f"i{d} * {st[d]}" for d in range(len(shape))) or "0"
        return lines, idx

    def op_reshape(self, n):
        y, x = self.buffer(n), self.ref(n.args[0])
        self.emit(f"  for (long i = 0; i < {n.type.size}; ++i) {y}[i] = {x}[i];")

    def op_transpose(self, n):
        x = n.args[0]
        axes = n.attrs.get("axes") or tuple(reversed(range(x.type.ndim)))
        axes = [a % x.type.ndim for a in axes]
        y, xs = self.buffer(n), _strides(x.type.shape)
        loops, idx = self.loops(n.type.shape)
        src = " + ".join(f"i{d} * {xs[a]}" for d, a in enumerate(axes))
        self.emit(*loops, f"  {'  ' * len(axes)}{y}[{idx}] = {self.ref(x)}[{src}];")

    def op_conv2d(self, n):
        self.conv2d(n, n, *n.args, None, False)

    def op_dense(self, n):
        self.dense(n, n, *n.args, None, False)

    def conv2d(self, n, conv, x, w, bias, relu):
        y = self.buffer(n)
        N, C, H, W = x.type.shape
        OC, IC, KH, KW = w.type.shape
        _, _, OH, OW = conv.type.shape
        SH, SW = conv.attrs["strides"]
        PT, PL, _, _ = conv.attrs["padding"]
        DH, DW = conv.attrs["dilation"]
        init = f"{self.ref(bias)}[oc]" if bias is not None else "0.0f"
        X, Wt = self.ref(x), self.ref(w)
        self.emit(
            f"  for (int n = 0; n < {N}; ++n)",
            f"    for (int oc = 0; oc < {OC}; ++oc) {{",
            f"      float *yp = {y} + (n * {OC} + oc) * {OH * OW};",
            f"      for (int i = 0; i < {OH * OW}; ++i) yp[i] = {init};",
            f"      for (int ic = 0; ic < {IC}; ++ic) {{",
            f"        const float *xp = {X} + (n * {C} + ic) * {H * W};",
            f"        for (int kh = 0; kh < {KH}; ++kh)",
            f"          for (int kw = 0; kw < {KW}; ++kw) {{",
            f"            const float wv = {Wt}[((oc * {IC} + ic) * {KH} + kh) * {KW} + kw];",
            f"            const int t = {PL} - kw * {DW};  /* ow * {SW} - t is the input column */",
            f"            const int lo = t > 0 ? (t + {SW - 1}) / {SW} : 0;",
            f"            const int hi = {W - 1} + t < 0 ? 0 : min_int({OW}, ({W - 1} + t) / {SW} + 1);",
            f"            for (int oh = 0; oh < {OH}; ++oh) {{",
            f"              const int ih = oh * {SH} - {PT} + kh * {DH};",
            f"              if (ih < 0 || ih >= {H}) continue;",
            "              for (int ow = lo; ow < hi; ++ow)",
            f"                yp[oh * {OW} + ow] += wv * xp[ih * {W} + ow * {SW} - t];",
            "            }",
            "          }",
            "      }",
            *([f"      for (int i = 0; i < {OH * OW}; ++i) yp[i] = yp[i] > 0.0f ? yp[i] : 0.0f;"] if relu else []),
            "    }")

    def dense(self, n, dense, x, w, bias, relu):
        y = self.buffer(n)
        K = x.type.shape[-1]
        M = x.type.size // max(K, 1)
        N = w.type.shape[0]
        init = f"{self.ref(bias)}[j]" if bias is not None else "0.0f"
        act = "acc > 0.0f ? acc : 0.0f" if relu else "acc"
        X, Wt = self.ref(x), self.ref(w)
        self.emit(
            f"  for (int i = 0; i < {M}; ++i)",
            f"    for (int j = 0; j < {N}; ++j) {{",
            f"      float acc = {init};",
            f"      for (int k = 0; k < {K}; ++k) acc += {X}[i * {K} + k] * {Wt}[j * {K} + k];",
            f"      {y}[i * {N} + j] = {act};",
            "    }")

    def op_matmul(self, n):
        a, b = n.args
        y = self.buffer(n)
        *batch, M, N = n.type.shape
        K = a.type.shape[-1]
        lines, idx = self.loops(batch)
        pa, pb = self._batch_offset(a, batch, M * K), self._batch_offset(b, batch, K * N)
        pad = "  " * len(batch)
        self.emit(*lines, f"  {pad}{{",
                  f"  {pad}  float *yp = {y} + ({idx}) * {M * N};",
                  f"  {pad}  const float *ap = {self.ref(a)} + {pa}, *bp = {self.ref(b)} + {pb};",
                  f"  {pad}  for (int i = 0; i < {M * N}; ++i) yp[i] = 0.0f;",
                  f"  {pad}  for (int i = 0; i < {M}; ++i)",
                  f"  {pad}    for (int k = 0; k < {K}; ++k)",
                  f"  {pad}      for (int j = 0; j < {N}; ++j)",
                  f"  {pad}        yp[i * {N} + j] += ap[i * {K} + k] * bp[k * {N} + j];",
                  f"  {pad}}}")

    def _batch_offset(self, e, batch, mat) -> str:
        eb = tuple(e.type.shape[:-2])
        eb = (1,) * (len(batch) - len(eb)) + eb
        st = _strides(eb)
        terms = [f"i{d} * {st[d] * mat}" for d in range(len(batch)) if eb[d] != 1]
        return " + ".join(terms) or "0"

    def op_max_pool2d(self, n):
        x = n.args[0]
        y, X = self.buffer(n), self.ref(x)
        N, C, H, W = x.type.shape
        _, _, OH, OW = n.type.shape
        KH, KW = n.attrs["pool_size"]
        SH, SW = n.attrs["strides"]
        PT, PL, _, _ = n.attrs["padding"]
        DH, DW = n.attrs["dilation"]
        self.emit(
            f"  for (int nc = 0; nc < {N * C}; ++nc)",
            f"    for (int oh = 0; oh < {OH}; ++oh)",
            f"      for (int ow = 0; ow < {OW}; ++ow) {{",
            "        float m = -INFINITY;",
            f"        for (int kh = 0; kh < {KH}; ++kh)",
            f"          for (int kw = 0; kw < {KW}; ++kw) {{",
            f"            const int ih = oh * {SH} - {PT} + kh * {DH}, iw = ow * {SW} - {PL} + kw * {DW};",
            f"            if (ih >= 0 && ih < {H} && iw >= 0 && iw < {W}) m = fmaxf(m, {X}[(nc * {H} + ih) * {W} + iw]);",
            "          }",
            f"        {y}[(nc * {OH} + oh) * {OW} + ow] = m;",
            "      }")

    def op_global_avg_pool2d(self, n):
        x = n.args[0]
        y, X = self.buffer(n), self.ref(x)
        N, C, H, W = x.type.shape
        self.emit(
            f"  for (int nc = 0; nc < {N * C}; ++nc) {{",
            "    float s = 0.0f;",
            f"    for (int i = 0; i < {H * W}; ++i) s += {X}[nc * {H * W} + i];",
            f"    {y}[nc] = s / {H * W}.0f;",
            "  }")

    # ---------------------------------------------------------------- the file

    def source(self) -> str:
        for n in post_order(self.fn.body):
            if isinstance(n, Call):
                self.call(n)
        # weights are named as they are first used, so the parameter list is complete only now
        decl = self.params + [f"const float *restrict w{k}" for k in range(len(self.weights))] + \
            [f"float *restrict out{k}" for k in range(len(set(self.out_names.values())))]
        ins = ", ".join(f"in{k}: {p.type}" for k, p in enumerate(self.fn.params))
        ws = ", ".join(f"w{k}: {c.name or 'const'} {c.type}" for k, c in enumerate(self.weights))
        head = [f"/* {self.name}: generated by workbench.byoc's C backend.",
                f"   inputs: {ins or 'none'}", f"   weights: {ws or 'none'}",
                f"   outputs: {', '.join(str(t) for t in _out_types(self.fn))} */",
                "#include <math.h>", "",
                "static inline int min_int(int a, int b) { return a < b ? a : b; }", ""]
        return "\n".join(head + self.statics + ([""] if self.statics else []) +
                         [f"void {self.name}({', '.join(decl)}) {{"] + self.body + ["}", ""])


def _out_types(fn: Function) -> list:
    t = fn.ret_type
    return list(t.fields) if hasattr(t, "fields") else [t]


def c_source(fn: Function, name: str) -> tuple:
    """(C source text, the constants to pass as weights in order) for a partition function."""
    e = _Emitter(fn, name)
    text = e.source()
    return text, [np.ascontiguousarray(c.data, dtype="float32") for c in e.weights]
