"""User-facing errors shared by the command-line entry points."""


class CliError(Exception):
    """A failure the user can fix: printed as one line, exit status 2, never a traceback."""
