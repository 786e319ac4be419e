"""The Einsum converter: two-operand contractions (with ellipsis) as transposes, reshapes and
``nn.matmul``; single-operand sums and permutations."""
from __future__ import annotations

import math


from .onnx_common import Unsupported


# -- padding ----------------------------------------------------------------------------------



# -- einsum -----------------------------------------------------------------------------------

def _einsum_terms(eq: str, ranks: list):
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise Unsupported(f"equation {eq!r} does not match {len(ranks)} inputs")
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    n_ell = max((r - len(t.replace("...", "")) for t, r in zip(terms, ranks) if "..." in t), default=0)
    ell = "".join(spare[:n_ell])
    out_terms = []
    for t, r in zip(terms, ranks):
        if "..." in t:
            k = r - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:])
        out_terms.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for t in out_terms:
            for ch in t:
                counts[ch] = counts.get(ch, 0) + 1
        out = ell + "".join(sorted(ch for ch, k in counts.items() if k == 1 and ch not in ell))
    return out_terms, out


def _sum_out(ctx, x, term, keep):
    """Sum over the letters of ``term`` not in ``keep``; returns (value, remaining term)."""
    if len(set(term)) != len(term):
        raise Unsupported("repeated indices in one operand (diagonals)")
    axes = tuple(i for i, ch in enumerate(term) if ch not in keep)
    if not axes:
        return x, term
    return ctx.call("sum", x, axis=axes, keepdims=False), "".join(ch for ch in term if ch in keep)


def _permute(ctx, x, term, order):
    if term == order:
        return x
    return ctx.call("transpose", x, axes=tuple(term.index(ch) for ch in order))


def convert_einsum(ctx, node):
    xs = node.inputs
    terms, out = _einsum_terms(node.attr("equation"), [len(x.type.shape) for x in xs])
    if len(xs) == 1:
        x, t = _sum_out(ctx, xs[0], terms[0], set(out))
        return _permute(ctx, x, t, out)
    if len(xs) != 2:
        raise Unsupported(f"{len(xs)} operands")
    (a, b), (ta, tb) = xs, terms
    a, ta = _sum_out(ctx, a, ta, set(out) | set(tb))
    b, tb = _sum_out(ctx, b, tb, set(out) | set(ta))
    size = {ch: d for t, x in ((ta, a), (tb, b)) for ch, d in zip(t, x.type.shape)}
    batch = [ch for ch in ta if ch in tb and ch in out]
    contract = [ch for ch in ta if ch in tb and ch not in out]
    left = [ch for ch in ta if ch not in tb]
    right = [ch for ch in tb if ch not in ta]
    for ch in batch + contract:
        da = a.type.shape[ta.index(ch)]
        db = b.type.shape[tb.index(ch)]
        if da != db:
            raise Unsupported("broadcasting einsum dimensions")
    bsz = [size[c] for c in batch]
    m, k, n = math.prod(size[c] for c in left), math.prod(size[c] for c in contract), math.prod(size[c] for c in right)
    a3 = ctx.call("reshape", _permute(ctx, a, ta, "".join(batch + left + contract)), newshape=(*bsz, m, k))
    b3 = ctx.call("reshape", _permute(ctx, b, tb, "".join(batch + contract + right)), newshape=(*bsz, k, n))
    y = ctx.call("nn.matmul", a3, b3)
    got = "".join(batch + left + right)
    y = ctx.call("reshape", y, newshape=tuple(size[c] for c in got))
    return _permute(ctx, y, got, out)


CONVERTERS = {"Einsum": convert_einsum}
