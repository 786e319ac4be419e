"""Generate the workbench test models on demand and cache them as .onnx files.

Command line (run from anywhere)::

    python datasets/generate.py --list                  # the models and their parameters
    python datasets/generate.py --all                   # every model at its default size
    python datasets/generate.py resnet18                # one model
    python datasets/generate.py resnet18 mobilenet_v2 --set image=64 --set batch=2
    python datasets/generate.py mlp --set sizes=784,128,10 --force

From Python (this folder is not a package; load this file by path)::

    gen = load_generate()          # see the snippet in datasets/README.md
    path = gen.model_path("resnet18", image=64)     # pathlib.Path of a valid .onnx file
    model = gen.load_model("transformer_encoder", seq=32)

Files live in ``$WORKBENCH_DATA`` if set, else ``datasets/.cache/``. A file's
name holds the model name, every argument (defaults filled in) and a hash of
``models.py``, so changing a generator or an argument never returns a stale
file. Files are written to a temporary name and renamed into place, so a
crashed or concurrent run never leaves a half-written model under the final
name; a cached file that fails to load or check (truncated, corrupted) is
regenerated.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import onnx

__all__ = ["MODELS", "DATASETS_DIR", "CACHE_ENV", "cache_dir", "cache_key", "model_path", "load_model",
           "is_valid_model_file", "load_models", "random_inputs", "describe", "main"]

#: This folder (``<repo>/datasets``).
DATASETS_DIR = Path(__file__).resolve().parent
#: Environment variable that overrides the cache folder.
CACHE_ENV = "WORKBENCH_DATA"
#: Name under which ``models.py`` is registered in ``sys.modules`` (unique, so it
#: cannot clash with another ``models`` module or a ``datasets`` package).
MODELS_MODULE = "workbench_datasets_models"


def load_models():
    """Imports ``datasets/models.py`` as module ``workbench_datasets_models`` (once)."""
    mod = sys.modules.get(MODELS_MODULE)
    if mod is None:
        spec = importlib.util.spec_from_file_location(MODELS_MODULE, DATASETS_DIR / "models.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[MODELS_MODULE] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del sys.modules[MODELS_MODULE]
            raise
    return mod


models = load_models()

#: Model name -> builder function (each returns an ``onnx.ModelProto``).
MODELS: dict[str, Callable[..., onnx.ModelProto]] = {
    "resnet18": models.resnet18,
    "mobilenet_v2": models.mobilenet_v2,
    "transformer_encoder": models.transformer_encoder,
    "mlp": models.mlp,
    "small_detector": models.small_detector,
}

_SOURCE_HASH = hashlib.sha256((DATASETS_DIR / "models.py").read_bytes()).hexdigest()[:8]


def cache_dir() -> Path:
    """The cache folder: ``$WORKBENCH_DATA`` if set and non-empty, else ``datasets/.cache``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else DATASETS_DIR / ".cache"


def _builder(name: str) -> Callable[..., onnx.ModelProto]:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known models: {', '.join(MODELS)}") from None


def _arguments(name: str, kw: dict) -> dict:
    """All of the builder's arguments, defaults filled in, as JSON-friendly values."""
    try:
        bound = inspect.signature(_builder(name)).bind(**kw)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None
    bound.apply_defaults()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in bound.arguments.items()}


def _short(value) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, list):
        return "x".join(map(str, value))
    return str(value)


def cache_key(name: str, **kw) -> str:
    """File name for ``MODELS[name](**kw)``: readable arguments plus a hash.

    The hash covers the arguments and the source of ``models.py``; e.g.
    ``resnet18-batch1-image224-num_classes1000-opset17-dynamic_batchF-seed0-1a2b3c4d5e.onnx``.
    """
    args = _arguments(name, kw)
    digest = hashlib.sha256(json.dumps([name, args, _SOURCE_HASH], sort_keys=True).encode()).hexdigest()[:10]
    readable = "-".join(f"{k}{_short(v)}" for k, v in args.items())
    if len(readable) > 150:
        readable = readable[:150]
    return f"{name}-{readable}-{digest}.onnx"


def is_valid_model_file(path: Path) -> bool:
    """True if ``path`` loads as an ONNX model with nodes that passes ``onnx.checker``."""
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
        return len(model.graph.node) > 0 and len(model.graph.output) > 0
    except Exception:
        return False


def _write_atomic(model: onnx.ModelProto, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; cached models are ordinary readable files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def model_path(name: str, *, cache: str | os.PathLike | None = None, force: bool = False,
               verify: bool = True, **kw) -> Path:
    """Path of the .onnx file of ``MODELS[name](**kw)``, generating it if needed.

    ``cache`` overrides the cache folder (default ``cache_dir()``). A cached
    file is reused unless ``force``; with ``verify`` (the default) it is first
    loaded and checked, and regenerated if that fails (e.g. a truncated file).
    """
    path = Path(cache) if cache is not None else cache_dir()
    path = path / cache_key(name, **kw)
    if not force and path.exists() and (not verify or is_valid_model_file(path)):
        return path
    model = _builder(name)(**kw)
    _write_atomic(model, path)
    return path


def load_model(name: str, **kw) -> onnx.ModelProto:
    """``onnx.load(model_path(name, **kw))``: the cached model, generated if needed."""
    return onnx.load(str(model_path(name, **kw)))


def random_inputs(model: onnx.ModelProto, seed: int = 0, batch: int = 1) -> dict:
    """Random feeds for ``model``'s inputs: standard normal floats; int64 inputs
    (``attention_mask``) are ones with the last quarter zeroed. Symbolic
    dimensions become ``batch`` (first axis) or 16."""
    import numpy as np

    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in model.graph.input:
        t = inp.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else (batch if i == 0 else 16)
                 for i, d in enumerate(t.shape.dim)]
        if t.elem_type == onnx.TensorProto.INT64:
            a = np.ones(shape, np.int64)
            a[..., shape[-1] - shape[-1] // 4:] = 0
        else:
            a = rng.standard_normal(shape).astype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type))
        feeds[inp.name] = a
    return feeds


def describe(path: str | os.PathLike, repeats: int = 20) -> str:
    """A short report on a model file: I/O shapes, node and op counts, onnxruntime latency.

    Latency is the median of ``repeats`` runs of ``onnxruntime`` (CPUExecutionProvider,
    default threads) on random inputs, after two warm-up runs.
    """
    from collections import Counter

    import numpy as np
    import onnxruntime as ort

    model = onnx.load(str(path))

    def shapes(vis):
        return ", ".join(f"{v.name} [{', '.join(d.dim_param or str(d.dim_value) for d in v.type.tensor_type.shape.dim)}]"
                         for v in vis)

    ops = Counter(n.op_type for n in model.graph.node)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = random_inputs(model)
    for _ in range(2):
        sess.run(None, feeds)
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append(time.perf_counter() - t0)
    lines = [
        f"  inputs:  {shapes(model.graph.input)}",
        f"  outputs: {shapes(model.graph.output)}",
        f"  nodes:   {len(model.graph.node)}  ({', '.join(f'{k} {v}' for k, v in ops.most_common())})",
        f"  params:  {sum(int(np.prod(t.dims)) for t in model.graph.initializer):,}",
        f"  onnxruntime: median {np.median(times) * 1e3:.2f} ms over {len(times)} runs",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------
def _parse_value(text: str):
    """CLI value: true/false, an int, a float, or comma-separated ints (a tuple)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if "," in text:
        return tuple(int(v) for v in text.split(",") if v.strip())
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    raise ValueError(f"cannot read {text!r} as a bool, number or comma-separated ints")


def _parse_sets(items: list[str]) -> dict:
    kw = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r}: expected key=value, e.g. --set image=64")
        kw[key.strip()] = _parse_value(value)
    return kw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="generate.py", description="Generate and cache workbench test models.")
    parser.add_argument("names", nargs="*", help=f"models to generate: {', '.join(MODELS)}")
    parser.add_argument("--all", action="store_true", help="generate every model")
    parser.add_argument("--list", action="store_true", help="list the models and their parameters")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a builder argument, e.g. --set image=64 --set sizes=784,128,10 (repeatable)")
    parser.add_argument("--force", action="store_true", help="regenerate even if a valid cached file exists")
    parser.add_argument("--info", action="store_true",
                        help="also print inputs/outputs, node and op counts, and onnxruntime latency")
    parser.add_argument("--repeats", type=int, default=20, help="timed onnxruntime runs for --info (median)")
    parser.add_argument("--cache-dir", default=None, help=f"cache folder (default ${CACHE_ENV} or datasets/.cache)")
    args = parser.parse_args(argv)

    if args.list:
        for name, fn in MODELS.items():
            print(f"{name}{inspect.signature(fn)}")
        return 0
    names = list(MODELS) if args.all else args.names
    if not names:
        parser.error("name a model or pass --all (--list shows the models)")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    try:
        kw = _parse_sets(args.set)
    except ValueError as e:
        parser.error(str(e))
    for name in names:
        t0 = time.perf_counter()
        try:
            path = model_path(name, cache=args.cache_dir, force=args.force, **kw)
        except (TypeError, ValueError) as e:
            msg = str(e)
            print(msg if msg.startswith(name) else f"{name}: {msg}", file=sys.stderr)
            return 2
        print(f"{name:20s} {path.stat().st_size / 1e6:8.2f} MB  {time.perf_counter() - t0:6.2f} s  {path}")
        if args.info:
            print(describe(path, repeats=args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
