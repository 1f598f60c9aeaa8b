"""The ``simsrc`` command line: one module per command, thin glue over the library.

``main`` holds the parser, the dispatch and the exit codes; ``run``, ``sweep``, ``gait``,
``check``, ``keys``, ``fit``, ``figures``, ``animate`` and ``explore`` each hold one command's
``add_parser(sub)`` and ``run(args) -> exit code``; ``formatting`` the shared number and JSON
formatting of their outputs.
"""

PROG = "simsrc"
