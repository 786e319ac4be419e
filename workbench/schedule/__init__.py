"""Schedules: how to run a tensor expression (loop order, tiling, vectorization, placement)."""
from .schedule import Schedule, apply_step, create_schedule
from .stage import AttachKind, Fuse, Split, Stage
from .trace import Step, Trace
