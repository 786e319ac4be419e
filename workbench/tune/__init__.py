"""Tuning infrastructure shared by AutoTVM and Ansor: measurement, records, callbacks.

- ``measure``: ``Measurer`` builds candidates in worker processes, runs each isolated
  with a timeout, checks it against a ``Reference`` and times it (or on a dask cluster);
- ``records``: the JSON-lines log of every measurement (append-only, resumable);
- ``callbacks``: ``log_to_file``, ``progress_bar``, ``History`` for a tuner's batches;
- ``confirm``: a run's best few measured again in turns at its end, the lowest median winning
  (both tuners' ``tune(confirm=4)``), and kept in records as confirmation rows;
- ``in_model``: ``check_in_model`` profiles tuned kernels inside their model against the defaults
  and keeps the records of those that are faster there;
- ``features`` / ``cost_model``: loop-nest features and the xgboost cost model
  (import them as ``workbench.tune.features`` / ``workbench.tune.cost_model``).
"""
from . import callbacks, confirm, measure, records
from .callbacks import History, log_to_file, progress_bar
from .in_model import InModelCheck, check_in_model
from .measure import ErrorKind, MeasureResult, Measurer, Reference
from .records import pick_best, task_key

__all__ = ["ErrorKind", "History", "InModelCheck", "MeasureResult", "Measurer", "Reference", "callbacks",
           "check_in_model", "confirm", "log_to_file", "measure", "pick_best", "progress_bar", "records", "task_key"]
