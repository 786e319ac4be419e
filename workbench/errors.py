"""One error hierarchy for the whole compiler.

Every message names the object (op, stage, axis, buffer), what was wrong and
what to do instead, so a notebook user can fix the cell without reading our code.
"""


class WorkbenchError(Exception):
    """Base class of every error Workbench raises on purpose."""


class TypeCheckError(WorkbenchError, TypeError):
    """An expression, tensor or argument has the wrong dtype or shape."""


class ScheduleError(WorkbenchError):
    """A schedule primitive was illegal for the stage or axis it was applied to."""


class LoweringError(WorkbenchError):
    """A schedule could not be turned into a loop nest."""


class CodegenError(WorkbenchError):
    """Native code could not be generated or compiled."""


class RuntimeCallError(WorkbenchError, ValueError):
    """A compiled kernel was called with arguments that do not match its signature."""


class TuningError(WorkbenchError):
    """Tuning was misconfigured (a bad measurer option, an unknown template, an unusable records file)."""


class ConfigError(TuningError, ValueError):
    """A knob definition, a config or a config's JSON does not fit its search space."""


class PatternError(WorkbenchError):
    """A BYOC pattern was built wrongly (e.g. an unknown operator name)."""


class ExternalBackendError(WorkbenchError):
    """An external (BYOC) backend failed: it could not build a partition, raised while running one, or
    returned outputs of the wrong number, shape or dtype. The message names the partition."""
