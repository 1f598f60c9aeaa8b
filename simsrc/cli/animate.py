"""``simsrc animate``: simulate one or two configs' runners and write their animation.

Each config goes through ``simsrc.config.runner.run_config`` (load, convert, simulate with a
trajectory); ``simsrc.viz.animate`` samples the frames and draws them (two configs one above
the other on the same clock).

    simsrc animate configs/default.toml -o run.gif
    simsrc animate configs/default.toml configs/stiffness_lean_push_sand.toml -o firm_sand.gif
"""
from __future__ import annotations

import argparse
import os
import sys

from simsrc.errors import SimsrcInputError
from simsrc.viz.animate import DEFAULT_FPS, DEFAULT_FRAMES   # numpy only, no matplotlib

DEFAULT_STEPS = 3


def add_parser(sub) -> None:
    """Register ``simsrc animate``."""
    p = sub.add_parser(
        "animate", help="animate a runner (GIF, and MP4 if ffmpeg is installed)",
        description="Simulate a config's runner and write an animation: body, spring leg, "
        "swing leg, the ground sinking and footprints, the ground force arrow and live energy "
        "bars. With two configs, the two runners one above the other on the same clock.",
        epilog="examples:\n  simsrc animate configs/default.toml -o run.gif\n"
               "  simsrc animate configs/default.toml configs/stiffness_lean_push_sand.toml "
               "-o firm_vs_sand.gif",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="TOML config")
    p.add_argument("config2", nargs="?", help="a second config, drawn below the first")
    p.add_argument("-o", "--out", default="run.gif", metavar="FILE.gif",
                   help="output GIF (default run.gif); an MP4 is written beside it if ffmpeg "
                   "is installed")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N",
                   help=f"steps to simulate and show (default {DEFAULT_STEPS})")
    p.add_argument("--frames", type=int, default=DEFAULT_FRAMES, metavar="N",
                   help=f"frames (default {DEFAULT_FRAMES})")
    p.add_argument("--fps", type=int, default=DEFAULT_FPS, help=f"frames per second "
                   f"(default {DEFAULT_FPS})")
    p.set_defaults(func=run)


def run(args) -> int:
    """The command: check the numbers, simulate each config, draw, say what was written."""
    from simsrc.config.runner import run_config
    from simsrc.viz.animate import end_time_s, make_frames, render

    for name, value, low in (("--steps", args.steps, 1), ("--frames", args.frames, 2),
                             ("--fps", args.fps, 1)):
        if value < low:
            raise SimsrcInputError(f"{name} must be >= {low}, got {value}")
    paths = [args.config] + ([args.config2] if args.config2 else [])
    sims = [run_config(p, args.steps, trajectory=True) for p in paths]
    t_end = min(end_time_s(r) for _, r in sims)
    frames = []
    for (inputs, result), path in zip(sims, paths):
        try:
            frames.append((inputs.params, make_frames(inputs.params, result, args.frames, t_end)))
        except ValueError as e:
            raise SimsrcInputError(f"{path}: {e}") from None
    titles = [os.path.basename(inputs.config.source) for inputs, _ in sims]
    files = render(frames, args.out, fps=args.fps, titles=titles)
    print(f"animation: {', '.join(files)} ({args.frames} frames)", file=sys.stderr)
    return 0
