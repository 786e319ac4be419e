"""Arithmetic of a stage's iteration space: extents of derived axes and the original indices.

Shared by the schedule (legality checks, rfactor) and lowering (loop nests).
Given the extents of a stage's root axes, ``extents`` derives the trip count of
every split/fused axis; given expressions for the leaf loops, ``root_values``
rebuilds each original index and ``split_guards`` lists the conditions that
keep a non-dividing split inside its range.
"""
from __future__ import annotations

from ..tir.expr import const
from .stage import Fuse, Split


def _ceildiv(a: int, b: int) -> int:
    return -(-a // b)


def extents(relations, root_extents: dict) -> dict:
    """IterVar -> constant trip count, for the roots given and everything derived from them."""
    ext = dict(root_extents)
    for r in relations:
        if isinstance(r, Split):
            e = ext[r.parent]
            if r.factor is not None:
                ext[r.inner], ext[r.outer] = r.factor, _ceildiv(e, r.factor)
            else:
                ext[r.outer], ext[r.inner] = r.nparts, _ceildiv(e, r.nparts)
        elif isinstance(r, Fuse):
            ext[r.fused] = ext[r.outer] * ext[r.inner]
    return ext


def root_values(relations, leaf_values: dict, ext: dict) -> dict:
    """IterVar -> expression, for every axis reachable upward from the leaf expressions given.

    A split parent is ``outer * inner_extent + inner``; a fused pair is
    ``fused // inner_extent`` and ``fused % inner_extent``.
    """
    val = dict(leaf_values)
    for r in reversed(relations):
        if isinstance(r, Split):
            if r.outer in val and r.inner in val:
                val[r.parent] = val[r.outer] * ext[r.inner] + val[r.inner]
        elif isinstance(r, Fuse):
            if r.fused in val:
                f = val[r.fused]
                val[r.outer] = f // ext[r.inner] if ext[r.inner] != 1 else f
                val[r.inner] = f % ext[r.inner] if ext[r.inner] != 1 else const(0)
    return val


def split_guards(relations, val: dict, ext: dict) -> list:
    """Conditions ``parent_index < parent_extent`` for splits whose parts overshoot the parent."""
    out = []
    for r in relations:
        if isinstance(r, Split) and ext[r.outer] * ext[r.inner] != ext[r.parent] and r.parent in val:
            out.append((r.parent, val[r.parent] < ext[r.parent]))
    return out
