"""Frontends: turn models from other frameworks into graph modules.

>>> from workbench.frontend import from_onnx        # doctest: +SKIP
>>> mod = from_onnx("resnet18.onnx", shapes={"input": (1, 3, 224, 224)})  # doctest: +SKIP
"""
from .onnx_common import OnnxImportError
from .onnx_import import from_onnx, supported_ops

__all__ = ["from_onnx", "supported_ops", "OnnxImportError"]
