"""Workbench's own JSON MIME types: graph modules, loop nests and tuning runs as plain data.

The JupyterLab extension (``extension/``) renders these payloads interactively, in a live
notebook and in a saved one without a kernel. Each builder is a pure function from a compiler
object to JSON-ready dicts (only str/int/float/bool/None/list/dict), versioned with
``"version": 1`` so the extension can refuse a payload it does not understand with a clear
message. ``mime_bundle`` picks the right builder for an object, or returns ``{}``.

>>> from workbench.graph import Function, Module, ops
>>> x = ops.var("x", (1, 8))
>>> bundle = mime_bundle(Module(Function((x,), ops.nn.relu(x))))
>>> sorted(bundle), bundle[GRAPH_MIME]["version"]
(['application/vnd.workbench.graph+json'], 1)
"""
from __future__ import annotations

import enum
import math
import os

from ..graph.expr import Call, Constant, Function, Module, Tuple, TupleGetItem, Var
from ..graph.functor import post_order

GRAPH_MIME = "application/vnd.workbench.graph+json"
LOOPNEST_MIME = "application/vnd.workbench.loopnest+json"
TUNING_MIME = "application/vnd.workbench.tuning+json"
VERSION = 1
# Lowering every fused group of a big model would make displaying it slow: beyond this many
# distinct groups, clusters carry no loop nest (the extension says so in the details pane).
MAX_LOWERED_GROUPS = 48
# With code=True each distinct group is compiled (~0.2 s each) and its optimised LLVM IR kept,
# clipped to this many lines so a saved notebook stays small.
MAX_CODE_LINES = 400


# ---------------------------------------------------------------------------------------------
# plain JSON values

def _plain(v):
    """``v`` as JSON data (tuples become lists; anything else becomes its text)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v) if math.isfinite(v) else str(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
        return _plain(v.item())
    if isinstance(v, enum.Enum):
        return _plain(v.value)
    return str(v)


def _type_info(t) -> dict:
    if hasattr(t, "fields"):
        fields = [_type_info(f) for f in t.fields]
        return {"shape": [f["shape"] for f in fields], "dtype": [f["dtype"] for f in fields]}
    return {"shape": list(getattr(t, "shape", ())), "dtype": str(getattr(t, "dtype", ""))}


# ---------------------------------------------------------------------------------------------
# graph

class _GraphWalk:
    """Flattens a main function into op nodes, edges and clusters (fused groups, partitions)."""

    def __init__(self, lower_groups: bool, code: bool = False):
        self.nodes: list = []
        self.edges: list = []
        self.clusters: list = []
        self.lower_groups = lower_groups
        self.code = code
        self.lowered: dict = {}  # group text -> {"loopnest", "loopnest_note", "code", "code_note"}
        self.local: dict = {}    # node id -> hash of (op, name, attrs, type, weights)
        self.keys: dict = {}     # node id -> hash of its local key and its inputs' local keys

    def add(self, kind: str, key: tuple, ins=(), **fields) -> str:
        """A new node; its key is what it is plus what its direct inputs are (so a change shows
        where it happened, not on every node downstream of it)."""
        nid = f"n{len(self.nodes)}"
        fields.update(id=nid, kind=kind)
        self.nodes.append(fields)
        self.local[nid] = hash(key)
        self.keys[nid] = hash((key, tuple(self.local.get(i, 0) for i in ins if i is not None)))
        return nid

    def edge(self, src, dst: str) -> None:
        if src is not None:
            self.edges.append({"source": src, "target": dst})

    def op_node(self, n: Call, env: dict, cluster, weight_params=frozenset()) -> str:
        weights = [a for a in n.args if (isinstance(a, Constant) and a.data.size > 1) or id(a) in weight_params]
        wl = []
        for a in weights:
            t = weight_params.get(id(a), a) if isinstance(weight_params, dict) else a
            wl.append({"name": getattr(t, "name", "") or "weight", **_type_info(t.type)})
        ins = [env.get(id(a)) for a in n.args]
        key = (n.op.name, n.name, tuple(sorted((k, repr(v)) for k, v in n.attrs.items())), str(n.type),
               tuple((w["name"], str(w["shape"])) for w in wl))
        nid = self.add("op", key, ins, op=n.op.name, name=n.name, attrs={k: _plain(v) for k, v in n.attrs.items()},
                       pattern=_pattern_name(n.op), cluster=cluster, weights=wl, **_type_info(n.type))
        for i in ins:
            self.edge(i, nid)
        return nid

    def function(self, fn: Function, env: dict, cluster=None, weight_params=None) -> None:
        """Walk ``fn.body`` with ``env`` mapping its params to drawn node ids."""
        weight_params = weight_params or {}
        for n in post_order(fn.body):
            if id(n) in env or isinstance(n, (Var, Constant, Function)):
                continue
            if isinstance(n, Call) and isinstance(n.op, Function):
                cid = self.cluster(n.op, cluster)
                inner = {id(p): env.get(id(a)) for p, a in zip(n.op.params, n.args)}
                weights = {id(p): a for p, a in zip(n.op.params, n.args)
                           if isinstance(a, Constant) and a.data.size > 1 or id(a) in weight_params}
                self.function(n.op, inner, cid, weights)
                env[id(n)] = inner.get(id(n.op.body))
            elif isinstance(n, Call):
                env[id(n)] = self.op_node(n, env, cluster, weight_params)
            elif isinstance(n, Tuple):
                ins = [env.get(id(f)) for f in n.fields]
                nid = self.add("tuple", ("tuple", len(ins)), ins,
                               op="tuple", name="", attrs={}, pattern="tuple", cluster=cluster, weights=[],
                               **_type_info(n.type))
                for i in ins:
                    self.edge(i, nid)
                env[id(n)] = nid
            elif isinstance(n, TupleGetItem):
                env[id(n)] = env.get(id(n.tuple_value))

    def cluster(self, fn: Function, parent) -> str:
        cid = f"c{len(self.clusters)}"
        compiler = fn.attrs.get("Compiler") if "Compiler" in fn.attrs else None
        kind = "partition" if compiler is not None else "fused"
        info = {"id": cid, "kind": kind, "name": fn.name or ("partition" if compiler else "group"),
                "parent": parent, "reason": str(fn.attrs.get("reason", "")) if "reason" in fn.attrs else "",
                "compiler": None if compiler is None else str(compiler),
                "attrs": {k: _plain(v) for k, v in fn.attrs.items()},
                "ops": [m.op.name for m in post_order(fn.body) if isinstance(m, Call) and not isinstance(m.op, Function)],
                "loopnest": None, "loopnest_note": "", "code": None, "code_note": "", "graph_text": ""}
        self.clusters.append(info)
        if kind == "fused":
            from ..graph.printer import function_str
            text = function_str(fn, "@" + (fn.name or "group"))
            info["graph_text"] = text
            info.update(self.lower(fn, text))
        return cid

    def lower(self, fn: Function, text: str) -> dict:
        """The loop nest (and with ``code``, the LLVM IR) of a fused group, or notes saying why not."""
        if text in self.lowered:
            return self.lowered[text]
        out = {"loopnest": None, "loopnest_note": "", "code": None,
               "code_note": "" if self.code else "generated code was not asked for (graph_payload(..., code=True))"}
        if not self.lower_groups:
            out["loopnest_note"] = "loop nests were not computed (graph_payload(..., loop_nests=False))"
            return out
        if len(self.lowered) >= MAX_LOWERED_GROUPS:
            out["loopnest_note"] = out["code_note"] = (f"not lowered: the model has more than {MAX_LOWERED_GROUPS} "
                                                       "distinct fused groups")
            return out
        try:
            from ..graph.to_te import default_schedule, group_to_te
            from ..lower import lower
            from ..tir.printer import func_str
            g = group_to_te(fn)
            func = lower(default_schedule(g), g.inputs + g.outputs, name=fn.name or "group")
            out["loopnest"] = func_str(func)
        except Exception as e:  # noqa: BLE001 - a view must still show the graph when a group does not lower
            out["loopnest_note"] = f"could not lower this group with its default schedule: {type(e).__name__}: {e}"
            self.lowered[text] = out
            return out
        if self.code:
            try:
                from ..codegen.llvm import build
                out["code"] = _clip_lines(build(func).llvm_ir, MAX_CODE_LINES)
            except Exception as e:  # noqa: BLE001 - as above: the graph still shows
                out["code_note"] = f"codegen failed for this group: {type(e).__name__}: {e}"
        self.lowered[text] = out
        return out


def _clip_lines(text: str, limit: int) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join(lines[:limit] + [f"; ... {len(lines) - limit} more lines (Kernel.source('llvm') has them all)"])


def _pattern_name(op) -> str:
    p = getattr(op, "pattern", None)
    return p.name.lower() if p is not None and hasattr(p, "name") else "opaque"


def _walk(mod, loop_nests: bool, code: bool = False) -> _GraphWalk:
    fn = mod.main if isinstance(mod, Module) else mod
    if not isinstance(fn, Function):
        from ..errors import WorkbenchError
        raise WorkbenchError(f"graph_payload: expected a graph Module or Function, got {type(mod).__name__}")
    w = _GraphWalk(loop_nests, code)
    env: dict = {}
    for p in fn.params:
        env[id(p)] = w.add("input", ("input", p.name, str(p.type)), op="input", name=p.name, attrs={},
                           pattern="input", cluster=None, weights=[], **_type_info(p.type))
    w.function(fn, env)
    out = w.add("output", ("output", str(fn.body.type)), [env.get(id(fn.body))], op="output", name="output", attrs={},
                pattern="output", cluster=None, weights=[], **_type_info(fn.body.type))
    w.edge(env.get(id(fn.body)), out)
    return w


def _mark_changes(after: _GraphWalk, before: _GraphWalk) -> dict:
    """Nodes whose structural key (op, attrs, type, inputs' keys) is new/gone; clusters that formed/went."""
    from collections import Counter

    def mark(side, other, absent: str) -> list:
        """Set each node's status on ``side``: "same" when ``other`` has a node of its key left, else ``absent``."""
        left, out = Counter(other.keys.values()), []
        for n in side.nodes:
            k = side.keys[n["id"]]
            if left[k] > 0:
                left[k] -= 1
                n["status"] = "same"
            else:
                n["status"] = absent
                out.append(n["id"])
        return out
    added, removed = mark(after, before, "added"), mark(before, after, "removed")
    names_b = Counter((c["kind"], tuple(c["ops"])) for c in before.clusters)
    names_a = Counter((c["kind"], tuple(c["ops"])) for c in after.clusters)
    new_clusters = [c["id"] for c in after.clusters if names_b[(c["kind"], tuple(c["ops"]))] == 0]
    gone_clusters = [c["id"] for c in before.clusters if names_a[(c["kind"], tuple(c["ops"]))] == 0]
    return {"added": added, "removed": removed, "added_clusters": new_clusters, "removed_clusters": gone_clusters,
            "before": {"nodes": before.nodes, "edges": before.edges, "clusters": before.clusters}}


def graph_payload(mod, before=None, *, title: str = "", loop_nests: bool = True, code: bool = False) -> dict:
    """The graph of ``mod`` (a Module or Function) as JSON data for ``GRAPH_MIME``.

    ``nodes`` are operators (op, name, attrs, shape, dtype, fusion pattern, the weights folded
    into them), model inputs and the output; ``edges`` connect them across group boundaries;
    ``clusters`` are fused groups (with the reason they formed, their graph text and, with
    ``loop_nests``, the loop nest of their default schedule; with ``code``, also the optimised
    LLVM IR it compiles to) and BYOC partitions (functions with a ``Compiler`` attribute).
    With ``before`` (the module before a pass), every node gets a ``status`` ("same" /
    "added") and ``changes`` lists what was added and removed, with the before graph itself
    for side-by-side viewing.

    >>> from workbench.graph import Function, Module, ops
    >>> x = ops.var("x", (1, 8))
    >>> p = graph_payload(Module(Function((x,), ops.nn.relu(x))))
    >>> [n["op"] for n in p["nodes"]]
    ['input', 'nn.relu', 'output']
    """
    after = _walk(mod, loop_nests, code)
    out = {"version": VERSION, "kind": "graph", "title": title, "nodes": after.nodes, "edges": after.edges,
           "clusters": after.clusters, "changes": None}
    if before is not None:
        out["changes"] = _mark_changes(after, _walk(before, False))
    return out


# The extension fills these in when a payload leaves them out (extension/src/validate.ts), so a
# saved notebook's payload can drop every field that holds its default (``compact_graph_payload``).
NODE_DEFAULTS = {"kind": "op", "name": "", "attrs": {}, "pattern": "opaque", "cluster": None, "weights": [],
                 "shape": [], "dtype": ""}
CLUSTER_DEFAULTS = {"kind": "fused", "parent": None, "reason": "", "compiler": None, "attrs": {}, "loopnest": None,
                    "loopnest_note": "", "graph_text": ""}


def _without_defaults(items: list, defaults: dict) -> list:
    return [{k: v for k, v in x.items() if k not in defaults or v != defaults[k]} for x in items]


def compact_graph_payload(payload: dict) -> dict:
    """``payload`` (from ``graph_payload``) without the node and cluster fields that hold their
    default value; the extension reads both the same. For saved notebooks (5-10% smaller).

    >>> from workbench.graph import Function, Module, ops
    >>> x = ops.var("x", (1, 8))
    >>> compact_graph_payload(graph_payload(Module(Function((x,), ops.nn.relu(x)))))["nodes"][1]
    {'op': 'nn.relu', 'pattern': 'elemwise', 'shape': [1, 8], 'dtype': 'float32', 'id': 'n1'}
    """
    out = dict(payload)
    out["nodes"] = _without_defaults(payload["nodes"], NODE_DEFAULTS)
    out["clusters"] = _without_defaults(payload["clusters"], CLUSTER_DEFAULTS)
    if payload.get("changes"):
        before = payload["changes"]["before"]
        out["changes"] = {**payload["changes"], "before": {
            "nodes": _without_defaults(before["nodes"], NODE_DEFAULTS), "edges": before["edges"],
            "clusters": _without_defaults(before["clusters"], CLUSTER_DEFAULTS)}}
    return out


# ---------------------------------------------------------------------------------------------
# loop nest

def _stmt_tree(s, line: list, stage: str = "") -> list:
    """The statement ``s`` as a list of tree nodes; ``line`` counts printed lines (printer order)."""
    from ..tir.printer import expr_str
    from ..tir.stmt import Allocate, Evaluate, For, IfThenElse, SeqStmt, Store
    if isinstance(s, SeqStmt):
        return [n for x in s.stmts for n in _stmt_tree(x, line, stage)]
    here = line[0]
    line[0] += 1
    if isinstance(s, For):
        st = stage or _stage_of(s)
        ext = expr_str(s.extent)
        node = {"type": "for", "var": s.var.name, "kind": s.kind.value, "min": expr_str(s.min),
                "extent": int(ext) if ext.lstrip("-").isdigit() else ext, "stage": st,
                "annotations": {str(k): _plain(v) for k, v in s.annotations}, "line": here}
        node["children"] = _stmt_tree(s.body, line, st)
        return [node]
    if isinstance(s, Store):
        from ..tir.printer import stmt_str
        return [{"type": "store", "buffer": s.buffer.name, "stage": s.buffer.name, "text": stmt_str(s),
                 "line": here, "children": []}]
    if isinstance(s, Allocate):
        b = s.buffer
        node = {"type": "allocate", "buffer": b.name, "shape": [_plain(x) for x in b.shape], "dtype": str(b.dtype),
                "scope": str(getattr(b, "scope", "")), "stage": b.name, "line": here, "children": []}
        return [node] + _stmt_tree(s.body, line, stage)
    if isinstance(s, IfThenElse):
        node = {"type": "if", "cond": expr_str(s.cond), "stage": stage, "line": here,
                "children": _stmt_tree(s.then_case, line, stage)}
        if s.else_case is not None:
            line[0] += 1
            node["else_children"] = _stmt_tree(s.else_case, line, stage)
        return [node]
    if isinstance(s, Evaluate):
        return [{"type": "pass", "stage": stage, "line": here, "children": []}]
    return [{"type": "other", "text": repr(s), "stage": stage, "line": here, "children": []}]


def _stage_of(loop) -> str:
    """The buffer(s) a loop writes: its stage, as the schedule named it."""
    from ..tir.functor import post_order_visit
    from ..tir.stmt import Store
    names: list = []
    post_order_visit(loop, lambda n: names.append(n.buffer.name)
                     if isinstance(n, Store) and n.buffer.name not in names else None)
    return ", ".join(names)


def loopnest_payload(stmt_or_func) -> dict:
    """A loop nest (a ``tir.PrimFunc``, a statement, or a ``Kernel``) as JSON data for ``LOOPNEST_MIME``.

    ``tree`` holds loops (var, kind, extent, stage: the buffer it writes), stores, allocations and
    branches, each with the ``line`` of ``text`` (the printed nest) it starts on.

    >>> from workbench import te
    >>> import workbench as wb
    >>> A = te.placeholder((16,), name="A"); B = te.compute((16,), lambda i: A[i] * 2, name="B")
    >>> p = loopnest_payload(wb.lower(te.create_schedule(B.op), [A, B]))
    >>> [(n["var"], n["kind"], n["extent"]) for n in p["tree"]]
    [('i', 'serial', 16)]
    """
    from ..tir.printer import func_str, stmt_str
    from ..tir.stmt import PrimFunc, Stmt
    obj = getattr(stmt_or_func, "func", stmt_or_func)
    if isinstance(obj, PrimFunc):
        text = func_str(obj)
        tree = _stmt_tree(obj.body, [1])
        params = [{"name": b.name, "shape": [_plain(x) for x in b.shape], "dtype": str(b.dtype)} for b in obj.params]
        name = obj.name
    elif isinstance(obj, Stmt):
        text, tree, params, name = stmt_str(obj), _stmt_tree(obj, [0]), [], ""
    else:
        from ..errors import WorkbenchError
        raise WorkbenchError(f"loopnest_payload: expected a tir.PrimFunc, a tir statement or a Kernel, "
                             f"got {type(stmt_or_func).__name__}; lower a schedule first (wb.lower(s, args))")
    return {"version": VERSION, "kind": "loopnest", "name": name, "params": params, "tree": tree, "text": text}


# ---------------------------------------------------------------------------------------------
# tuning

def _series(tuner: str, task: str, trials: list, metric: str) -> dict:
    best, curve = None, []
    for t in trials:
        v = t.get(metric)
        if t["error"] == "ok" and v is not None:
            best = v if best is None else (max(best, v) if metric == "gflops" else min(best, v))
        curve.append(best)
    return {"tuner": tuner, "task": task, "trials": trials, "best": curve}


def _history_series(h, tuner: str, task: str) -> dict:
    trials = []
    for b in h.batches:
        for i, c, g, e in zip(b["trials"], b["configs"], b["gflops"], b["errors"]):
            trials.append({"trial": i, "gflops": float(g) if e == "ok" else None, "ms": None, "error": e,
                           "error_msg": "", "config": {} if c is None else {"index": _plain(c)}})
    return _series(tuner, task, trials, "gflops")


def _task_flop(task: dict):
    try:
        from .. import autotvm
        return autotvm.task(task["name"], tuple(task.get("args", ()))).flop
    except Exception:  # noqa: BLE001 - an unknown template: the chart shows milliseconds instead
        return None


def _records_series(rows: list) -> list:
    from ..tune.records import result_of, trials as trial_rows
    groups: dict = {}
    for row in trial_rows(rows):  # confirmations (a run's best measured again) are not trials
        groups.setdefault((row.get("tool", "autotvm"), row["task"]["key"]), []).append(row)
    out = []
    for (tool, key), rs in groups.items():
        flop = rs[0].get("flop") or _task_flop(rs[0]["task"])
        trials = []
        for i, row in enumerate(rs):
            r = result_of(row)
            ms = r.mean * 1e3 if r.ok else None
            gf = flop / r.mean / 1e9 if r.ok and flop else None
            trials.append({"trial": i, "gflops": gf, "ms": ms, "error": r.error.value,
                           "error_msg": r.error_msg, "config": _plain(row["config"])})
        out.append(_series(tool, key, trials, "gflops" if flop else "ms"))
    return out


def tuning_payload(histories_or_records, *, title: str = "") -> dict:
    """Tuning runs as JSON data for ``TUNING_MIME``: per tuner and task, every trial and the best so far.

    Accepts a ``tune.callbacks.History``, a dict ``{tuner name: History}``, a list of those, a
    records file path, or a list of records rows. Each series has ``trials`` (trial number,
    GFLOPS or milliseconds, error kind and message, config) and ``best`` (best so far after each
    trial; GFLOPS higher is better, ms lower is better). ``metric`` says which one the series use.

    >>> from workbench.tune.callbacks import History
    >>> h = History(); h.add_batch([0, 1], [1.5, 0.0], ["ok", "build"])
    >>> p = tuning_payload({"random": h})
    >>> p["series"][0]["best"], p["series"][0]["trials"][1]["error"]
    ([1.5, 1.5], 'build')
    """
    from ..tune.callbacks import History
    x = histories_or_records
    series: list = []
    if isinstance(x, History):
        series.append(_history_series(x, "tuner", ""))
    elif isinstance(x, dict) and x and all(isinstance(v, History) for v in x.values()):
        series += [_history_series(h, str(name), "") for name, h in x.items()]
    elif isinstance(x, (str, os.PathLike)):
        import warnings
        from ..tune import records
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", records.RecordsWarning)
            rows = list(records.load(x))
        series += _records_series(rows)
        skipped = [str(w.message) for w in caught if issubclass(w.category, records.RecordsWarning)]
        return _tuning_out(series, title or os.path.basename(os.fspath(x)), skipped)
    elif isinstance(x, (list, tuple)) and x and all(isinstance(v, History) for v in x):
        series += [_history_series(h, f"run {k}", "") for k, h in enumerate(x)]
    elif isinstance(x, (list, tuple)) and all(isinstance(v, dict) and "task" in v and "result" in v for v in x):
        series += _records_series(list(x))
    else:
        from ..errors import TuningError
        raise TuningError(f"tuning_payload: expected a History, {{name: History}}, a list of Histories, a records "
                          f"path or a list of records rows, got {type(x).__name__}")
    return _tuning_out(series, title, [])


def _tuning_out(series: list, title: str, skipped: list) -> dict:
    metric = "gflops" if series and all(any(t["gflops"] is not None for t in s["trials"]) or not s["trials"]
                                        for s in series) else "ms"
    for s in series:
        if metric == "ms" and any(t["ms"] is None and t["error"] == "ok" for t in s["trials"]):
            metric = "gflops"
    return {"version": VERSION, "kind": "tuning", "title": title, "metric": metric, "series": series,
            "skipped": skipped}


# ---------------------------------------------------------------------------------------------

def mime_bundle(obj) -> dict:
    """``{mime type: payload}`` for a Workbench object, ``{}`` when it has no Workbench view.

    Graph modules/functions give ``GRAPH_MIME``; lowered functions, statements and kernels
    ``LOOPNEST_MIME``; tuning histories (or ``{name: History}``) ``TUNING_MIME``.
    Used by ``_repr_mimebundle_`` beside HTML/SVG and text fall-backs.

    >>> mime_bundle(42)
    {}
    """
    from ..tir.stmt import PrimFunc, Stmt
    from ..tune.callbacks import History
    if isinstance(obj, (Module, Function)):
        return {GRAPH_MIME: graph_payload(obj)}
    if isinstance(obj, (PrimFunc, Stmt)) or isinstance(getattr(obj, "func", None), PrimFunc):
        return {LOOPNEST_MIME: loopnest_payload(obj)}
    if isinstance(obj, History) or (isinstance(obj, dict) and obj and all(isinstance(v, History) for v in obj.values())):
        return {TUNING_MIME: tuning_payload(obj)}
    return {}
