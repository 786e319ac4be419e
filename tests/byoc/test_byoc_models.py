"""Dataset models partitioned between backends and Workbench match onnxruntime on the whole model.

Small variants (ResNet-18 at 64x64, a small BERT-style encoder block) run by default;
the real sizes are marked slow.
"""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

import workbench as wb
from workbench import byoc
from workbench.datasets import generator
from workbench.frontend import from_onnx

SMALL = {"resnet18": {"image": 64}, "transformer_encoder": {"seq": 32, "hidden": 128, "heads": 4, "ffn": 256}}
FULL = {"resnet18": {}, "transformer_encoder": {}}
BACKENDS = {
    "c": lambda: [byoc.CBackend()],
    "onnxruntime": lambda: [byoc.OnnxRuntimeBackend()],
    "onnxruntime-convs": lambda: [byoc.OnnxRuntimeBackend(only=("nn.conv2d", "nn.matmul"))],
    "c+onnxruntime": lambda: [byoc.CBackend(table=byoc.c_table().only("nn.conv2d", "nn.matmul", "add")),
                              byoc.OnnxRuntimeBackend()],
}


@pytest.fixture(scope="module")
def gen():
    return generator()


def check(gen, name, kw, backends):
    path = gen.model_path(name, **kw)
    model = onnx.load(str(path))
    feeds = gen.random_inputs(model)
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    exe = wb.compile(from_onnx(model), backends=backends)
    got = exe.run(**feeds)
    assert got.shape == ref.shape and got.dtype == ref.dtype
    rel = np.max(np.abs(got - ref)) / (np.max(np.abs(ref)) + 1e-12)
    assert rel <= 1e-4, f"{name} with {[b.name for b in backends]}: relative error {rel:.2e}"
    external = [st for st in exe.steps if st.backend != "workbench"]
    assert external, "nothing was offloaded"
    assert {st.backend for st in external} <= {b.name for b in backends}
    return exe


@pytest.mark.parametrize("backends", list(BACKENDS))
@pytest.mark.parametrize("name", list(SMALL))
def test_small_models_partitioned_match_onnxruntime(gen, name, backends):
    exe = check(gen, name, SMALL[name], BACKENDS[backends]())
    if backends == "onnxruntime":
        assert len(exe.steps) == 1   # every operator of both models has an ONNX mapping
    if backends == "onnxruntime-convs":
        assert any(st.backend == "workbench" for st in exe.steps)


@pytest.mark.slow
@pytest.mark.parametrize("backends", ["c", "onnxruntime", "onnxruntime-convs"])
@pytest.mark.parametrize("name", list(FULL))
def test_full_size_models_partitioned_match_onnxruntime(gen, name, backends):
    check(gen, name, FULL[name], BACKENDS[backends]())
