"""Ansor: template-free auto-scheduling (sketches, random annotation, evolution, a learned cost model).

From a compute definition alone: ``analysis`` finds what each stage is (inlinable,
data reuse, fusible consumer); ``sketch`` derives program structures by rules
(SSRSRS multi-level tiling, fusion, cache stages, rfactor); ``program`` fills in
tile sizes and annotations at random; ``evolution`` evolves programs under the
``cost_model`` (xgboost over per-store ``features``), starting from the programs a
``roofline`` estimate rates best; ``tuner`` measures and learns;
``scheduler`` shares a budget among a model's tasks (``extract_tasks``); ``apply``
replays the best traces when compiling.

>>> import workbench as wb
>>> from workbench import ansor, te
>>> A = te.placeholder((64, 64), name="A"); B = te.placeholder((64, 64), name="B")
>>> k = te.reduce_axis((0, 64), name="k")
>>> C = te.compute((64, 64), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
>>> task = ansor.SearchTask("matmul", [A, B], [C])
>>> [s.rules for s in task.sketches]
[['C: multi-level tiling'], ['C: multi-level tiling with a cache-write stage']]
"""
from .analysis import ComputeDAG, StageInfo
from .apply import AnsorHistoryBest, apply_history_best
from .cost_model import AnsorCostModel
from .evolution import EvolutionarySearch, crossover, mutate
from .extract import extract_tasks, task_of_group
from .features import STORE_FEATURE_NAMES, store_features
from .program import Program, sample_program
from .scheduler import TaskScheduler
from .sketch import Plan, Sketch, generate_sketches
from .task import SearchTask
from .tuner import AnsorTuner

__all__ = ["AnsorCostModel", "AnsorHistoryBest", "AnsorTuner", "ComputeDAG", "EvolutionarySearch", "Plan", "Program",
           "STORE_FEATURE_NAMES", "SearchTask", "Sketch", "StageInfo", "TaskScheduler", "apply_history_best",
           "crossover", "extract_tasks", "generate_sketches", "mutate", "sample_program", "store_features",
           "task_of_group"]
