"""User-facing failures: the CLI prints these as one line and exits non-zero."""


class UserError(Exception):
    """A mistake in input or environment that the user can fix; never shown as a traceback."""

    exit_code = 2


class StageFailed(Exception):
    """A stage ran and found a problem (failed validation, refused plan, failed checks)."""

    exit_code = 1


class DriftFound(StageFailed):
    """A scheduled drift check found the environment differs from its code: a signal, not an
    error of the pipeline, so it has an exit code of its own."""

    exit_code = 3
