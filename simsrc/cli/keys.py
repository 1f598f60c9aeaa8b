"""``simsrc keys``: every config key with its unit, default and meaning (the table of
configs/README.md, from ``simsrc.config.schema``)."""
from __future__ import annotations


def add_parser(sub) -> None:
    """Register ``simsrc keys``."""
    p = sub.add_parser("keys", help="list every config key with its unit, default and meaning",
                       description="Print every config key (the table of configs/README.md).")
    p.set_defaults(func=run)


def run(args) -> int:
    """The command: print the key table (Markdown)."""
    from simsrc.config.schema import schema_markdown

    print(schema_markdown())
    return 0
