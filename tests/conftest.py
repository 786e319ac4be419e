"""Shared pytest setup: hypothesis profiles.

"default" has no deadline (the first call of a test may JIT-compile with LLVM);
"ci" runs fewer examples and is chosen when the CI environment variable is set.
HYPOTHESIS_PROFILE=<name> overrides the choice.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=25,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))
