"""The one exception type that the command line turns into a one-line message and a non-zero exit."""


class GenvidError(Exception):
    """A user-facing error: say what went wrong, with which file, and what to do."""
