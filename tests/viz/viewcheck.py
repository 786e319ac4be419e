"""Checks shared by the view tests: well-formed SVG/HTML (as XML), and the dataset models."""
import functools
import xml.etree.ElementTree as ET

from workbench.datasets import generator
from workbench.frontend import from_onnx

# small variants of every dataset model (the real sizes draw the same graphs, only bigger shapes)
MODELS = {"mlp": {}, "resnet18": {"image": 64}, "mobilenet_v2": {"image": 64},
          "transformer_encoder": {"seq": 32, "hidden": 128, "heads": 4, "ffn": 256}, "small_detector": {"image": 64}}


def parse_xml(text: str):
    """Parse SVG or our HTML as XML (every tag closed, attributes quoted, entities escaped)."""
    return ET.fromstring(f"<root>{text}</root>" if not text.lstrip().startswith("<?xml") else text)


@functools.lru_cache(maxsize=None)
def dataset_module(name: str):
    return from_onnx(str(generator().model_path(name, **MODELS[name])))
