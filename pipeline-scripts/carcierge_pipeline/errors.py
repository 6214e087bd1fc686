"""User-facing failures: the CLI prints these as one line and exits non-zero."""


class UserError(Exception):
    """A mistake in input or environment that the user can fix; never shown as a traceback."""

    exit_code = 2


class StageFailed(Exception):
    """A stage ran and found a problem (failed validation, refused plan, failed checks)."""

    exit_code = 1
