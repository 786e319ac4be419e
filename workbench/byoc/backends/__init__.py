"""External backends: the API (``Backend``, ``Partition``) and three of them (C, onnxruntime, numpy functions)."""
from .base import Backend, ExternalBackendError, FunctionBackend, Partition, evaluate
from .c import CBackend, c_table
from .onnxruntime import OnnxRuntimeBackend, onnxruntime_table

__all__ = ["Backend", "CBackend", "ExternalBackendError", "FunctionBackend", "OnnxRuntimeBackend", "Partition",
           "c_table", "evaluate", "onnxruntime_table"]
