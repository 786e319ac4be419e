"""AutoTVM tuners: search strategies over a template's ConfigSpace.

- ``RandomTuner``: uniform random configs (the baseline).
- ``GridSearchTuner``: every config once, in a fixed order.
- ``GATuner``: a genetic algorithm over knob choices.
- ``XGBTuner``: an XGBoost ranking model, simulated annealing over it, diverse batches.

All share ``Tuner.tune(n_trial, measurer, batch_size, callbacks, early_stopping, records)``.
"""
from .ga import GATuner
from .grid import GridSearchTuner
from .random_tuner import RandomTuner
from .sa import anneal
from .tuner import Tuner
from .xgb import XGBTuner

__all__ = ["Tuner", "RandomTuner", "GridSearchTuner", "GATuner", "XGBTuner", "anneal"]
