"""Tests of the model generators in datasets/ (models.py, generate.py).

datasets/ is a folder of scripts, not a package: the files are loaded by path
under unique module names (workbench_datasets_generate / _models), so nothing
here can clash with another ``models`` module or a ``datasets`` package.
Fast tests use small sizes; the default (full) sizes are marked slow.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_generate():
    from workbench.datasets import generator
    return generator()


gen = _load_generate()
models = gen.models

# name -> (kwargs, expected output shapes) for the small, fast variants
SMALL = {
    "resnet18": (dict(batch=2, image=64), {"logits": (2, 1000)}),
    "mobilenet_v2": (dict(batch=2, image=64), {"logits": (2, 1000)}),
    "transformer_encoder": (dict(batch=2, seq=32, hidden=128, heads=4, ffn=512), {"output": (2, 32, 128)}),
    "mlp": (dict(), {"probs": (8, 10)}),
    "small_detector": (dict(batch=2, image=64), {"boxes": (2, 3 * (64 + 16), 4), "scores": (2, 3 * (64 + 16), 4)}),
}
FULL = {
    "resnet18": {"logits": (1, 1000)},
    "mobilenet_v2": {"logits": (1, 1000)},
    "transformer_encoder": {"output": (1, 128, 768)},
    "mlp": {"probs": (8, 10)},
    "small_detector": {"boxes": (1, 960, 4), "scores": (1, 960, 4)},
}


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def run(model, feeds=None, seed=0):
    feeds = feeds if feeds is not None else gen.random_inputs(model, seed=seed)
    sess = session(model)
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


_built: dict = {}


def build(name, **kw):
    """Builds once per test session (the CNNs calibrate BatchNorm, ~0.3 s)."""
    key = (name, tuple(sorted(kw.items())))
    if key not in _built:
        _built[key] = gen.MODELS[name](**kw)
    return _built[key]


def check_outputs(name, outs, shapes):
    assert set(outs) == set(shapes)
    for out_name, shape in shapes.items():
        y = outs[out_name]
        assert y.shape == shape, (out_name, y.shape)
        assert y.dtype == np.float32
        assert np.isfinite(y).all(), f"{name}.{out_name} has NaN/inf"
        assert y.std() > 1e-3, f"{name}.{out_name} is (nearly) constant: std {y.std()}"
        assert np.abs(y).max() < 100, f"{name}.{out_name} blew up: max |y| {np.abs(y).max()}"
        if y.shape[0] > 1:  # different inputs give different outputs
            assert np.abs(y[0] - y[1]).max() > 1e-3, f"{name}.{out_name} ignores its input"
    if name in ("resnet18", "mobilenet_v2"):
        logits = outs["logits"]
        assert 0.1 < logits.std() < 10
        p = np.exp(logits - logits.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        assert p.max() < 0.9, "softmax of the logits is saturated"
    if name == "mlp":
        np.testing.assert_allclose(outs["probs"].sum(-1), 1.0, rtol=1e-5)
        assert outs["probs"].max() < 0.99
    if name == "transformer_encoder":  # ends in LayerNorm: each row ~ zero mean, unit std (times gamma ~ 1)
        y = outs["output"]
        assert np.abs(y.mean(-1)).max() < 0.1
        assert 0.8 < y.std(-1).mean() < 1.2
    if name == "small_detector":
        s = outs["scores"]
        assert ((s > 0) & (s < 1)).all()
        assert ((s > 0.01) & (s < 0.99)).mean() > 0.9, "scores are saturated"


# ---------------------------------------------------------------------------
# every model: checker, onnxruntime, sane outputs (small sizes)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SMALL))
def test_small_model_checks_and_runs(name):
    kw, shapes = SMALL[name]
    model = build(name, **kw)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].domain == "" and model.opset_import[0].version == 17
    assert model.graph.input[0].name == "input"
    check_outputs(name, run(model), shapes)


def test_models_dict_matches_builders():
    assert set(gen.MODELS) == set(FULL) == set(SMALL)
    for name, fn in gen.MODELS.items():
        assert fn.__doc__ and callable(fn)
        assert fn is getattr(models, name)


@pytest.mark.parametrize("name", ["resnet18", "small_detector", "transformer_encoder"])
def test_deterministic(name):
    kw, _ = SMALL[name]
    a = gen.MODELS[name](**kw).SerializeToString()
    b = build(name, **kw).SerializeToString()
    assert a == b
    c = gen.MODELS[name](**kw, seed=1).SerializeToString()
    assert a != c


def test_weights_do_not_depend_on_input_size():
    a = {t.name: onnx.numpy_helper.to_array(t) for t in build("mobilenet_v2", batch=2, image=64).graph.initializer}
    b = {t.name: onnx.numpy_helper.to_array(t) for t in gen.MODELS["mobilenet_v2"](image=96).graph.initializer}
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


# ---------------------------------------------------------------------------
# architecture details the compiler relies on
# ---------------------------------------------------------------------------
def ops(model):
    return Counter(n.op_type for n in model.graph.node)


def test_resnet18_structure():
    m = build("resnet18", batch=2, image=64)
    c = ops(m)
    assert c == Counter(Conv=20, BatchNormalization=20, Relu=17, Add=8, MaxPool=1,
                        GlobalAveragePool=1, Flatten=1, Gemm=1)
    convs = {n.name: n for n in m.graph.node if n.op_type == "Conv"}
    attrs = {k: {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for k, n in convs.items()}
    assert attrs["conv1"]["kernel_shape"] == [7, 7] and attrs["conv1"]["strides"] == [2, 2]
    assert sorted(k for k in convs if "downsample" in k) == [f"layer{i}.0.downsample.0" for i in (2, 3, 4)]
    # every BN's running variance is positive, and its statistics are not placeholders
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "BatchNormalization":
            assert (inits[n.input[4]] > 0).all()
            assert inits[n.input[3]].std() > 0
    assert inits["fc.weight"].shape == (1000, 512)
    assert sum(v.size for v in inits.values()) == 11_689_512 + 9_600  # torchvision's count + BN running stats


def test_mobilenet_v2_structure():
    m = build("mobilenet_v2", batch=2, image=64)
    c = ops(m)
    assert c["Conv"] == 52 and c["BatchNormalization"] == 52 and c["Clip"] == 35 and c["Add"] == 10
    depthwise = [n for n in m.graph.node if n.op_type == "Conv"
                 and onnx.helper.get_attribute_value(next(a for a in n.attribute if a.name == "group")) > 1]
    assert len(depthwise) == 17
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    for n in depthwise:
        group = onnx.helper.get_attribute_value(next(a for a in n.attribute if a.name == "group"))
        assert inits[n.input[1]].shape == (group, 1, 3, 3)
    for n in m.graph.node:
        if n.op_type == "Clip":
            assert len(n.input) == 3 and not n.attribute
            assert float(inits[n.input[1]]) == 0.0 and float(inits[n.input[2]]) == 6.0
    assert inits["classifier.weight"].shape == (1000, 1280)


def test_transformer_structure():
    m = build("transformer_encoder", batch=2, seq=32, hidden=128, heads=4, ffn=512)
    c = ops(m)
    assert c["LayerNormalization"] == 2 and c["Erf"] == 1 and c["Softmax"] == 1 and c["MatMul"] == 8
    assert "Gelu" not in c


def test_detector_structure():
    m = build("small_detector", batch=2, image=64)
    c = ops(m)
    assert 20 <= len(m.graph.node) <= 40
    assert c["Resize"] == 1 and c["Split"] == 1 and c["Concat"] == 2 and c["Sigmoid"] >= 6
    resize = next(n for n in m.graph.node if n.op_type == "Resize")
    split = next(n for n in m.graph.node if n.op_type == "Split")
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    assert resize.input[1] == "" and list(inits[resize.input[2]]) == [1, 1, 2, 2]
    assert list(inits[split.input[1]]) == [4, 1, 4]
    assert [o.name for o in m.graph.output] == ["boxes", "scores"]


# ---------------------------------------------------------------------------
# options: dynamic batch, opsets, attention mask, bad arguments
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,kw", [
    ("mobilenet_v2", dict(image=64)),
    ("transformer_encoder", dict(seq=16, hidden=64, heads=2, ffn=128)),
    ("mlp", dict()),
    ("small_detector", dict(image=64)),
])
def test_dynamic_batch(name, kw):
    m = gen.MODELS[name](dynamic_batch=True, **kw)
    onnx.checker.check_model(m, full_check=True)
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    sess = session(m)
    feeds3 = gen.random_inputs(m, batch=3)
    outs3 = sess.run(None, feeds3)
    outs1 = sess.run(None, {k: v[1:2] for k, v in feeds3.items()})
    for a, b in zip(outs3, outs1):
        np.testing.assert_allclose(a[1:2], b, rtol=1e-4, atol=1e-5)


def test_transformer_dynamic_seq():
    m = gen.MODELS["transformer_encoder"](seq=16, hidden=64, heads=2, ffn=128, dynamic_batch=True, dynamic_seq=True)
    onnx.checker.check_model(m, full_check=True)
    x = np.random.default_rng(0).standard_normal((2, 7, 64)).astype(np.float32)
    (y,) = session(m).run(None, {"input": x})
    assert y.shape == (2, 7, 64) and np.isfinite(y).all()


@pytest.mark.parametrize("opset", [13, 18, 21])
@pytest.mark.parametrize("name,kw", [
    ("transformer_encoder", dict(seq=16, hidden=64, heads=2, ffn=128)),
    ("small_detector", dict(image=64)),
    ("mlp", dict(sizes=(32, 16, 4))),
])
def test_other_opsets_compute_the_same(name, kw, opset):
    m = gen.MODELS[name](opset=opset, **kw)
    onnx.checker.check_model(m, full_check=True)
    assert m.opset_import[0].version == opset
    ref = run(gen.MODELS[name](**kw))
    got = run(m)
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-4, atol=1e-4)
    if name == "transformer_encoder":
        assert ("LayerNormalization" in ops(m)) == (opset >= 17)


def test_resnet_other_opset():
    m = gen.MODELS["resnet18"](image=32, opset=13)
    onnx.checker.check_model(m, full_check=True)
    (y,) = session(m).run(None, gen.random_inputs(m))
    assert np.isfinite(y).all() and y.std() > 1e-3


def test_attention_mask_hides_padding():
    kw = dict(batch=2, seq=16, hidden=64, heads=2, ffn=128)
    m = gen.MODELS["transformer_encoder"](attention_mask=True, **kw)
    onnx.checker.check_model(m, full_check=True)
    assert [i.name for i in m.graph.input] == ["input", "attention_mask"]
    feeds = gen.random_inputs(m)
    mask = feeds["attention_mask"]
    assert mask[:, -4:].sum() == 0 and mask[:, :-4].all()
    sess = session(m)
    (y,) = sess.run(None, feeds)
    changed = dict(feeds, input=feeds["input"].copy())
    changed["input"][:, -4:] += 5.0   # only padded positions change
    (y2,) = sess.run(None, changed)
    np.testing.assert_allclose(y2[:, :-4], y[:, :-4], rtol=1e-4, atol=1e-5)
    # all ones: same as no mask
    ones = dict(feeds, attention_mask=np.ones_like(mask))
    (y3,) = sess.run(None, ones)
    (y4,) = run(gen.MODELS["transformer_encoder"](**kw), {"input": feeds["input"]}).values()
    np.testing.assert_allclose(y3, y4, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda: models.resnet18(image=100),
    lambda: models.mobilenet_v2(image=48),
    lambda: models.small_detector(image=72),
    lambda: models.transformer_encoder(hidden=100, heads=12),
    lambda: models.mlp(sizes=(10,)),
    lambda: models.mlp(batch=0),
    lambda: models.mlp(opset=12),
    lambda: models.mlp(opset=10_000),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------------------
# the cache (generate.py)
# ---------------------------------------------------------------------------
@pytest.fixture
def counting(monkeypatch):
    """Wraps the mlp builder to count calls (the signature is kept, for cache keys)."""
    import functools

    calls = []
    orig = gen.MODELS["mlp"]

    @functools.wraps(orig)
    def wrapped(*a, **kw):
        calls.append(kw)
        return orig(*a, **kw)

    monkeypatch.setitem(gen.MODELS, "mlp", wrapped)
    return calls


def test_cache_reuses_file(tmp_path, counting):
    p1 = gen.model_path("mlp", cache=tmp_path, sizes=(16, 8, 4))
    stat1 = p1.stat()
    p2 = gen.model_path("mlp", cache=tmp_path, sizes=[16, 8, 4], batch=8)   # same arguments, spelled differently
    assert p1 == p2 and len(counting) == 1
    assert p2.stat().st_mtime_ns == stat1.st_mtime_ns
    assert p1.parent == tmp_path and p1.name.startswith("mlp-") and p1.suffix == ".onnx"
    assert [p.name for p in tmp_path.iterdir()] == [p1.name]          # no temp files left behind
    onnx.checker.check_model(onnx.load(str(p1)), full_check=True)
    assert gen.model_path("mlp", cache=tmp_path, sizes=(16, 8, 5)) != p1  # other arguments, other file
    assert len(counting) == 2
    gen.model_path("mlp", cache=tmp_path, sizes=(16, 8, 4), force=True)
    assert len(counting) == 3


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_cache_regenerates_damaged_file(tmp_path, counting, damage):
    p = gen.model_path("mlp", cache=tmp_path, sizes=(16, 8, 4))
    good = p.read_bytes()
    if damage == "truncate":
        p.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        p.write_bytes(b"\x08\xff\xff\xff not an onnx file")
    else:
        p.write_bytes(b"")
    assert not gen.is_valid_model_file(p)
    assert gen.model_path("mlp", cache=tmp_path, sizes=(16, 8, 4)) == p
    assert len(counting) == 2
    assert p.read_bytes() == good


def test_cache_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(gen.CACHE_ENV, str(tmp_path / "data"))
    assert gen.cache_dir() == tmp_path / "data"
    p = gen.model_path("small_detector", image=32)
    assert p.parent == tmp_path / "data" and p.exists()
    m = gen.load_model("small_detector", image=32)
    assert m.graph.input[0].type.tensor_type.shape.dim[2].dim_value == 32
    monkeypatch.delenv(gen.CACHE_ENV)
    assert gen.cache_dir() == REPO / "datasets" / ".cache"


def test_cache_key_covers_defaults_and_rejects_unknown_arguments():
    assert gen.cache_key("resnet18") == gen.cache_key("resnet18", batch=1, image=224, opset=17)
    assert gen.cache_key("resnet18") != gen.cache_key("resnet18", dynamic_batch=True)
    with pytest.raises(TypeError, match="resnet18"):
        gen.cache_key("resnet18", colour="blue")
    with pytest.raises(KeyError, match="known models"):
        gen.model_path("alexnet")


def test_cli(tmp_path, capsys):
    assert gen.main(["mlp", "small_detector", "--set", "batch=2", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mlp" in out and "small_detector" in out
    assert len(list(tmp_path.glob("*.onnx"))) == 2
    assert gen.main(["mlp", "--set", "sizes=12,6", "--cache-dir", str(tmp_path), "--info", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "probs [8, 6]" in out and "onnxruntime" in out
    assert gen.main(["--list"]) == 0
    assert "transformer_encoder(" in capsys.readouterr().out
    assert gen.main(["mlp", "--set", "colour=1", "--cache-dir", str(tmp_path)]) == 2
    with pytest.raises(SystemExit):
        gen.main(["alexnet", "--cache-dir", str(tmp_path)])
    with pytest.raises(SystemExit):
        gen.main([])


def test_readme_and_gitignore_exist():
    assert ".cache/" in (REPO / "datasets" / ".gitignore").read_text().split()
    text = (REPO / "datasets" / "README.md").read_text()
    for name in gen.MODELS:
        assert name in text


# ---------------------------------------------------------------------------
# full sizes (slow)
# ---------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", list(FULL))
def test_full_size_model_checks_and_runs(name):
    model = gen.MODELS[name]()
    onnx.checker.check_model(model, full_check=True)
    check_outputs(name, run(model), FULL[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_full_size_batch_of_images(name):
    model = gen.MODELS[name](batch=4)
    outs = run(model, seed=3)
    check_outputs(name, outs, {"logits": (4, 1000)})


@pytest.mark.slow
def test_generate_all_default_cache(tmp_path):
    assert gen.main(["--all", "--cache-dir", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.onnx"))
    assert len(files) == len(gen.MODELS)
    for f in files:
        assert gen.is_valid_model_file(f)
