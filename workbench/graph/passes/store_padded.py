"""Pad a packed conv's input where it is produced, not in a copy at the start of the conv's kernel.

A ``nn.conv2d_packed`` with zero padding first copies its whole input into a zero-bordered
buffer (the ``pad`` stage), then convolves that. On ResNet-18 the copy costs 6-10 us per
conv. After fusion, this pass moves the padding out of the conv's group and onto the edge
that feeds it::

    %1 = fused_conv_relu(%0)                    %1 = fused_conv_relu(%0)          (result stored padded)
    %2 = fused_conv_add(%1, ...)        ->      %p = nn.padded_view(%1, padding=(1, 1, 1, 1))
         conv2d_packed(p0, padding=1)           %2 = fused_conv_add(%p, ...)
                                                     conv2d_packed(p0, padding=0)

``wb.compile`` realizes ``nn.padded_view`` without a copy: the producer's result lives in
the interior of a buffer whose border is zeroed once, every kernel reading or writing the
result sees it as a strided view, and the conv reads the whole bordered buffer. The
results are unchanged; the interpreter computes ``nn.padded_view`` as a zero pad.

An edge is rewritten when the conv's group reads that parameter only as the conv's data,
and the value is the single result of another fused group (not a model input, output or
constant) whose users are all fused groups. ``optimize`` runs this pass after
``fuse_ops`` in the blocked pipeline (``PassContext(config={"pack_conv_kernels": True,
"block_layout": True})``); ``"store_padded": False`` in the config leaves it out.

>>> import numpy as np
>>> from workbench.graph import Function, Module, ops
>>> from workbench.graph.passes import PassContext, optimize
>>> x = ops.var("x", (1, 16, 8, 8))
>>> w = ops.const(np.ones((16, 16, 3, 3), "float32"))
>>> y = ops.nn.conv2d(ops.nn.relu(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1))), w, padding=(1, 1, 1, 1))
>>> ctx = PassContext(config={"pack_conv_kernels": True, "block_layout": True})
>>> body = optimize(Module(Function((x,), y)), ctx).main.body
>>> view = body.args[0].args[0]
>>> view.op.name, view.attrs["padding"], view.type.shape
('nn.padded_view', (1, 1, 1, 1), (1, 1, 10, 10, 16))
"""
from __future__ import annotations

from ..expr import Call, Function, Module, Var, call, call_function
from ..functor import ExprMutator, post_order, rebuild_call, users
from .context import module_pass

CONFIG_KEY = "store_padded"
CONV = "nn.conv2d_packed"
CONVS = (CONV, "nn.conv2d_winograd")   # convs that read their padded data through a view
NO_PAD = (0, 0, 0, 0)


def is_kernel_call(n) -> bool:
    """A call of a fused group Workbench compiles into one kernel (not an external partition): a kernel
    takes any strides, so it may read or write a value stored inside a border.

    >>> from workbench.graph import ops
    >>> is_kernel_call(ops.var("x", (4,)))
    False
    """
    return (isinstance(n, Call) and isinstance(n.op, Function) and "Primitive" in n.op.attrs
            and "Compiler" not in n.op.attrs)


def conv_padding(fn: Function, param: Var):
    """The padding of the packed (or Winograd) conv that reads ``param`` of group ``fn`` as its data, when that
    is the parameter's only use in the group and the padding is not zero; else None.

    >>> from workbench.graph import ops
    >>> p, w = ops.var("p", (1, 1, 8, 8, 16)), ops.var("w", (1, 16, 3, 3, 16))
    >>> conv_padding(Function((p, w), call(CONV, p, w, padding=(1, 1, 1, 1), out_layout="NCHW16c")), p)
    (1, 1, 1, 1)
    """
    uses = users(fn.body).get(id(param), [])
    if len(uses) != 1:
        return None
    conv = uses[0]
    if not (isinstance(conv, Call) and getattr(conv.op, "name", "") in CONVS and conv.args[0] is param
            and conv.args[1] is not param):
        return None
    padding = tuple(conv.attrs["padding"])
    return padding if any(padding) else None


class _Unpad(ExprMutator):
    """The group with ``param`` replaced by its padded form and the conv reading it unpadded."""

    def __init__(self, param: Var, padded: Var):
        super().__init__()
        self.param, self.padded = param, padded

    def visit_Var(self, v):
        return self.padded if v is self.param else v

    def visit_Call(self, n):
        if getattr(n.op, "name", "") in CONVS and n.args[0] is self.param:
            args = [self.visit(a) for a in n.args]
            return call(n.op, *args, name=n.name, **{**dict(n.attrs), "padding": NO_PAD})
        return self.rebuild(n)


def _unpad_group(fn: Function, index: int, padded_type) -> Function:
    """Group ``fn`` taking its parameter ``index`` already padded (``padded_type``), its conv unpadded."""
    param = fn.params[index]
    padded = Var(param.name, padded_type)
    body = _Unpad(param, padded).visit(fn.body)
    params = tuple(padded if p is param else p for p in fn.params)
    return Function(params, body, fn.attrs, fn.name)


def _storable(value, uses: dict, outputs: set) -> bool:
    """Can ``value`` live inside a zero-bordered buffer? It must be the one tensor result of a group,
    read only by groups (they take any strides), and not a result of the model."""
    return (is_kernel_call(value) and not hasattr(value.type, "fields") and value.type.ndim in (4, 5)
            and id(value) not in outputs and all(is_kernel_call(u) for u in uses.get(id(value), [])))


class _StorePadded(ExprMutator):
    def __init__(self, uses: dict, outputs: set):
        super().__init__()
        self.uses, self.outputs = uses, outputs
        self.views: dict = {}   # id(value) -> its padded view, shared by every conv that reads it

    def view(self, value, padding):
        v = self.views.get(id(value))
        if v is None:
            v = self.views[id(value)] = call("nn.padded_view", self.visit(value), padding=padding)
        return v

    def visit_Call(self, n):
        if not is_kernel_call(n):
            return self.rebuild(n)
        fn, args = n.op, list(n.args)
        new_args = [self.visit(a) for a in args]
        for k, (param, a) in enumerate(zip(fn.params, args)):
            padding = conv_padding(fn, param)
            if padding is None or not _storable(a, self.uses, self.outputs):
                continue
            known = self.views.get(id(a))
            if known is not None and tuple(known.attrs["padding"]) != padding:
                continue  # another conv already reads this value with a different border: keep the copy
            v = self.view(a, padding)
            fn = _unpad_group(fn, k, v.type)
            new_args[k] = v
        if fn is n.op and all(x is y for x, y in zip(new_args, n.args)):
            return n
        return call_function(fn, new_args, n.name) if fn is not n.op else rebuild_call(n, new_args)


def _store_padded_function(fn: Function) -> Function:
    body = fn.body
    outputs = {id(f) for f in getattr(body, "fields", ())} | {id(body)}
    mut = _StorePadded(users(body), outputs)
    new = mut.visit(body)
    return fn if new is body else Function(fn.params, new, fn.attrs, fn.name)


@module_pass("store_padded")
def store_padded(mod: Module, ctx) -> Module:
    """Pad packed convs' inputs where they are produced (``nn.padded_view``), not in a copy in the conv."""
    if not any(is_kernel_call(n) for n in post_order(mod.main.body)):
        return mod  # not fused (yet): nothing to do
    return Module({k: _store_padded_function(f) if k == "main" else f for k, f in mod.functions.items()})
