"""Search spaces of schedule parameters: knobs, the space they span, and one point of it.

A template is a function ``fn(cfg, *args)`` that builds a computation and
schedules it, reading every tunable choice from ``cfg``. It runs in two ways:

- with a ``ConfigSpace``: each ``cfg.define_*`` call adds a knob (a named list
  of choices); ``cfg[name]`` gives the knob's default so the body runs through;
- with a ``ConfigEntity`` (one point of the space, e.g. from a tuner): the
  ``define_*`` calls only check that they match the space, and ``cfg[name]``
  gives the chosen value.

The config is always an argument: there is no "current config" global.

Knob kinds and the value objects they hold:

=================  ===================================  ========================================
knob               value                                 applied with
=================  ===================================  ========================================
``define_split``   ``SplitEntity(size=[outer, .., inner])``  ``.apply(stage, axis) -> axes``
``define_reorder`` ``ReorderEntity(perm=[...])``         ``.apply(stage, axes) -> axes``
``define_annotate````AnnotateEntity(anns=["unroll", ..])``  ``.apply(stage, axes)``
``define_knob``    ``OtherOptionEntity(val)``            ``.val``
=================  ===================================  ========================================

An index ``0 <= i < len(space)`` names each point (mixed radix over the knobs,
the first knob varying fastest); ``ConfigEntity.to_json`` writes the index and
the knob values, and ``ConfigEntity.from_json`` checks both against the space.

>>> space = ConfigSpace()
>>> space.define_split("tile", 16, num_outputs=2)
SplitEntity([16, 1])
>>> space.define_knob("unroll", [0, 1])
OtherOptionEntity(0)
>>> len(space)
10
>>> space.get(3)["tile"].size
[2, 8]
"""
from __future__ import annotations

import itertools
import math

from ..errors import ConfigError
from .knobs import (ANNOTATE_POLICIES, MAX_KNOB_CHOICES, REORDER_POLICIES, AnnotateEntity, Knob, OtherOptionEntity,
                    ReorderEntity, SplitEntity, _extent_of, _log_distance, _split_sizes)


class _Definer:
    """The ``define_*`` methods shared by the space (which records knobs) and its points (which check them)."""

    def define_split(self, name: str, axis_or_extent, num_outputs: int = 2, policy: str = "factors",
                     candidate=None, max_factor: int | None = None, filter=None, default=None) -> SplitEntity:
        """A knob splitting an axis (or an extent) into ``num_outputs`` loops.

        ``policy``: ``"factors"`` (every exact factorization), ``"power2"`` (inner factors
        powers of two, outer = the rest, guarded when it does not divide) or
        ``"candidate"`` (the given list of sizes). ``max_factor`` bounds every inner
        factor; ``filter(SplitEntity) -> bool`` drops choices; ``default`` (a size list,
        ``-1`` allowed first) picks the fallback: the nearest choice in log scale.

        >>> ConfigSpace().define_split("t", 12, num_outputs=3, default=[-1, 2, 2])
        SplitEntity([3, 2, 2])
        """
        extent = _extent_of(axis_or_extent, name)
        if not isinstance(num_outputs, int) or num_outputs < 1:
            raise ConfigError(f"define_split {name!r}: num_outputs must be a positive int, got {num_outputs!r}")
        sig = ("split", extent, num_outputs, policy)
        return self._define(name, sig, lambda: self._split_knob(name, extent, num_outputs, policy, candidate,
                                                                 max_factor, filter, default))

    @staticmethod
    def _split_knob(name, extent, num_outputs, policy, candidate, max_factor, keep, default) -> Knob:
        sizes = _split_sizes(extent, num_outputs, policy, candidate, max_factor, name)
        values = [SplitEntity(s) for s in sizes]
        if keep is not None:
            values = [v for v in values if keep(v)]
        if not values:
            raise ConfigError(f"define_split {name!r}: no choice is left for extent {extent} "
                              f"(policy {policy!r}, max_factor {max_factor}); relax the filter or max_factor")
        if default is not None:
            want = list(default)[1:]
            pick = min(range(len(values)), key=lambda k: (_log_distance(values[k].size[1:], want), k))
        else:  # no tiling: every inner factor as small as possible
            pick = min(range(len(values)), key=lambda k: (math.prod(values[k].size[1:]), k))
        extra = (f", max {max_factor}" if max_factor is not None else "") + (", filtered" if keep is not None else "")
        return Knob(name, "split", values, f"split {extent} into {num_outputs} ({policy}{extra})", pick)

    def define_reorder(self, name: str, axes, policy: str = "all", candidate=None, default=None) -> ReorderEntity:
        """A knob choosing the order of ``axes``: every permutation (``"all"``) or the given
        ``candidate`` orders (lists of the axes themselves, or of their positions in ``axes``).

        >>> ConfigSpace().define_reorder("r", [8, 8, 8], policy="candidate", candidate=[[0, 1, 2], [2, 0, 1]])
        ReorderEntity([0, 1, 2])
        """
        n = len(axes)
        sig = ("reorder", n, policy)
        return self._define(name, sig, lambda: self._reorder_knob(name, list(axes), policy, candidate, default))

    @staticmethod
    def _reorder_knob(name, axes, policy, candidate, default) -> Knob:
        n = len(axes)
        if policy == "all":
            if n > 8:
                raise ConfigError(f"define_reorder {name!r}: {n} axes have {math.factorial(n)} orders; "
                                  "give candidate orders instead")
            perms = [list(p) for p in itertools.permutations(range(n))]
        elif policy == "candidate":
            if not candidate:
                raise ConfigError(f"define_reorder {name!r}: policy 'candidate' needs a non-empty candidate list")
            perms = [_as_perm(name, axes, c) for c in candidate]
        else:
            raise ConfigError(f"define_reorder {name!r}: unknown policy {policy!r}; "
                              f"use one of {', '.join(REORDER_POLICIES)}")
        want = list(range(n)) if default is None else _as_perm(name, axes, default)
        pick = perms.index(want) if want in perms else 0
        return Knob(name, "reorder", [ReorderEntity(p) for p in perms], f"reorder {n} axes ({policy})", pick)

    def define_annotate(self, name: str, axes, policy: str = "unroll", default=None) -> AnnotateEntity:
        """A knob annotating each of ``axes``: ``"unroll"`` (none/unroll each), ``"vec"``
        (none/vectorize the last, innermost axis) or ``"unroll_vec"`` (both).

        >>> ConfigSpace().define_annotate("a", [4, 4], policy="unroll_vec", default=["unroll", "vec"])
        AnnotateEntity(['unroll', 'vec'])
        """
        n = len(axes)
        if policy not in ANNOTATE_POLICIES:
            raise ConfigError(f"define_annotate {name!r}: unknown policy {policy!r}; "
                              f"use one of {', '.join(ANNOTATE_POLICIES)}")
        sig = ("annotate", n, policy)
        return self._define(name, sig, lambda: self._annotate_knob(name, n, policy, default))

    @staticmethod
    def _annotate_knob(name, n, policy, default) -> Knob:
        kinds = ANNOTATE_POLICIES[policy]
        per_axis = [[k for k in kinds if k != "vec" or d == n - 1] for d in range(n)]  # vectors are innermost
        values = [AnnotateEntity(list(c)) for c in itertools.product(*per_axis)]
        want = ["none"] * n if default is None else list(default)
        pick = next((k for k, v in enumerate(values) if v.anns == want), 0)
        return Knob(name, "annotate", values, f"annotate {n} axes ({policy})", pick)

    def define_knob(self, name: str, values: list, default=None) -> OtherOptionEntity:
        """A knob choosing one of ``values`` (plain JSON values: numbers, strings, bools, None).

        >>> ConfigSpace().define_knob("unroll_max", [0, 16, 64], default=16)
        OtherOptionEntity(16)
        """
        values = list(values)
        sig = ("other", len(values))
        return self._define(name, sig, lambda: self._other_knob(name, values, default))

    @staticmethod
    def _other_knob(name, values, default) -> Knob:
        if not values:
            raise ConfigError(f"define_knob {name!r}: needs at least one value")
        for v in values:
            if not isinstance(v, (int, float, str, bool, type(None))):
                raise ConfigError(f"define_knob {name!r}: value {v!r} is not a plain JSON value "
                                  "(number, string, bool or None)")
        pick = values.index(default) if default in values else 0
        return Knob(name, "other", [OtherOptionEntity(v) for v in values], f"one of {values}", pick)


def _as_perm(name: str, axes: list, order) -> list:
    order = list(order)
    if all(isinstance(o, int) and not isinstance(o, bool) for o in order):
        perm = order
    else:
        ids = [id(a) for a in axes]
        try:
            perm = [ids.index(id(o)) for o in order]
        except ValueError:
            raise ConfigError(f"define_reorder {name!r}: order {order!r} names an axis not in the axes given") from None
    if sorted(perm) != list(range(len(axes))):
        raise ConfigError(f"define_reorder {name!r}: {order!r} is not a permutation of the {len(axes)} axes")
    return perm


class ConfigSpace(_Definer):
    """The knobs a template defines; the search space is every combination of their choices.

    >>> cs = ConfigSpace(); _ = cs.define_split("tile_x", 64, num_outputs=2, max_factor=16)
    >>> len(cs), cs.get(2)["tile_x"]
    (5, SplitEntity([16, 4]))
    """

    def __init__(self):
        self.knobs: dict = {}

    def _define(self, name, sig, make):
        if not isinstance(name, str) or not name:
            raise ConfigError(f"knob names must be non-empty strings, got {name!r}")
        if name in self.knobs:
            raise ConfigError(f"knob {name!r} is defined twice in this template; give each knob its own name")
        knob = make()
        knob.signature = sig
        if len(knob) > MAX_KNOB_CHOICES:
            raise ConfigError(f"knob {name!r} has {len(knob)} choices (more than {MAX_KNOB_CHOICES}); "
                              "use max_factor, a filter or candidates")
        self.knobs[name] = knob
        return knob.values[knob.default]

    def __getitem__(self, name: str):
        """The default value of knob ``name`` (what the template body sees while the space is collected)."""
        knob = self.knobs.get(name)
        if knob is None:
            raise ConfigError(f"no knob named {name!r}; knobs: {', '.join(self.knobs) or '(none)'}")
        return knob.values[knob.default]

    def __len__(self):
        return math.prod(len(k) for k in self.knobs.values())

    @property
    def dims(self) -> list:
        """The number of choices of each knob, in definition order."""
        return [len(k) for k in self.knobs.values()]

    def signature(self) -> tuple:
        """What two spaces must share for a config of one to be a config of the other."""
        return tuple((k.name, k.signature, len(k)) for k in self.knobs.values())

    def index_of(self, knob_indices) -> int:
        """The config index of one choice per knob (the inverse of ``ConfigEntity.knob_indices``)."""
        knob_indices = list(knob_indices)
        if len(knob_indices) != len(self.knobs):
            raise ConfigError(f"expected {len(self.knobs)} knob choices, got {len(knob_indices)}")
        index, scale = 0, 1
        for k, (knob, c) in enumerate(zip(self.knobs.values(), knob_indices)):
            if not isinstance(c, int) or not 0 <= c < len(knob):
                raise ConfigError(f"knob {knob.name!r}: choice {c!r} is not in [0, {len(knob)})")
            index += c * scale
            scale *= len(knob)
        return index

    def get(self, index: int) -> ConfigEntity:
        """The config with this index."""
        n = len(self)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n:
            raise ConfigError(f"config index {index!r} is out of range: the space has {n} configs")
        return ConfigEntity(self, index)

    def random_index(self, rng) -> int:
        """A uniformly random index; ``rng`` is a ``numpy.random.Generator`` or ``random.Random``."""
        if hasattr(rng, "integers"):
            picks = [int(rng.integers(len(k))) for k in self.knobs.values()]
        else:
            picks = [rng.randrange(len(k)) for k in self.knobs.values()]
        return self.index_of(picks)

    def fallback(self) -> FallbackConfig:
        """The default config (every knob at its default choice)."""
        return FallbackConfig(self)

    def __repr__(self):
        lines = [f"ConfigSpace ({len(self):,} configs, {len(self.knobs)} knobs)"]
        width = max((len(k) for k in self.knobs), default=0)
        for knob in self.knobs.values():
            lines.append(f"  {knob.name:<{width}}  {len(knob):>6,}  {knob.describe}; default {knob.values[knob.default]}")
        return "\n".join(lines)


class ConfigEntity(_Definer):
    """One point of a space: a choice for every knob. ``cfg[name]`` is the chosen value.

    >>> cs = ConfigSpace(); _ = cs.define_knob("k", ["a", "b"])
    >>> cfg = cs.get(1); cfg["k"].val, cfg.to_json()
    ('b', {'index': 1, 'knobs': {'k': 'b'}})
    """

    is_fallback = False

    def __init__(self, space: ConfigSpace, index: int):
        self.space = space
        self.index = index
        self.knob_indices = []
        rest = index
        for knob in space.knobs.values():
            rest, c = divmod(rest, len(knob))
            self.knob_indices.append(c)
        self._values = {k.name: k.values[c] for k, c in zip(space.knobs.values(), self.knob_indices)}

    def _define(self, name, sig, make):
        knob = self.space.knobs.get(name)
        if knob is None:
            raise ConfigError(f"the template defines knob {name!r}, which its space does not have "
                              f"(knobs: {', '.join(self.space.knobs) or '(none)'}); "
                              "a template must define the same knobs every time it runs")
        if knob.signature != sig:
            raise ConfigError(f"knob {name!r} is defined as {sig} but the space has {knob.signature}: "
                              "the config belongs to a different shape or template")
        return self._values[name]

    def __getitem__(self, name: str):
        v = self._values.get(name)
        if v is None:
            raise ConfigError(f"no knob named {name!r}; knobs: {', '.join(self._values) or '(none)'}")
        return v

    def items(self):
        """``(knob name, value)`` pairs in definition order."""
        return self._values.items()

    def to_json(self) -> dict:
        """``{"index": i, "knobs": {name: plain value}}``: what records store."""
        return {"index": self.index, "knobs": {k: v.to_json() for k, v in self._values.items()}}

    @staticmethod
    def from_json(space: ConfigSpace, d) -> ConfigEntity:
        """The config ``d`` (from ``to_json``) names in ``space``; ``ConfigError`` if it does not fit.

        >>> cs = ConfigSpace(); _ = cs.define_knob("k", [1, 2])
        >>> ConfigEntity.from_json(cs, {"index": 1, "knobs": {"k": 2}})["k"].val
        2
        """
        if not isinstance(d, dict) or "index" not in d:
            raise ConfigError(f"a config must be a JSON object with an 'index' (and 'knobs'), got {d!r:.200}")
        index = d["index"]
        if not isinstance(index, int) or isinstance(index, bool):
            raise ConfigError(f"config index must be an int, got {index!r}")
        if not 0 <= index < len(space):
            raise ConfigError(f"config index {index} is out of range: the space has {len(space)} configs "
                              "(is the config from another task or template version?)")
        cfg = ConfigEntity(space, index)
        knobs = d.get("knobs")
        if knobs is None:
            return cfg
        if not isinstance(knobs, dict):
            raise ConfigError(f"config 'knobs' must be an object of knob name -> value, got {knobs!r:.200}")
        want = cfg.to_json()["knobs"]
        if set(knobs) != set(want):
            missing, extra = sorted(set(want) - set(knobs)), sorted(set(knobs) - set(want))
            raise ConfigError(f"config knobs do not match the space: missing {missing}, unknown {extra} "
                              "(the config is from another template)")
        for k, v in want.items():
            if knobs[k] != v:
                raise ConfigError(f"config #{index}: knob {k!r} is {knobs[k]!r} in the JSON but {v!r} in the space "
                                  "(the config is from another space: a different shape or template version)")
        return cfg

    def knob_vector(self) -> list:
        """The knob choices as numbers (split sizes, permutation, annotation codes, option values)."""
        out: list = []
        for knob, c in zip(self.space.knobs.values(), self.knob_indices):
            out.extend(knob.numbers(c))
        return out

    def __eq__(self, other):
        return isinstance(other, ConfigEntity) and other.index == self.index and \
            (other.space is self.space or other.space.signature() == self.space.signature())

    def __hash__(self):
        return hash(self.index)

    def __repr__(self):
        body = ", ".join(f"{k}={v.to_json()!r}" for k, v in self._values.items())
        tag = "FallbackConfig" if self.is_fallback else "ConfigEntity"
        return f"{tag}(#{self.index}: {body})"


class FallbackConfig(ConfigEntity):
    """The config used for shapes nobody tuned: each knob at the default its template gave.

    >>> cs = ConfigSpace(); _ = cs.define_split("t", 64, default=[-1, 16])
    >>> FallbackConfig(cs)["t"]
    SplitEntity([4, 16])
    """

    is_fallback = True

    def __init__(self, space: ConfigSpace):
        super().__init__(space, space.index_of([k.default for k in space.knobs.values()]))
