"""The dataset models (datasets/) imported from ONNX, compiled, and compared with onnxruntime.

Small variants run by default; the real sizes (ResNet-18 at 224, BERT-base block at
sequence 128...) are marked slow.
"""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import workbench as wb
from workbench.datasets import generator
from workbench.frontend import from_onnx



@pytest.fixture(scope="module")
def gen():
    return generator()


SMALL = [("mlp", {}), ("resnet18", {"image": 64}), ("mobilenet_v2", {"image": 64}),
         ("transformer_encoder", {"seq": 32, "hidden": 128, "heads": 4, "ffn": 256}),
         ("small_detector", {"image": 64}), ("resnet18", {"image": 32, "batch": 2})]
FULL = [("resnet18", {}), ("mobilenet_v2", {}), ("transformer_encoder", {}), ("small_detector", {})]


def check(gen, tmp_path, name, kw):
    path = gen.model_path(name, cache=tmp_path, **kw)
    model = onnx.load(str(path))
    feeds = gen.random_inputs(model, batch=kw.get("batch", 1))
    exe = wb.compile(from_onnx(model))
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)
    got = exe.run(**feeds)
    got = list(got) if isinstance(got, tuple) else [got]
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == r.shape and g.dtype == r.dtype
        rel = np.max(np.abs(g - r)) / (np.max(np.abs(r)) + 1e-12)
        assert rel <= 1e-4, f"{name}: relative error {rel:.2e}"
    return exe


@pytest.mark.parametrize("name,kw", SMALL, ids=[f"{n}-{'-'.join(f'{k}{v}' for k, v in kw.items())}" for n, kw in SMALL])
def test_small_models_match_onnxruntime(gen, tmp_path, name, kw):
    check(gen, tmp_path, name, kw)


@pytest.mark.slow
@pytest.mark.parametrize("name,kw", FULL, ids=[n for n, _ in FULL])
def test_full_size_models_match_onnxruntime(gen, tmp_path, name, kw):
    exe = check(gen, tmp_path, name, kw)
    assert exe.profile(repeat=1, **gen.random_inputs(onnx.load(str(gen.model_path(name, cache=tmp_path, **kw)))))
