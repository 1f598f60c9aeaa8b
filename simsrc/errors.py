"""The package-wide error for bad user input."""


class SimsrcInputError(ValueError):
    """Bad user input: a parameter, config key, file or column with a value that is not allowed.

    The message names where the value came from (file, key, column or parameter), the value,
    and what is allowed, so that the user knows what to change.
    """
