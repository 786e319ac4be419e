"""AutoTVM: template-based tuning. A template defines a search space of schedules; a tuner explores it.

>>> import workbench.autotvm as autotvm
>>> task = autotvm.task("matmul", (256, 256, 256))
>>> print(task.space)                                   # doctest: +SKIP
>>> s, tensors = task.instantiate(task.space.get(42))   # one point of the space: a schedule
>>> s, tensors = task.instantiate(task.fallback)        # the untuned default

Write your own template with ``@autotvm.template("name")`` over ``fn(cfg, *args)``;
the config is an argument, never a global. Tuners (``RandomTuner``,
``GridSearchTuner``, ``GATuner``, ``XGBTuner``) live in ``autotvm.tuners`` and are
imported on first use. ``extract_tasks(mod)`` finds the tunable groups of a model,
``apply_history_best(records)`` schedules them with the best configs found.
"""
from . import templates  # noqa: F401  (registers the built-in templates)
from .apply import ApplyHistoryBest, apply_history_best
from .extract import extract_tasks
from ..errors import ConfigError
from .knobs import AnnotateEntity, OtherOptionEntity, ReorderEntity, SplitEntity
from .space import ConfigEntity, ConfigSpace, FallbackConfig
from .task import GROUP_TEMPLATES, TEMPLATES, Task, match_group, task, template

_TUNERS = ("Tuner", "RandomTuner", "GridSearchTuner", "GATuner", "XGBTuner")


def __getattr__(name):
    # tuners pull in xgboost and the measurement workers: import them only when asked for
    if name in _TUNERS:
        from . import tuners
        return getattr(tuners, name)
    raise AttributeError(f"module 'workbench.autotvm' has no attribute {name!r}")


__all__ = ["AnnotateEntity", "ApplyHistoryBest", "ConfigEntity", "ConfigError", "ConfigSpace", "FallbackConfig",
           "GROUP_TEMPLATES", "OtherOptionEntity", "ReorderEntity", "SplitEntity", "TEMPLATES", "Task",
           "apply_history_best", "extract_tasks", "match_group", "task", "template",
           "Tuner", "RandomTuner", "GridSearchTuner", "GATuner", "XGBTuner"]
