"""Tuning records: one JSON object per line, append-only, for AutoTVM and Ansor alike.

A line is ``{"version": 1, "tool": "autotvm" | "ansor", "task": {"name", "args", "key"},
"config": {...}, "result": MeasureResult.to_json(), "target": "llvm -mcpu=<host>"}``.
A *confirmation* line (``"confirm": true``) re-measures a config already tried: at the end of
tuning the few best are measured again in turns (``tune.confirm``), and from then on ``best``
judges that task by the median of those re-measurements, not by one lucky trial.
A batch is appended with one write, then flushed and fsync'ed, so an interrupted run
loses at most the line being written; ``load`` skips such a torn line (or any corrupt
one) with a warning and goes on. Files are data: ``json`` only, nothing is evaluated.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "mm.jsonl")
>>> res = {"costs": [0.01], "error": "ok", "error_msg": "", "build_seconds": 0.1, "timestamp": 0.0}
>>> append(path, [make_row("matmul", (64, 64, 64), {"index": 3, "knobs": {}}, res)])
>>> best(path, task_key("matmul", (64, 64, 64)))["config"]["index"]
3
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from typing import Iterator

VERSION = 1
TOOLS = ("autotvm", "ansor")


class RecordsWarning(UserWarning):
    """A line of a records file was skipped (torn by an interrupted write, or corrupt)."""


def _plain(x):
    """Task arguments as plain JSON values (tuples become lists, numpy scalars Python numbers)."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return float(x)
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "item") and getattr(x, "ndim", 1) == 0:  # a numpy scalar
        return _plain(x.item())
    raise TypeError(f"task argument {x!r} ({type(x).__name__}) is not plain data; "
                    "use ints, floats, strings, bools, None and lists/tuples of them")


def _render(x) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_render(v) for v in x) + "]"
    if isinstance(x, str):
        return json.dumps(x)
    return repr(x)


def task_key(name: str, args) -> str:
    """The canonical key of a task: its name and arguments, the same before and after a JSON round trip.

    >>> task_key("dense", (1024, 1024, 1024))
    'dense(1024, 1024, 1024)'
    >>> task_key("conv2d_nchw", (1, 64, 56, 56, 64, 3, 3, (1, 1), [1, 1], "float32"))
    'conv2d_nchw(1, 64, 56, 56, 64, 3, 3, [1, 1], [1, 1], "float32")'
    """
    return f"{name}(" + ", ".join(_render(a) for a in _plain(list(args))) + ")"


def target_string() -> str:
    """The target measurements were taken on, e.g. ``"llvm -mcpu=znver4"``."""
    from ..codegen.target import host_cpu
    return f"llvm -mcpu={host_cpu()}"


def make_row(task_name: str, args, config: dict, result, tool: str = "autotvm", target: str | None = None,
             flop: float | None = None, confirm: bool = False) -> dict:
    """One records line as a dict; ``result`` is a ``MeasureResult`` or its ``to_json()``.

    ``flop``, when given, is stored in the row's ``task`` so readers (the records dashboard,
    ``History.from_records``) can show GFLOPS without rebuilding the task. ``confirm`` marks a
    re-measurement of a config tried before (see ``is_confirmation``).

    >>> make_row("matmul", (8, 8, 8), {"index": 0}, {"costs": [], "error": "build"}, target="llvm")["task"]
    {'name': 'matmul', 'args': [8, 8, 8], 'key': 'matmul(8, 8, 8)'}
    """
    if tool not in TOOLS:
        raise ValueError(f"records: tool must be one of {TOOLS}, got {tool!r}")
    plain_args = _plain(list(args))
    task = {"name": task_name, "args": plain_args, "key": task_key(task_name, plain_args)}
    if flop is not None:
        task["flop"] = float(flop)
    row = {"version": VERSION, "tool": tool, "task": task,
           "config": config, "result": result if isinstance(result, dict) else result.to_json(),
           "target": target if target is not None else target_string()}
    if confirm:
        row["confirm"] = True
    return row


def is_confirmation(row: dict) -> bool:
    """Whether ``row`` re-measures a config at the end of tuning rather than trying one (a trial).

    >>> is_confirmation(make_row("mm", (8,), {"index": 0}, {"costs": [1.0], "error": "ok"}, target="llvm",
    ...                          confirm=True))
    True
    """
    return row.get("confirm") is True


def trials(rows) -> list:
    """The rows that are trials, in order: confirmations left out (each config's trial is its first row).

    >>> ok = {"costs": [1.0], "error": "ok"}
    >>> rows = [make_row("mm", (8,), {"index": 0}, ok, target="llvm"),
    ...         make_row("mm", (8,), {"index": 0}, ok, target="llvm", confirm=True)]
    >>> len(trials(rows))
    1
    """
    return [r for r in rows if not is_confirmation(r)]


def append(path, rows: list) -> None:
    """Append ``rows`` (dicts) as JSON lines with one write, then flush and fsync.

    Every row is serialised before anything is written, so a row that is not JSON
    data raises ``TypeError``/``ValueError`` and leaves the file untouched. If the file
    ends in a torn line, the new rows start on a fresh line.
    """
    if not rows:
        return
    text = "".join(json.dumps(r, allow_nan=False, separators=(", ", ": ")) + "\n" for r in rows)
    data = text.encode("utf-8")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "ab") as f:
        if f.tell() > 0:
            with open(path, "rb") as g:
                g.seek(-1, os.SEEK_END)
                if g.read(1) != b"\n":
                    data = b"\n" + data
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _check_row(row) -> str:
    """Why ``row`` is not a usable records line ('' when it is)."""
    from .measure import MeasureResult
    if not isinstance(row, dict):
        return f"expected a JSON object, got {type(row).__name__}"
    if row.get("version") != VERSION:
        return f"unsupported records version {row.get('version')!r} (this Workbench reads version {VERSION})"
    if not isinstance(row.get("confirm", False), bool):
        return f"'confirm' must be true or false, got {row.get('confirm')!r}"
    task = row.get("task")
    if not (isinstance(task, dict) and isinstance(task.get("key"), str) and isinstance(task.get("name"), str)):
        return "missing or malformed 'task' (needs 'name' and 'key')"
    if not isinstance(row.get("config"), dict):
        return "missing or malformed 'config'"
    try:
        MeasureResult.from_json(row.get("result"))
    except ValueError as e:
        return str(e)
    return ""


def load(path) -> Iterator[dict]:
    """The rows of a records file, in order; a missing file has none.

    A line that is not valid JSON (e.g. torn by an interrupted write) or not a valid
    row is skipped with a ``RecordsWarning`` naming the line; it is never fatal.
    """
    if not os.path.exists(path):
        return
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            except (UnicodeDecodeError, ValueError) as e:
                warnings.warn(f"records file {os.fspath(path)!r}, line {lineno}: not valid JSON "
                              f"(a torn or corrupt line?), skipped: {e}", RecordsWarning, stacklevel=2)
                continue
            why = _check_row(row)
            if why:
                warnings.warn(f"records file {os.fspath(path)!r}, line {lineno}: {why}; skipped",
                              RecordsWarning, stacklevel=2)
                continue
            yield row


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON data")


def result_of(row: dict):
    """The ``MeasureResult`` of a row."""
    from .measure import MeasureResult
    return MeasureResult.from_json(row["result"])


def _rows(path_or_rows):
    if isinstance(path_or_rows, (str, os.PathLike)):
        return load(path_or_rows)
    return path_or_rows


def config_key(row: dict) -> str:
    """A config's identity within its task: its JSON with sorted keys (an AutoTVM index, an Ansor trace).

    >>> config_key({"config": {"knobs": {"t": 4}, "index": 3}})
    '{"index":3,"knobs":{"t":4}}'
    """
    return json.dumps(row["config"], sort_keys=True, separators=(",", ":"))


def best(path_or_rows, key: str | None = None):
    """The best successful row of each task.

    A task with confirmations (``is_confirmation``) is judged by them alone: among the configs
    re-measured, the one with the lowest median over its confirmation rows wins, and the row
    returned is its median confirmation (so its ``mean`` is that median). A task without any
    is judged by its trials: the lowest mean wins, ties keep the earlier row.

    With ``key=None``: a dict ``task key -> row``. With a key: that task's best row,
    or None when it has no successful measurement.
    """
    found: dict = {}
    means: dict = {}
    confirmed: dict = {}  # task key -> config key -> [(mean, row)] of successful confirmations
    for row in _rows(path_or_rows):
        k = row["task"]["key"]
        if key is not None and k != key:
            continue
        r = result_of(row)
        if not r.ok:
            continue
        if is_confirmation(row):
            confirmed.setdefault(k, {}).setdefault(config_key(row), []).append((r.mean, row))
        elif r.mean < means.get(k, math.inf):
            found[k], means[k] = row, r.mean
    from .confirm import median_seconds
    for k, by_config in confirmed.items():
        medians = []
        for runs in by_config.values():
            m = median_seconds([mean for mean, _ in runs])
            medians.append(next(t for t in runs if t[0] == m))   # the lower median is a row that was measured
        found[k] = min(medians, key=lambda t: t[0])[1]
    return found if key is None else found.get(key)


def pick_best(path, out_path) -> int:
    """Write the best row of each task in ``path`` to ``out_path`` (replaced atomically); returns how many.

    >>> pick_best("mm.jsonl", "mm.best.jsonl")   # doctest: +SKIP
    1
    """
    rows = list(best(path).values())
    out_dir = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".pick_best.", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, allow_nan=False, separators=(", ", ": ")) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(rows)


def measured_configs(path, key: str) -> set:
    """Indices of the configs of task ``key`` already measured in ``path`` (errors included): for resuming."""
    out = set()
    for row in load(path):
        if row["task"]["key"] == key:
            index = row["config"].get("index")
            if isinstance(index, int) and not isinstance(index, bool):
                out.add(index)
    return out
