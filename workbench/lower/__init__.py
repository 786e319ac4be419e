"""Lowering: from a schedule to the loop-nest IR."""
from .lower import lower
