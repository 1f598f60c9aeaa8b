"""The ``simsrc`` command line: the parser, the dispatch and the exit codes.

Each command is one module of ``simsrc.cli`` with ``add_parser(sub)`` (its arguments) and
``run(args) -> exit code``, listed in ``COMMANDS`` (in the order ``simsrc --help`` shows them);
a new command is one more module and one more entry. Bad input (a config error, an unreadable
config) prints one line on stderr and exits with code 2, never a traceback; an output that
cannot be written exits with 1, Ctrl-C with 130. The command modules import JAX and the
library only inside ``run``.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tomllib

from simsrc.cli import PROG, animate, check, explore, figures, fit, gait, keys, run, sweep
from simsrc.errors import SimsrcInputError

EPILOG = """\
examples:
  simsrc run                               the built-in runner: 70 kg, leg 0.95 m, 3.5 m/s,
                                           firm ground (same as configs/default.toml)
  simsrc run configs/slope.toml --plot run.png
                                           one runner from a config, with a trajectory plot
  simsrc run --json > run.json             the same numbers as JSON on stdout
  simsrc sweep configs/slope.toml          the config's [sweep] grid into runs/slope/
  simsrc sweep configs/slope.toml --resume finish a sweep that was interrupted
  simsrc sweep configs/canonical_stability_grid.toml --scheduler local
                                           chunks as tasks on a local Dask cluster
  simsrc gait                              the built-in runner's periodic gait and stability
  simsrc gait --target-speed 4.0           the push force that sustains 4 m/s
  simsrc check configs/*.toml              validate configs without running them
  simsrc keys                              every config key with its unit and default
  simsrc explore                           the interactive explorer in the browser

Every config key, its unit, default and meaning: configs/README.md (or `simsrc keys`).
Compiled programs are cached in ~/.cache/simsrc/jax and the traced ones in
~/.cache/simsrc/jax-export (SIMSRC_NO_COMPILE_CACHE=1 turns both off), so the first run of a
kind of model compiles for a while and later runs start in seconds.
"""

COMMANDS = (run, sweep, gait, check, keys, figures, animate, fit, explore)


def build_parser() -> argparse.ArgumentParser:
    from simsrc import __version__

    parser = argparse.ArgumentParser(
        prog=PROG, description="simsrc: a spring-mass (SLIP) model of running with a compliant "
        "ground and a complete energy ledger. Run one runner, or sweep a grid of them from a "
        "TOML config.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"simsrc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


class _Stderr(logging.Handler):
    """Prints a progress note on the stderr of the moment (pytest's capture replaces it)."""

    def emit(self, record):
        print(f"{PROG}: {self.format(record)}", file=sys.stderr, flush=True)


def _show_progress_notes() -> None:
    """The library's progress notes (``simsrc.compile``: "compiling ..., once", "compiled in
    N s") on stderr, once per process; ``SIMSRC_QUIET=1`` keeps them off the screen. XLA's own
    log lines (the "Very slow compile?" banner, which says nothing a user can act on) are kept
    off the screen too: ``TF_CPP_MIN_LOG_LEVEL`` is set to 3 before JAX loads unless it is set
    already (``TF_CPP_MIN_LOG_LEVEL=0 simsrc ...`` shows them). The commands run in float64
    always: a library user's opt-out (``SIMSRC_FLOAT64=0``, ``JAX_ENABLE_X64``) is dropped from
    the environment before JAX loads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # the commands are simsrc's own process: float64 always (their solvers' tolerances assume
    # it), whatever a library user's JAX_ENABLE_X64 / SIMSRC_FLOAT64 say (simsrc/__init__.py)
    os.environ.pop("JAX_ENABLE_X64", None)
    os.environ.pop("SIMSRC_FLOAT64", None)
    log = logging.getLogger("simsrc")
    if os.environ.get("SIMSRC_QUIET") or any(isinstance(h, _Stderr) for h in log.handlers):
        return
    log.addHandler(_Stderr())
    log.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``simsrc`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    _show_progress_notes()
    try:
        return args.func(args)
    except (SimsrcInputError, tomllib.TOMLDecodeError) as e:
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `simsrc run --json | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:  # an output folder or file that cannot be written
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
