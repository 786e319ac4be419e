"""Graph passes: functions from module to module, run in a PassContext.

>>> from workbench.graph.passes import optimize, PassContext, Recorder   # doctest: +SKIP
"""
from .block_layout import block_layout
from .context import Instrument, Pass, PassContext, PassRecord, Recorder, module_pass, op_counts
from .cse import eliminate_common_subexpr
from .dce import dead_code_elimination
from .fold_constant import fold_constant
from .fold_scale_axis import fold_scale_axis
from .fuse_ops import fuse_ops
from .pack_conv_kernels import pack_conv_kernels
from .pipeline import DEFAULT_PIPELINE, optimize, pipeline_of
from .simplify_inference import simplify_inference
from .store_padded import store_padded
from .winograd import winograd
