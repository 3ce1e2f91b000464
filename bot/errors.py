"""User-facing errors shared by the command-line entry points."""

# sysexits.h: "temporary failure, the user is invited to retry". A supervisor's restart
# policy may treat 2 (a setting to fix) as final and this one as worth another try.
EX_TEMPFAIL = 75


class CliError(Exception):
    """A failure the user can fix: printed as one line, exit status 2, never a traceback."""

    temporary = False


class TemporaryError(CliError):
    """A failure that may pass by itself (Discord out of reach, the database locked by
    another process): one line, exit status :data:`EX_TEMPFAIL`."""

    temporary = True
