"""``simsrc gait``: the periodic gait of a config's runner (fixed point of the apex map), its
Floquet multipliers and stride metrics; with ``--target-speed``, the gait of a runner holding
that speed (``simsrc.config.runner.steady_config``).

The solvers are ``simsrc.gait.periodic`` (``find_gait``, ``solve_push_for_speed``, and
``find_swing_gait`` for the pendulum landing mode, started from a run settled through
``simsrc.config.runner.run_config``); this module parses, calls and prints.
"""
from __future__ import annotations

import sys

from simsrc.cli import PROG
from simsrc.cli.formatting import add_set_argument

STRIDE_KEYS = ("contact_time_s", "flight_time_s", "step_length_m", "cadence_steps_per_min",
               "peak_vertical_force_bw")


def add_parser(sub) -> None:
    """Register ``simsrc gait``."""
    p = sub.add_parser(
        "gait", help="find the periodic gait (fixed point of the apex map) and its stability",
        description="Newton's method on the apex-to-apex map with the exact Jacobian from JAX, "
                    "started from the config's initial apex. Prints the periodic apex state, "
                    "the Floquet multipliers (|λ| < 1: stable) and the gait's stride metrics. "
                    "With --target-speed, the gait of a runner that holds that mean speed: "
                    "its foot placement (landing angle) holds the apex height and its push, or "
                    "where it gains energy its braking, holds the speed (as `simsrc run "
                    "--target-speed`). A retraction config uses the same "
                    "solvers; a pendulum config (two swinging legs) is first settled by "
                    "simulating its n_steps, then solved on the 6-D apex map with its exact "
                    "Jacobian (simsrc.gait.find_swing_gait).")
    p.add_argument("config", nargs="?", default=None,
                   help="TOML config (default: the built-in runner, configs/default.toml)")
    add_set_argument(p)
    p.add_argument("--target-speed", type=float, default=None, metavar="M_PER_S",
                   help="hold this mean speed: solve the foot placement and the push (or "
                   "braking) as well")
    p.set_defaults(func=run)


def _swing_gait(config) -> int:
    """`simsrc gait` for the pendulum landing mode: settle by simulating the config's steps,
    then Newton on the 6-D apex map (``simsrc.gait.find_swing_gait``)."""
    import numpy as np

    from simsrc.config.runner import run_config
    from simsrc.gait import find_swing_gait

    inputs, settle = run_config(config)
    print(f"simsrc gait: {config.source} (pendulum landing; settled over {config.n_steps} steps)")
    if int(np.asarray(settle.records.status)[-1]) != 0:
        print("the runner fell while settling, no start for the gait solver; try another apex "
              "or hip setting", file=sys.stderr)
        return 1
    g = find_swing_gait(inputs.params, settle.final_state, settle.final_swing,
                        options=inputs.options)
    if not bool(np.all(g.converged)):
        print("no periodic gait found from the settled state (the map did not converge)",
              file=sys.stderr)
        return 1
    legs = [float(v) for v in g.swing]
    print(f"periodic apex: height {float(g.apex_height_m):.5f} m, speed "
          f"{float(g.apex_speed_m_per_s):.4f} m/s; leading leg {np.degrees(legs[0]):.2f} deg "
          f"at {np.degrees(legs[1]):.1f} deg/s, trailing leg {np.degrees(legs[2]):.2f} deg at "
          f"{np.degrees(legs[3]):.1f} deg/s")
    lam = np.asarray(g.multipliers).ravel()
    verdict = "stable" if bool(g.stable) else "unstable"
    print("Floquet multipliers of the 6-D apex map: "
          + ", ".join(f"{complex(v):.4g}" for v in lam)
          + f"  ->  {verdict} (largest |λ| {float(g.max_abs_multiplier):.3f}, the multiplier 1 "
          "of a conservative body's energy direction excluded)")
    return 0


def run(args) -> int:
    """The command: solve for the gait (or the push for a speed) and print it."""
    import numpy as np

    import simsrc
    from simsrc.config.load import base_point, check_value
    from simsrc.config.runner import resolve_config
    from simsrc.engine.params import is_conservative
    from simsrc.engine.simulate import simulate
    from simsrc.gait import find_gait, gait_options
    from simsrc.metrics.summary import step_metrics

    config = resolve_config(args.config, args.set)
    mode = config.values["mode"]
    params, state = base_point(config)
    if mode == "pendulum":
        if args.target_speed is not None:
            print(f"{PROG} gait: error: --target-speed needs a fixed or retracting landing leg; "
                  f"`mode` = \"pendulum\" in {config.source} [landing]", file=sys.stderr)
            return 2
        return _swing_gait(config)
    if args.target_speed is not None:
        # the runner that holds a speed: foot placement and push (or braking) solved, as
        # `simsrc run --target-speed` (finite-difference Newton: seconds, where the exact
        # jacfwd of solve_push_for_speed compiled for minutes)
        from simsrc.cli.run import STEADY_ROWS, steady_table
        from simsrc.config.runner import steady_config

        speed = check_value("speed_m_per_s", args.target_speed, "the command line",
                            "--target-speed")
        # the one runner's rows one at a time, compiled quick: `simsrc run`'s settings
        inputs, steady = steady_config(config, target_speed_m_per_s=speed, fd_rows=STEADY_ROWS,
                                       compile_profile="quick")
        print(f"simsrc gait: {config.source}")
        print(steady_table(steady, inputs.params))
        return 0 if bool(steady.converged) else 1
    opts = gait_options(params, landing=mode)
    gait = find_gait(params, state, map_iters=3, options=opts)
    print(f"simsrc gait: {config.source}")
    if not bool(np.all(gait.converged)):
        print("no periodic gait found from this start (the map did not converge); try another "
              "initial apex or angle", file=sys.stderr)
        return 1
    push = float(np.asarray(gait.push_force_bw)) if hasattr(gait, "push_force_bw") else \
        float(params.push_force_bw)
    lam = np.asarray(gait.multipliers).ravel()
    conservative = is_conservative(params._replace(push_force_bw=push))
    judged = lam
    note = ""
    if conservative:
        # energy is conserved: one multiplier is exactly 1 (the neutral energy direction);
        # stability is that of the apex map at fixed energy, the other multiplier
        judged = lam[np.abs(lam - 1.0) > 1e-6]
        note = " (conservative: the multiplier 1 is the neutral energy direction)"
    verdict = "stable" if judged.size and np.all(np.abs(judged) < 1.0) else "unstable"
    print(f"periodic apex: height {float(gait.apex_height_m):.5f} m, speed "
          f"{float(gait.apex_speed_m_per_s):.4f} m/s, push {push:.4f} body weights")
    print("Floquet multipliers: " + ", ".join(f"{complex(v):.4g}" for v in lam)
          + f"  ->  {verdict}{note}")
    p = params._replace(push_force_bw=push)
    one = simulate(p, simsrc.apex(float(gait.apex_height_m), float(gait.apex_speed_m_per_s)), 1)
    m = step_metrics(one.records, p)
    for key in STRIDE_KEYS:
        if key in m:
            print(f"  {key:24s} {float(np.asarray(m[key]).ravel()[0]):.4g}")
    return 0
