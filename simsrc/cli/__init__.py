"""The ``simsrc`` command line: one module per command, thin glue over the library."""
