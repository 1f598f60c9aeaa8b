"""``simsrc fit``: fit the model to a force curve, to stride metrics, or to a watch recording.

    simsrc fit configs/fit/fukuchi_3p5.toml                 # a config file
    simsrc fit --data fukuchi2017/RBDS001runT25forces.txt --speed 2.5 --mass 62 --height 1.81
    simsrc fit --data watch_fit/developer-types-sample.fit  # one fit per second

The fit itself is ``simsrc.config.fit_pipeline.run_fit``; this module parses the flags (they
override the config file, checked like its values), then writes into the output folder
``fit.json`` (parameters with standard errors and correlations, fit statistics, the resolved
settings), ``residuals.csv``, ``fit_config.toml`` (the resolved config: rerun with
``simsrc fit FOLDER/fit_config.toml``) and the figures (``force_fit.png``, ``stiffness.png``),
and prints the summary. Bad input raises ``SimsrcInputError``, which the ``simsrc`` command
prints as one line with exit code 2; fits that did not converge or left a parameter
undetermined are named in a warning, and exit code 1 says that no fit of the run is usable.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys

from simsrc.cli.formatting import jsonable

EXAMPLES = """\
examples:
  simsrc fit configs/fit/fukuchi_3p5.toml       force curve of the 3.5 m/s treadmill run
  simsrc fit configs/fit/fukuchi_2p5.toml --per-step
                                                 ... and every step's own curve, batched
  simsrc fit configs/fit/watch_stryd.toml       stiffness per second of a Stryd recording
  simsrc fit --data fukuchi2017/RBDS001runT25forces.txt --speed 2.5 --mass 62 --height 1.81
  simsrc fit --data strides.csv --mass 70 --leg-length 0.95
                                                 one stride-metric fit per CSV row
Config keys and their defaults: docs/fitting.md ("The command").
"""


def add_parser(sub) -> None:
    """Register ``simsrc fit``."""
    p = sub.add_parser(
        "fit", help="fit leg stiffness, landing angle and push to a force curve, stride "
                    "metrics or a watch recording, with uncertainties",
        description="Fit the spring-mass model by gradients through the simulator "
                    "(Levenberg-Marquardt on exact Jacobians): to the mean stance force curve "
                    "of a force-plate recording (.txt/.c3d), to stride metrics (.csv, one fit "
                    "per row) or to every second of a running-watch recording (.fit). "
                    "Flags override the config file.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="fit config (TOML); see configs/fit/*.toml")
    p.add_argument("--data", metavar="FILE", help="data file (a path or a shipped data name)")
    p.add_argument("--kind", metavar="KIND", help="force, stride or watch (default: from the "
                   "file extension)")
    p.add_argument("--speed", type=float, metavar="M_PER_S", help="treadmill speed (force)")
    p.add_argument("--mass", type=float, metavar="KG", help="body mass")
    p.add_argument("--leg-length", type=float, metavar="M", help="leg length L0")
    p.add_argument("--height", type=float, metavar="M", help="standing height (L0 = 0.53 h)")
    p.add_argument("--free", metavar="A,B,...", help="parameters to fit, e.g. "
                   "leg_stiffness,angle_of_attack,push_force,apex_drop")
    p.add_argument("--metrics", metavar="A,B,...", help="stride/watch metrics to fit")
    p.add_argument("--no-horizontal", action="store_true", help="force: vertical force only")
    p.add_argument("--starts", type=int, metavar="N", help="force: number of starts (1-8)")
    p.add_argument("--per-step", action="store_true", help="force: also fit each step's curve")
    p.add_argument("--out", metavar="DIR", help="output folder (default: runs/fit_NAME)")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    p.set_defaults(func=run)


def _overrides(args) -> dict:
    """The flags as config values (None: not given)."""
    split = (lambda s: [x.strip() for x in s.split(",") if x.strip()])  # noqa: E731
    return {"file": args.data, "kind": args.kind, "speed_m_per_s": args.speed,
            "mass_kg": args.mass, "leg_length_m": args.leg_length, "height_m": args.height,
            "free": split(args.free) if args.free else None,
            "metrics": split(args.metrics) if args.metrics else None,
            "horizontal": False if args.no_horizontal else None, "starts": args.starts,
            "per_step": True if args.per_step else None, "folder": args.out,
            "figures": False if args.no_figures else None}


def run(args) -> int:
    """The command: load the config, apply the flags, fit, write, draw, print a summary."""
    from simsrc.config.fit import KEYS, FitConfig, load_fit_config, with_overrides
    from simsrc.config.fit_pipeline import run_fit

    config = load_fit_config(args.config) if args.config else \
        FitConfig("the command line", "", {k: s.default for k, s in KEYS.items()})
    config = with_overrides(config, _overrides(args))
    fit = run_fit(config)
    figures = write_outputs(fit, config)
    lines = fit.lines + [f"results: {os.path.join(fit.folder, 'fit.json')}, "
                         f"{os.path.join(fit.folder, 'residuals.csv')}"]
    if figures:
        lines.append("figures: " + ", ".join(figures))
    print("\n".join(lines))
    import numpy as np

    from simsrc.cli import PROG
    from simsrc.fit.report import MAX_RELATIVE_STDERR, trusted

    if "fit" in fit.body:
        good = np.atleast_1d(trusted(fit.body["fit"]))
    else:   # a watch recording's per-second fits, counted in the body
        good = np.arange(int(fit.body["fitted"])) < int(fit.body["converged"])
    if not good.all():
        print(f"{PROG} fit: warning: {int((~good).sum())} of {good.size} fits did not converge or "
              f"left a parameter undetermined (standard error above {MAX_RELATIVE_STDERR:.0%} "
              "of its value): do not use their numbers", file=sys.stderr)
    # exit 1 when nothing usable came out (bad input is 2, refused before fitting)
    return 0 if good.any() else 1


def write_outputs(fit, config) -> list[str]:
    """Write fit.json, residuals.csv and fit_config.toml into ``fit.folder``, and draw the
    figures if the config asks; returns the figure paths."""
    from simsrc.config.fit import dump_fit_config

    os.makedirs(fit.folder, exist_ok=True)
    with open(os.path.join(fit.folder, "fit.json"), "w") as f:
        f.write(json.dumps(jsonable(fit.body, infinity=False), indent=1) + "\n")
    write_csv(os.path.join(fit.folder, "residuals.csv"), fit.columns)
    with open(os.path.join(fit.folder, "fit_config.toml"), "w") as f:
        f.write(dump_fit_config(fit.config, f"resolved by simsrc fit from {config.source}"))
    if not config.values["figures"]:
        return []
    from simsrc.viz.fit_plots import force_fit_figure, stiffness_series_figure

    drawers = {"force_fit": force_fit_figure, "stiffness": stiffness_series_figure}
    return [drawers[fig.name](*fig.data, os.path.join(fit.folder, fig.name + ".png"),
                              fig.title) for fig in fit.figures]


def write_csv(path: str, columns: dict) -> None:
    """One column per entry of ``columns``; empty cells for non-finite floats, floats with 9
    significant digits."""
    import numpy as np

    names = list(columns)
    data = [np.asarray(columns[n]).ravel() for n in names]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for row in zip(*data):
            w.writerow(["" if isinstance(x, float) and not math.isfinite(x) else
                        (f"{x:.9g}" if isinstance(x, float) else x) for x in
                        (y.item() if hasattr(y, "item") else y for y in row)])
