"""The package-wide error for bad user input."""


class SimsrcInputError(ValueError):
    """Bad user input: a parameter, config key, file or column with a value that is not allowed.

    The message names where the value came from (file, key, column or parameter), the value,
    and what is allowed, so that the user knows what to change.
    """


def shown_cell(text: str, limit: int = 32) -> str:
    """A cell of a user's data file as a message may show it: quoted when it is short and looks
    like a number or a column name, else only its length. A message must not echo a file's
    contents: a program pointed at the wrong file (a key, a password file) would print it."""
    import re

    if len(text) <= limit and re.fullmatch(r"[A-Za-z0-9_ .+\-()/%]*", text):
        return repr(text)
    return f"(a cell of {len(text)} characters, not shown)"
