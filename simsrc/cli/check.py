"""``simsrc check``: load and check config files (run, sweep and fit configs) without running
them; print what each would run. Any bad file makes the exit code 2."""
from __future__ import annotations

import argparse
import sys

from simsrc.cli import PROG
from simsrc.cli.formatting import add_set_argument
from simsrc.errors import SimsrcInputError


def add_parser(sub) -> None:
    """Register ``simsrc check``."""
    p = sub.add_parser("check", help="validate config files without running them",
                       description="Load and check each config; print what it would run.",
                       epilog="example:\n  simsrc check configs/*.toml",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="+", help="TOML config files")
    add_set_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """The command: one ``ok`` line per good file, one error line per bad one."""
    from simsrc.config.fit import parse_fit_config
    from simsrc.config.load import (apply_overrides, base_point, config_warnings,
                                    parse_config, read_toml)

    bad = 0
    for path in args.configs:
        try:
            data = read_toml(path)
            if "data" in data:           # a `simsrc fit` config
                parse_fit_config(data, str(path))
                print(f"ok  {path}: a fit config (simsrc fit)")
                continue
            config = parse_config(apply_overrides(data, args.set), str(path))
            if not config.axes:
                base_point(config)
        except SimsrcInputError as e:
            print(f"{PROG} check: error: {e}", file=sys.stderr)
            bad += 1
            continue
        for note in config_warnings(config):
            print(f"{PROG} check: warning: {note}", file=sys.stderr)
        grid = " x ".join(f"{a.name} {len(a)}" for a in config.axes)
        grid = f"{grid} = {config.n_points} points" if grid else "a single point"
        print(f"ok  {path}: {grid}, {config.n_steps} steps")
    return 2 if bad else 0
