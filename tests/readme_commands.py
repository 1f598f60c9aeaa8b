"""The README's example commands, parsed: the one parser that tests/test_readme.py (each command
smoke-tested) and benchmarks/readme_times.py (each command timed, cold and warm) share.

A command is one line of a ```bash block of README.md, its trailing ``# comment`` removed and
``a && b`` split into two; each distinct command is kept once, in the README's order.
"""
from __future__ import annotations

import re
import shlex
import sys
from typing import NamedTuple


class Command(NamedTuple):
    """One README command: its words (quotes and comment removed) and where it came from."""

    words: tuple[str, ...]
    text: str


def readme_blocks(text: str, lang: str) -> list[str]:
    """The bodies of the README's fenced ```lang blocks."""
    return re.findall(rf"^```{lang}[ \t]*\n(.*?)^```", text, flags=re.M | re.S)


def readme_commands(text: str) -> list[Command]:
    """Every command of the ```bash blocks, in order, each once: ``# comments`` removed,
    ``&&`` chains split."""
    out: list[Command] = []
    for block in readme_blocks(text, "bash"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            part: list[str] = []
            for w in words + ["&&"]:
                if w != "&&":
                    part.append(w)
                    continue
                if part:
                    cmd = Command(tuple(part), shlex.join(part))
                    if cmd not in out:
                        out.append(cmd)
                part = []
    return out


def argv(words) -> list[str]:
    """`simsrc ...` and `python ...` as this interpreter runs them (``python -m simsrc``)."""
    head, *rest = words
    if head == "simsrc":
        return [sys.executable, "-m", "simsrc", *rest]
    if head == "python":
        return [sys.executable, *rest]
    raise AssertionError(f"cannot run {head!r}")
