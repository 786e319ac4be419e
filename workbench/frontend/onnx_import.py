"""ONNX -> graph Module: load the file, make parameters and constants, convert node by node.

The driver walks the graph's nodes in order. For each node it

1. folds it with ONNX's reference evaluator when every input is a constant (shape arithmetic);
2. otherwise calls the converter registered for its op type (``onnx_ops_*.CONVERTERS``);
3. otherwise, if ONNX defines the op as a function of simpler ops, converts that expansion.

Nodes that cannot be converted do not stop the walk: they are collected (their outputs are
marked unknown) and reported together in one OnnxImportError at the end.

>>> from workbench.frontend import from_onnx
>>> mod = from_onnx("model.onnx", shapes={"input": (1, 3, 224, 224)})   # doctest: +SKIP
"""
from __future__ import annotations

import itertools
import os
import pathlib

import numpy as np

from ..errors import TypeCheckError, WorkbenchError
from ..graph.expr import Constant, Function, Module, Tuple, Var
from ..graph.types import TensorType
from .onnx_common import ONNX_DTYPES, Context, Node, OnnxImportError, Unsupported, onnx_dtype
from .onnx_fold import fold_node, foldable
from .onnx_ops_math import CONVERTERS as _MATH
from .onnx_ops_einsum import CONVERTERS as _EINSUM
from .onnx_ops_image import CONVERTERS as _IMAGE
from .onnx_ops_nn import CONVERTERS as _NN
from .onnx_ops_tensor import CONVERTERS as _TENSOR

CONVERTERS = {**_MATH, **_NN, **_IMAGE, **_EINSUM, **_TENSOR}
_ONNX_CODES = {v: k for k, v in ONNX_DTYPES.items()}


def supported_ops() -> list:
    """The ONNX op types with a converter (functions ONNX defines by expansion work too)."""
    return sorted(CONVERTERS)


def lookup(op_type: str, opset: int):
    """The converter of ``op_type`` at ``opset``: a function, or a dict {since_opset: function}."""
    conv = CONVERTERS.get(op_type)
    if isinstance(conv, dict):
        versions = [v for v in conv if v <= opset]
        return conv[max(versions)] if versions else None
    return conv


def from_onnx(model, shapes: dict | None = None, dtypes: dict | str | None = None,
              bind: dict | None = None) -> Module:
    """Import an ONNX model (a path or a ModelProto) as a graph Module.

    ``shapes`` gives static shapes for inputs with symbolic dimensions (and may override
    others); ``dtypes`` overrides input dtypes (a dict by input name, or one dtype for all);
    ``bind`` fixes inputs to given arrays, which become constants instead of parameters
    (useful when an input is a shape, e.g. the target of a Reshape).
    The main function's parameters are the graph inputs that are not initializers, named
    as in ONNX; one output makes the body that value, several make a Tuple.

    >>> import onnx
    >>> from onnx import helper, TensorProto
    >>> g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
    >>> mod = from_onnx(helper.make_model(g), shapes={"x": (2, 4)})
    >>> mod.main.params[0].type
    TensorType(shape=(2, 4), dtype='float32')
    """
    proto, source = _load(model)
    return _Importer(proto, source, shapes or {}, dtypes, bind or {}).run()


def _load(model):
    import onnx
    if isinstance(model, onnx.ModelProto):
        return model, "<ModelProto>"
    if isinstance(model, (str, os.PathLike)):
        path = pathlib.Path(model)
        if not path.is_file():
            raise OnnxImportError(f"ONNX file {str(path)!r} does not exist")
        data = path.read_bytes()
        proto = onnx.ModelProto()
        try:
            proto.ParseFromString(data)
        except Exception as e:  # protobuf's DecodeError and friends
            raise OnnxImportError(f"could not parse {str(path)!r} as an ONNX model ({len(data)} bytes): "
                                  f"{type(e).__name__}: {e}; the file may be truncated or not an ONNX file") from None
        if not proto.HasField("graph") or (not proto.graph.node and not proto.graph.output):
            raise OnnxImportError(f"could not parse {str(path)!r} as an ONNX model: it has no graph "
                                  f"(the file may be truncated or not an ONNX file)")
        if any(t.data_location == 1 for t in proto.graph.initializer):
            try:
                from onnx.external_data_helper import load_external_data_for_model
                load_external_data_for_model(proto, str(path.parent))
            except Exception as e:
                raise OnnxImportError(f"{str(path)!r}: could not load external weights: {e}") from None
        return proto, str(path)
    raise OnnxImportError(f"from_onnx takes a path or an onnx.ModelProto, not {type(model).__name__}")


class _Importer:
    def __init__(self, proto, source, shapes, dtypes, bind):
        self.proto, self.source, self.bind = proto, source, dict(bind)
        self.shapes, self.dtypes = dict(shapes), dtypes
        self.opset = self._default_opset()
        self.env: dict = {}            # ONNX value name -> Expr
        self.unknown: set = set()      # values downstream of an unconvertible node
        self.unsupported: dict = {}    # reason -> [node names]
        self.ctx = Context()
        self._fresh = itertools.count()

    def _default_opset(self) -> int:
        for imp in self.proto.opset_import:
            if imp.domain in ("", "ai.onnx"):
                return int(imp.version)
        return 1

    def run(self) -> Module:
        g = self.proto.graph
        if self.proto.functions:
            import onnx.inliner
            self.proto = onnx.inliner.inline_local_functions(self.proto)
            g = self.proto.graph
        for t in g.initializer:
            self.env[t.name] = self._initializer(t)
        for t in g.sparse_initializer:
            raise OnnxImportError(f"{self.source}: sparse initializer {t.values.name!r} is not supported")
        names = [vi.name for vi in g.input if vi.name not in self.env]
        for what, given in (("shapes", self.shapes), ("bind", self.bind)):
            unknown = set(given) - set(names)
            if unknown:
                raise OnnxImportError(f"{what}= names {sorted(unknown)}, which are not inputs of the model; "
                                      f"its inputs are {names}")
        for name, value in self.bind.items():
            arr = np.asarray(value)
            self.env[name] = Constant(np.require(arr, requirements="C"), name)
        params = [self._param(vi) for vi in g.input if vi.name not in self.env]
        for p in params:
            self.env[p.name] = p
        self._convert_nodes([(n, self.opset) for n in g.node])
        if self.unsupported:
            lines = [f"  {reason}: {', '.join(repr(n) for n in names[:8])}"
                     + (f" and {len(names) - 8} more" if len(names) > 8 else "")
                     for reason, names in self.unsupported.items()]
            err = OnnxImportError(f"{self.source}: cannot import {sum(map(len, self.unsupported.values()))} "
                                  f"node(s) (opset {self.opset}); unsupported operators:\n" + "\n".join(lines))
            err.unsupported = dict(self.unsupported)
            raise err
        outs = []
        for vi in g.output:
            if vi.name not in self.env:
                raise OnnxImportError(f"{self.source}: graph output {vi.name!r} is not produced by any node")
            outs.append(self.env[vi.name])
        body = outs[0] if len(outs) == 1 else Tuple(tuple(outs))
        return Module(Function(tuple(params), body, name="main"))

    # -- values ---------------------------------------------------------------------------
    def _initializer(self, t):
        from onnx import numpy_helper
        try:
            dtype = onnx_dtype(t.data_type, f"initializer {t.name!r}")
        except Unsupported as e:
            raise OnnxImportError(f"{self.source}: {e}") from None
        arr = numpy_helper.to_array(t)
        return Constant(np.require(arr.astype(dtype, copy=False), requirements="C"), t.name)

    def _param(self, vi) -> Var:
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            raise OnnxImportError(f"{self.source}: input {vi.name!r} is not a tensor (sequences, maps and "
                                  f"optionals are not supported)")
        dtype = self._input_dtype(vi.name, tt.elem_type)
        if vi.name in self.shapes:
            return Var(vi.name, TensorType(tuple(int(d) for d in self.shapes[vi.name]), dtype))
        if not tt.HasField("shape"):
            raise OnnxImportError(f"input {vi.name!r} has no shape in the model; give one with "
                                  f"from_onnx(..., shapes={{{vi.name!r}: (...)}})")
        dims, symbolic = [], []
        for d in tt.shape.dim:
            if d.HasField("dim_value") and d.dim_value > 0:
                dims.append(int(d.dim_value))
            else:
                dims.append(None)
                symbolic.append(d.dim_param or "?")
        if symbolic:
            shown = "(" + ", ".join(str(d) if d is not None else (d2 or "?") for d, d2 in
                                    zip(dims, [x.dim_param for x in tt.shape.dim])) + ")"
            raise OnnxImportError(f"input {vi.name!r} has symbolic dimension(s) {', '.join(symbolic)} "
                                  f"(shape {shown}); give a static shape with "
                                  f"from_onnx(..., shapes={{{vi.name!r}: (...)}})")
        return Var(vi.name, TensorType(tuple(dims), dtype))

    def _input_dtype(self, name, code):
        if isinstance(self.dtypes, dict) and name in self.dtypes:
            return str(np.dtype(self.dtypes[name]))
        if isinstance(self.dtypes, str):
            return str(np.dtype(self.dtypes))
        try:
            return onnx_dtype(code, f"input {name!r}")
        except Unsupported as e:
            raise OnnxImportError(f"{self.source}: {e}; pass dtypes={{{name!r}: 'float32'}} to override") from None

    # -- nodes ----------------------------------------------------------------------------
    def _convert_nodes(self, work: list):
        work = list(reversed(work))
        while work:
            proto, opset = work.pop()
            expansion = self._convert(proto, opset)
            if expansion:
                work.extend(reversed(expansion))

    def _convert(self, proto, opset):
        name = proto.name or f"{proto.op_type}_{next(self._fresh)}"
        ins = list(proto.input)
        while ins and not ins[-1]:
            ins.pop()
        if any(i and i in self.unknown for i in ins):
            self._mark_unknown(proto)
            if lookup(proto.op_type, opset) is None and proto.domain in ("", "ai.onnx") \
                    and self._function_body(proto, opset, None) is None:
                self._unsupported(proto.op_type, name)
            return None
        missing = [i for i in ins if i and i not in self.env]
        if missing:
            raise OnnxImportError(f"{self.source}: {proto.op_type} node {name!r} reads {missing}, which no earlier "
                                  f"node produces (the graph is not topologically sorted, or values are missing)")
        inputs = [self.env[i] if i else None for i in ins]
        # 1. fold constant nodes with ONNX's reference evaluator
        if ins and all(x is None or isinstance(x, Constant) for x in inputs) and foldable(proto):
            outs = fold_node(proto, [x.data if x is not None else None for x in inputs], opset)
            if outs is not None and all(str(o.dtype) in ONNX_DTYPES.values() for o in outs):
                for oname, o in zip(proto.output, outs):
                    if oname:
                        self.env[oname] = Constant(np.require(o, requirements="C"), oname)
                return None
        if proto.domain not in ("", "ai.onnx"):
            self._unsupported(f"{proto.domain}.{proto.op_type}", name)
            self._mark_unknown(proto)
            return None
        if proto.op_type == "If" and isinstance(inputs[0], Constant):
            return self._inline_branch(proto, opset, bool(inputs[0].data.reshape(-1)[0]))
        # 2. a converter
        conv = lookup(proto.op_type, opset)
        if conv is None:
            # 3. ONNX's own expansion into simpler ops
            body = self._function_body(proto, opset, inputs)
            if body is not None:
                return body
            self._unsupported(proto.op_type, name)
            self._mark_unknown(proto)
            return None
        from onnx import helper
        attrs = {a.name: _attr_value(helper, a) for a in proto.attribute}
        node = Node(proto.op_type, name, inputs, attrs, len(proto.output), opset, proto)
        self.ctx.node = node
        try:
            result = conv(self.ctx, node)
        except Unsupported as e:
            body = self._function_body(proto, opset, inputs)
            if body:
                return body
            self._unsupported(f"{proto.op_type} ({e})", name)
            self._mark_unknown(proto)
            return None
        except OnnxImportError:
            raise
        except (TypeCheckError, WorkbenchError) as e:
            raise OnnxImportError(f"{self.source}: {node.label}: {e}") from None
        results = list(result) if isinstance(result, (list, tuple)) else [result]
        for oname, value in zip(proto.output, results):
            if oname:
                self.env[oname] = value
        for oname in proto.output[len(results):]:
            if oname:
                self._unsupported(f"{proto.op_type} (optional output {oname!r})", name)
                self.unknown.add(oname)
        return None

    def _inline_branch(self, proto, opset, cond):
        """An If whose condition is known: the taken branch's nodes, then its outputs renamed."""
        from onnx import helper
        branch = next(a.g for a in proto.attribute if a.name == ("then_branch" if cond else "else_branch"))
        for t in branch.initializer:
            self.env[t.name] = self._initializer(t)
        nodes = [(n, opset) for n in branch.node]
        for inner, outer in zip(branch.output, proto.output):
            if outer:
                nodes.append((helper.make_node("Identity", [inner.name], [outer], name=f"{proto.name}/{outer}"), opset))
        return nodes

    def _mark_unknown(self, proto):
        self.unknown.update(o for o in proto.output if o)

    def _unsupported(self, reason, name):
        self.unsupported.setdefault(reason, []).append(name)

    def _function_body(self, proto, opset, inputs):
        """The nodes ONNX defines ``proto`` as (renamed into this graph), or None."""
        import onnx
        import onnx.defs
        try:
            schema = onnx.defs.get_schema(proto.op_type, opset, proto.domain)
        except Exception:
            return None
        fp = None
        try:
            if schema.has_function:
                raw = schema.get_function_with_opset_version(opset)
                if raw:
                    fp = onnx.FunctionProto()
                    fp.ParseFromString(raw)
            elif schema.has_context_dependent_function and inputs is not None:
                types = [self._type_proto(x).SerializeToString() for x in inputs]
                raw = schema.get_context_dependent_function_with_opset_version(
                    opset, proto.SerializeToString(), types)
                if raw:
                    fp = onnx.FunctionProto()
                    fp.ParseFromString(raw)
        except Exception:
            return None
        if fp is None or inputs is None:
            return None if fp is None else []
        return _inline(proto, fp, schema, f"{proto.name or proto.op_type}_{next(self._fresh)}/", opset)

    def _type_proto(self, x):
        from onnx import TypeProto, helper
        if x is None:
            return TypeProto()
        return helper.make_tensor_type_proto(_ONNX_CODES[x.type.dtype], list(x.type.shape))


def _attr_value(helper, a):
    v = helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if a.type == 4:  # TENSOR
        from onnx import numpy_helper
        return numpy_helper.to_array(a.t)
    if isinstance(v, list) and v and isinstance(v[0], bytes):
        return [s.decode("utf-8", "replace") for s in v]
    return v


def _inline(proto, fp, schema, prefix, opset):
    """The body of function ``fp`` with formal names bound to ``proto``'s and internals prefixed."""
    import onnx
    rename = {"": ""}
    for formal, actual in itertools.zip_longest(fp.input, proto.input, fillvalue=""):
        if formal:
            rename[formal] = actual
    for formal, actual in zip(fp.output, proto.output):
        rename[formal] = actual
    given = {a.name: a for a in proto.attribute}
    body_opset = next((int(i.version) for i in fp.opset_import if i.domain in ("", "ai.onnx")), opset)
    nodes = []
    for n in fp.node:
        m = onnx.NodeProto()
        m.CopyFrom(n)
        del m.input[:]
        m.input.extend(rename.setdefault(i, prefix + i) if i else "" for i in n.input)
        del m.output[:]
        m.output.extend(rename.setdefault(o, prefix + o) if o else "" for o in n.output)
        m.name = prefix + (n.name or n.op_type)
        del m.attribute[:]
        for a in n.attribute:
            if a.ref_attr_name:
                src = given.get(a.ref_attr_name)
                if src is None:
                    default = schema.attributes.get(a.ref_attr_name)
                    src = default.default_value if default is not None and default.default_value.name else None
                if src is None:
                    continue
                b = onnx.AttributeProto()
                b.CopyFrom(src)
                b.name = a.name
                m.attribute.append(b)
            else:
                m.attribute.append(a)
                if a.type in (5, 10):  # sub-graphs read outer names: rename those too
                    for g in ([m.attribute[-1].g] if a.type == 5 else list(m.attribute[-1].graphs)):
                        _rename_in_graph(g, rename)
        nodes.append((m, body_opset))
    return nodes


def _rename_in_graph(g, rename):
    for n in g.node:
        for k, i in enumerate(n.input):
            if i in rename:
                n.input[k] = rename[i]
        for a in n.attribute:
            for sub in ([a.g] if a.type == 5 else list(a.graphs) if a.type == 10 else []):
                _rename_in_graph(sub, rename)
    for vi in g.output:
        if vi.name in rename:
            vi.name = rename[vi.name]
