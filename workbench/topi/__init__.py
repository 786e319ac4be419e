"""TOPI: the operator library, tensor-expression definitions of neural-network operators.

Each function takes te Tensors (plus static Python arguments) and returns the
output Tensor of a small DAG of computes with readable stage names ("pad",
"conv2d", "softmax_max", ...), ready for ``te.create_schedule``. Names and
argument conventions follow TVM's ``topi`` where TVM users would look for
them, and ONNX where the two differ (weight layouts of depthwise convolution,
``batch_matmul`` not transposing ``B``). Bad arguments raise
``workbench.errors.TypeCheckError`` naming the op and the shapes.

Modules, one idea each: ``elemwise`` (activations, math), ``broadcast`` (binary
ops with numpy broadcasting), ``reduction``, ``transform`` (layout and indexing),
``padding``, ``linalg`` (matmul, dense, batch_matmul), ``conv`` (also transposed), ``pool``, ``norm``
(softmax, layer and batch norm), ``image`` (resize). ``numpy_ref`` has plain-numpy versions, and
``testing`` small operator cases with numpy references, for compiler tests.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 3, 8, 8), name="x"); w = te.placeholder((4, 3, 3, 3), name="w")
>>> y = topi.relu(topi.conv2d_nchw(x, w, padding=1))
"""
from .broadcast import (add, broadcast_shape, broadcast_to, divide, equal, floor_divide, floor_mod, greater,
                        greater_equal, less, less_equal, logical_and, logical_or, maximum, minimum, multiply,
                        not_equal, power, subtract, where)
from .conv import (conv2d_nchw, conv2d_nhwc, conv2d_transpose_nchw, depthwise_conv2d_nchw,
                   group_conv2d_nchw)
from .conv_packed import conv2d_nchw_packed, from_blocked, pack_conv_kernel, to_blocked, unpack_conv_kernel
from .conv_winograd import conv2d_winograd_nchw16c, transform_conv_kernel
from .elemwise import (abs, cast, clip, exp, gelu, hard_sigmoid, hard_swish, leaky_relu, log, logical_not,
                       neg, negative, reciprocal, relu, rsqrt, sigmoid, sqrt, tanh, unary)
from .image import resize2d
from .linalg import batch_matmul, dense, matmul
from .norm import batch_norm_inference, layer_norm, log_softmax, softmax
from .padding import pad
from .pool import avg_pool2d, global_avg_pool2d, global_max_pool2d, max_pool2d
from .reduction import argmax, argmin, max, mean, min, prod, sum
from .transform import (concatenate, expand_dims, flatten, gather, reshape, slice, split, squeeze, strided_slice,
                        take, transpose)

__all__ = [
    "abs", "add", "argmax", "argmin", "avg_pool2d", "batch_matmul", "batch_norm_inference", "broadcast_shape",
    "broadcast_to", "cast", "clip", "concatenate", "conv2d_nchw", "conv2d_nchw_packed", "conv2d_nhwc",
    "conv2d_transpose_nchw", "conv2d_winograd_nchw16c", "dense", "depthwise_conv2d_nchw", "divide", "equal", "exp", "expand_dims", "flatten",
    "floor_divide", "floor_mod", "from_blocked", "gather", "gelu", "global_avg_pool2d", "global_max_pool2d", "greater",
    "greater_equal", "group_conv2d_nchw", "hard_sigmoid", "hard_swish", "layer_norm", "leaky_relu", "less",
    "less_equal", "log", "log_softmax", "logical_and", "logical_not", "logical_or", "matmul", "max", "max_pool2d",
    "maximum", "mean", "min", "minimum", "multiply", "neg", "negative", "not_equal", "pack_conv_kernel", "pad",
    "power", "prod", "reciprocal", "relu", "reshape", "resize2d", "rsqrt", "sigmoid", "slice", "softmax", "split",
    "sqrt", "squeeze", "strided_slice", "subtract", "sum", "take", "tanh", "to_blocked", "transform_conv_kernel", "transpose", "unary", "unpack_conv_kernel",
    "where",
]
