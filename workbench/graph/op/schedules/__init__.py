"""Default schedules of fused groups, one function per kind of anchor op.

Each has the signature ``schedule_<kind>(outs, anchor) -> Schedule``: ``outs``
are the group's output tensors, ``anchor`` the output of the op that decides
the loop structure (the conv, the dense, the reduction...), possibly followed
by an elementwise epilogue and preceded by a prologue (pad, casts...). Every
schedule is correct for any shape: split factors come from the actual
extents, and splits that do not divide are guarded.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 8, 16, 16), name="x"); w = te.placeholder((8, 8, 3, 3), name="w")
>>> conv = topi.conv2d_nchw(x, w, padding=1)
>>> s = schedule_conv2d([topi.relu(conv)], anchor=conv)
"""
from .conv2d import schedule_conv2d
from .conv2d_packed import schedule_conv2d_packed
from .dense import schedule_dense
from .generic import inline_injective, schedule_injective
from .norm import schedule_layer_norm, schedule_softmax
from .pool import schedule_pool
from .reduce import schedule_reduce
from .winograd import schedule_conv2d_winograd

__all__ = ["inline_injective", "schedule_conv2d", "schedule_conv2d_packed", "schedule_dense", "schedule_injective",
           "schedule_layer_norm", "schedule_pool", "schedule_reduce", "schedule_softmax", "schedule_conv2d_winograd"]
