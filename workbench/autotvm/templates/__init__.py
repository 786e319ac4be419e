"""The built-in templates; importing this package registers them in ``autotvm.TEMPLATES`` and
their group schedules in ``autotvm.GROUP_TEMPLATES``.

=========================  ==========================================  ==========================
template                   args                                        graph op (group anchor)
=========================  ==========================================  ==========================
``dense``                  ``M, N, K``                                 ``nn.dense`` (2-D data)
``matmul``                 ``M, N, K``                                 ``nn.matmul`` (2-D)
``batch_matmul``           ``B, M, N, K``                              ``nn.matmul`` (3-D, same batch)
``conv2d_nchw``            ``N, C, H, W, F, KH, KW, stride, pad``      ``nn.conv2d`` (groups=1)
``depthwise_conv2d_nchw``  ``N, C, H, W, KH, KW, stride, pad``         ``nn.conv2d`` (groups=C=F)
=========================  ==========================================  ==========================
"""
from .batch_matmul import args_of_batch_matmul, batch_matmul, schedule_batch_matmul
from .conv2d import args_of_conv2d, conv2d_nchw, schedule_conv2d
from .dense import args_of_dense, dense, schedule_dense
from .depthwise import args_of_depthwise_conv2d, depthwise_conv2d_nchw, schedule_depthwise_conv2d
from .matmul import args_of_matmul, matmul, schedule_matmul

__all__ = ["args_of_batch_matmul", "args_of_conv2d", "args_of_dense", "args_of_depthwise_conv2d",
           "args_of_matmul", "batch_matmul", "conv2d_nchw", "dense", "depthwise_conv2d_nchw", "matmul",
           "schedule_batch_matmul", "schedule_conv2d", "schedule_dense", "schedule_depthwise_conv2d",
           "schedule_matmul"]
