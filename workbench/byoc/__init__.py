"""Bring your own codegen: split a model between external backends and Workbench.

A backend registers what it takes in a pattern table (single operators and
composite patterns, each with checks on attributes, shapes and dtypes); the
partitioner runs as graph passes (merge composites, annotate each node with
its backend, merge regions without cycles, partition them out as external
functions) and keeps, for every node Workbench keeps, the reason why.
``wb.compile(mod, backends=[...])`` then runs the whole thing.

>>> import workbench as wb                                            # doctest: +SKIP
>>> from workbench.byoc import CBackend, OnnxRuntimeBackend          # doctest: +SKIP
>>> exe = wb.compile(mod, backends=[CBackend()])                     # doctest: +SKIP
>>> exe.partitioned.report            # who runs each node, and why not  # doctest: +SKIP
>>> exe.profile(input=x)              # time per backend, boundary cost  # doctest: +SKIP
"""
from .annotate import annotate_target
from .backends import (
                       Backend,
                       CBackend,
                       ExternalBackendError,
                       FunctionBackend,
                       OnnxRuntimeBackend,
                       Partition,
                       c_table,
                       evaluate,
                       onnxruntime_table,
)
from .composite import merge_composite
from .partition import partition_graph
from .pattern import Match, Mismatch, PatternError, is_constant, is_op, is_var, match, wildcard
from .pipeline import Decision, Partitioned, Report, partition_for
from .regions import merge_compiler_regions
from .table import Check, PatternTable, Rule, check, float32, op_rule

__all__ = ["Backend", "CBackend", "Check", "Decision", "ExternalBackendError", "FunctionBackend", "Match",
           "Mismatch", "OnnxRuntimeBackend", "Partition", "Partitioned", "PatternError", "PatternTable", "Report",
           "Rule", "annotate_target", "c_table", "check", "evaluate", "float32",
           "is_constant", "is_op", "is_var", "match", "merge_compiler_regions", "merge_composite",
           "onnxruntime_table", "op_rule", "partition_for", "partition_graph", "wildcard"]
