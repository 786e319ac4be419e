"""Import-time evaluation of ONNX nodes whose inputs are all constants.

Shape arithmetic in exported models (Shape -> Gather -> Concat -> Reshape, ConstantOfShape,
Range, Expand ...) only involves constants once input shapes are static. Such a node is
evaluated here with ONNX's own reference evaluator (exact ONNX semantics, also for ops that
have no converter), so converters downstream see constant shape inputs. Calls built by
converters are folded separately (``onnx_common.fold_call``) with the graph ops' references.
"""
from __future__ import annotations

import numpy as np

# Never folded: results differ run to run, or the node carries sub-graphs we do not evaluate.
NONDETERMINISTIC = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                    "Multinomial", "Bernoulli"}
FOLD_LIMIT = 1 << 26  # bytes: do not materialize huge constants (e.g. ConstantOfShape of an activation)


def foldable(node_proto) -> bool:
    if node_proto.op_type in NONDETERMINISTIC or node_proto.domain not in ("", "ai.onnx"):
        return False
    return not any(a.type in (5, 10) for a in node_proto.attribute)  # GRAPH, GRAPHS


def fold_node(node_proto, arrays: list, opset: int) -> list | None:
    """The output arrays of ``node_proto`` on constant ``arrays`` (None: could not evaluate)."""
    from onnx.reference import ReferenceEvaluator
    feeds = {name: a for name, a in zip(node_proto.input, arrays) if name}
    try:
        ev = ReferenceEvaluator(node_proto, opsets={"": opset})
        with np.errstate(all="ignore"):
            outs = ev.run(None, feeds)
    except Exception:
        return None
    res = []
    for o in outs:
        if not isinstance(o, np.ndarray) and not np.isscalar(o):
            return None
        o = np.asarray(o)
        if o.nbytes > FOLD_LIMIT or o.dtype == object:
            return None
        res.append(o)
    return res
