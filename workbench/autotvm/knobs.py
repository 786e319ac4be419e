"""Knobs of a search space: the choices each kind offers and the value objects a template applies.

``SplitEntity`` splits an axis into factors, ``ReorderEntity`` permutes axes,
``AnnotateEntity`` unrolls or vectorizes axes, ``OtherOptionEntity`` holds any
other choice; ``Knob`` is a named list of them. ``space.py`` builds spaces of knobs.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..te.tensor import IterVar

MAX_KNOB_CHOICES = 1_000_000
SPLIT_POLICIES = ("factors", "power2", "candidate")
REORDER_POLICIES = ("all", "candidate")
ANNOTATE_POLICIES = {"unroll": ("none", "unroll"), "vec": ("none", "vec"), "unroll_vec": ("none", "unroll", "vec")}
ANNOTATION_CODES = {"none": 0, "unroll": 1, "vec": 2}


# ---------------------------------------------------------------------- knob values

@dataclass(frozen=True)
class SplitEntity:
    """Split one axis into ``len(size)`` loops of extents ``size`` (outer to inner).

    ``size[0]`` is the outer trip count (``-1``: whatever is left); the loops are
    made by splitting off the inner factors from the innermost out.
    """
    size: list

    def apply(self, stage, axis) -> list:
        """Split ``axis`` of ``stage``; returns the new axes, outer to inner."""
        inner = []
        for f in reversed(self.size[1:]):
            axis, ax = stage.split(axis, factor=int(f))
            inner.append(ax)
        return [axis] + inner[::-1]

    def to_json(self):
        return list(self.size)

    def numbers(self) -> list:
        return [float(v) for v in self.size]

    def __repr__(self):
        return f"SplitEntity({self.size})"


@dataclass(frozen=True)
class ReorderEntity:
    """Put the given axes in the order ``[axes[p] for p in perm]``."""
    perm: list

    def apply(self, stage, axes) -> list:
        """Reorder ``axes`` of ``stage``; returns them in their new order."""
        if len(axes) != len(self.perm):
            raise ConfigError(f"reorder: expected {len(self.perm)} axes, got {len(axes)} (stage \"{stage.name}\")")
        ordered = [axes[p] for p in self.perm]
        stage.reorder(*ordered)
        return ordered

    def to_json(self):
        return list(self.perm)

    def numbers(self) -> list:
        return [float(v) for v in self.perm]

    def __repr__(self):
        return f"ReorderEntity({self.perm})"


@dataclass(frozen=True)
class AnnotateEntity:
    """One annotation per axis: ``"none"``, ``"unroll"`` or ``"vec"``."""
    anns: list

    def apply(self, stage, axes) -> None:
        """Unroll or vectorize each of ``axes`` of ``stage`` as chosen."""
        if len(axes) != len(self.anns):
            raise ConfigError(f"annotate: expected {len(self.anns)} axes, got {len(axes)} (stage \"{stage.name}\")")
        for ax, ann in zip(axes, self.anns):
            if ann == "unroll":
                stage.unroll(ax)
            elif ann == "vec":
                stage.vectorize(ax)

    def to_json(self):
        return list(self.anns)

    def numbers(self) -> list:
        return [float(ANNOTATION_CODES[a]) for a in self.anns]

    def __repr__(self):
        return f"AnnotateEntity({self.anns})"


@dataclass(frozen=True)
class OtherOptionEntity:
    """One of the plain values of a ``define_knob`` knob."""
    val: object

    def to_json(self):
        return self.val

    def __repr__(self):
        return f"OtherOptionEntity({self.val!r})"


# ---------------------------------------------------------------------- knobs

@dataclass
class Knob:
    """A named list of choices. ``describe`` says how they were made."""
    name: str
    kind: str                 # "split" | "reorder" | "annotate" | "other"
    values: list              # the entities, in index order
    describe: str
    default: int = 0          # the index of the fallback choice
    signature: tuple = field(default=())  # what a re-definition must match (kind, extent, ...)

    def __len__(self):
        return len(self.values)

    def numbers(self, k: int) -> list:
        v = self.values[k]
        if isinstance(v, OtherOptionEntity):
            x = v.val
            return [float(x) if isinstance(x, (int, float)) else float(k)]  # strings, None: the choice's index
        return v.numbers()


def _extent_of(axis_or_extent, name: str) -> int:
    if isinstance(axis_or_extent, IterVar):
        if not isinstance(axis_or_extent.extent, int):
            raise ConfigError(f"define_split {name!r}: axis {axis_or_extent.name} has no constant extent; "
                              "pass the extent as an int (e.g. stage.extent_of(axis))")
        return axis_or_extent.extent
    if isinstance(axis_or_extent, int) and not isinstance(axis_or_extent, bool) and axis_or_extent > 0:
        return axis_or_extent
    raise ConfigError(f"define_split {name!r}: expected an axis or a positive int extent, got {axis_or_extent!r}")


def _factorizations(n: int, parts: int) -> list:
    """Every ordered tuple of ``parts`` positive ints whose product is ``n``."""
    if parts == 1:
        return [(n,)]
    divs = [d for d in range(1, n + 1) if n % d == 0] if n < 1 << 16 else _divisors(n)
    return [(d,) + rest for d in divs for rest in _factorizations(n // d, parts - 1)]


def _divisors(n: int) -> list:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def _split_sizes(extent: int, num_outputs: int, policy: str, candidate, max_factor, name: str) -> list:
    if policy == "factors":
        sizes = [list(t) for t in sorted(_factorizations(extent, num_outputs), key=lambda t: t[::-1])]
    elif policy == "power2":
        pows = [1 << e for e in range(extent.bit_length()) if 1 << e <= extent]
        sizes = []
        for inner in itertools.product(pows, repeat=num_outputs - 1):
            p = math.prod(inner)
            if p <= extent:
                sizes.append([-(-extent // p)] + list(inner))
    elif policy == "candidate":
        if not candidate:
            raise ConfigError(f"define_split {name!r}: policy 'candidate' needs a non-empty candidate list")
        sizes = []
        for c in candidate:
            if (not isinstance(c, (list, tuple)) or len(c) != num_outputs
                    or any(not isinstance(v, int) or isinstance(v, bool) for v in c)
                    or any(v <= 0 for v in c[1:]) or (c[0] <= 0 and c[0] != -1)):
                raise ConfigError(f"define_split {name!r}: candidate {c!r} must be {num_outputs} positive ints "
                                  "(the first may be -1 for 'the rest')")
            sizes.append(list(c))
    else:
        raise ConfigError(f"define_split {name!r}: unknown policy {policy!r}; use one of {', '.join(SPLIT_POLICIES)}")
    if max_factor is not None:
        sizes = [s for s in sizes if all(v <= max_factor for v in s[1:])]
    return sizes


def _log_distance(a: list, b: list) -> float:
    return sum(abs(math.log2(max(x, 1)) - math.log2(max(y, 1))) for x, y in zip(a, b))


# ---------------------------------------------------------------------- spaces
