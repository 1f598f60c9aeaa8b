"""One path from a config to a simulated run: load, convert to SI, choose the options, simulate.

Every command and script that runs a config's base point goes through here:

    config   = resolve_config("configs/slope.toml")   # a path, a Config, or None (built-in)
    inputs   = prepare_run(config)                   # SI Params, start State, one Options
    inputs, run = run_config(config, trajectory=True)   # ... and simulate its n_steps
    inputs, gait = steady_config(config)               # ... or solve its steady gait

The conversion is ``simsrc.config.load.base_point`` (config units -> SI ``Params`` and the apex
``State``); the numerical options are ``simsrc.config.load.numerical_options`` of that one point
(the ``[numerics]`` keys and the landing mode included); the simulation is
``simsrc.engine.simulate.simulate``; the steady gait is ``simsrc.gait.solve_gait``
(``steady_config``). Sweeps use the same conversion point by point
(``simsrc.sweep.run``).
"""
from __future__ import annotations

import os
from typing import NamedTuple

from simsrc.config.load import (Config, base_point, default_config, load_config,
                                numerical_options)
from simsrc.engine.params import Params, State
from simsrc.engine.simulate import Run, simulate
from simsrc.engine.step import Options


class RunInputs(NamedTuple):
    """A config's base point, ready for ``simulate(params, state, n_steps, options=options)``.

    Attributes:
        config: the checked config (``n_steps`` is ``config.n_steps``).
        params: SI parameters of the base point (its tables, ignoring ``[sweep]``).
        state: the start state (apex height and speed of ``[initial]``).
        options: the numerical options of this point (``[numerics]``, landing mode).
    """

    config: Config
    params: Params
    state: State
    options: Options


def resolve_config(source: Config | str | os.PathLike | None = None, overrides=()) -> Config:
    """The config of ``source``: a ``Config`` as it is, a path loaded and checked
    (``load_config``), None the built-in default runner (``default_config``); ``overrides``
    (``KEY=VALUE`` strings, the command line's ``--set``) are applied to a path or the default.

    Raises:
        SimsrcInputError: a missing file, bad TOML, or a bad key or value.
    """
    if source is None:
        return default_config(overrides)
    if isinstance(source, Config):
        if overrides:
            raise TypeError("overrides apply to a config file or the built-in runner, not to "
                            "a Config already parsed")
        return source
    return load_config(source, overrides)


def prepare_run(source: Config | str | os.PathLike | None = None) -> RunInputs:
    """Load (see ``resolve_config``), convert the base point to SI and choose its options.

    Raises:
        SimsrcInputError: a bad config, a parameter combination ``make_params`` refuses, or a
            ``surface_model`` that cannot simulate the ground.
    """
    config = resolve_config(source)
    params, state = base_point(config)
    return RunInputs(config, params, state, numerical_options(config.values, [params]))


def run_config(source: Config | str | os.PathLike | None = None, n_steps: int | None = None, *,
               trajectory: bool = False, compile_profile: str | None = None
               ) -> tuple[RunInputs, Run]:
    """Simulate a config's base point: ``prepare_run`` then ``simulate``.

    Args:
        source: a ``Config``, a config path, or None (the built-in runner).
        n_steps: steps to simulate (default: the config's ``n_steps``).
        trajectory: also return the dense trajectory samples (``Run.trajectory``).
        compile_profile: XLA's compile profile of the run's program (``Options``; default the
            config's): ``simsrc run`` asks for "quick", as for its steady solve.

    Returns:
        (the ``RunInputs`` simulated, the ``Run``: per-step records, final state, options).
    """
    inputs = prepare_run(source)
    if compile_profile is not None:
        import dataclasses

        inputs = inputs._replace(options=dataclasses.replace(inputs.options,
                                                             compile_profile=compile_profile))
    steps = inputs.config.n_steps if n_steps is None else n_steps
    law = placement_law(inputs.config.values, inputs.state)
    if law is not None:
        from simsrc.gait.steady import CONTROLLED, controlled_run, held_speed_options

        opts = held_speed_options(inputs.params, CONTROLLED, inputs.options)
        return inputs, controlled_run(inputs.params, inputs.state, law, steps, options=opts,
                                      trajectory=trajectory)
    if inputs.config.values.get("placement") == "deadbeat":
        if inputs.options.landing != "fixed":
            from simsrc.errors import SimsrcInputError
            raise SimsrcInputError(
                f"{inputs.config.source}: [control] `placement` = \"deadbeat\" chooses the "
                f"landing angle itself: it needs [landing] `mode` = \"fixed\", got "
                f"{inputs.options.landing!r}")
        return inputs, simulate(inputs.params, inputs.state, steps, options=inputs.options,
                                trajectory=trajectory, landing="deadbeat",
                                deadbeat_apex_m=inputs.state.y_m,
                                deadbeat_speed_m_per_s=aim_speed(inputs.config.values,
                                                                 inputs.state))
    run = simulate(inputs.params, inputs.state, steps, options=inputs.options,
                   trajectory=trajectory)
    return inputs, run


def aim_speed(values, state: State):
    """The speed a feedback placement aims at (m/s): ``aim_speed_m_per_s``, else the initial
    one of ``state`` (per point in a sweep)."""
    aim = values.get("aim_speed_m_per_s")
    return state.vx_m_per_s if aim is None else float(aim)


def placement_law(values, state: State):
    """The config's foot-placement law (``[control]``): a ``simsrc.gait.RaibertPlacement`` (its
    aim the initial speed unless ``aim_speed_m_per_s`` is given), or None (``placement =
    "none"``: the landing angle as configured)."""
    if values.get("placement", "none") != "raibert":
        return None
    from simsrc.gait.steady import RaibertPlacement

    return RaibertPlacement(float(values["placement_gain_s"]), aim_speed(values, state))



#: ``steady_config``'s energy controls for a held speed, tried in this order.
ENERGY_CONTROLS = ("push_force_bw", "leg_damping_n_s_per_m")


def steady_config(source: Config | str | os.PathLike | None = None, *,
                  target_speed_m_per_s: float | None = None, iters: int = 40,
                  options: Options | None = None, fd_rows: int | None = None,
                 compile_profile: str | None = None):
    """The steady gait of a config's base point: what ``simsrc run`` reports.

    - No target speed: the apex height and speed are free and everything else is as
      configured, so the energy balance decides the speed (push work against the losses). A
      conservative runner keeps the energy it starts with: its gait is the one at the energy
      of the config's apex (``solve_gait(hold_energy=True)``).
    - ``[control] placement = "deadbeat"`` and no target speed: the held-speed gait (below)
      at ``aim_speed_m_per_s``, or the config's initial speed, as the mean speed. (The
      engine's deadbeat runner of ``run_config`` holds the apex speed instead.)
    - ``[control] placement = "raibert"`` and no target speed: the closed loop's gait
      (``simsrc.gait.steady.solve_controlled``): Raibert's law places the foot, the speed is
      the energy balance's.
    - A target speed (m/s, the step's mean speed): the runner controls its gait (MODEL.md
      §11). Its foot placement holds the apex height of the config (the deadbeat landing
      angle: the angle of attack is solved so that the apex repeats) and its energy controls
      hold the speed: first the push (positive work; concentric), and where the push would
      have to be negative, i.e. the runner gains energy even without it (downhill), the push
      is set to zero and the leg damping (braking: negative work, eccentric) is solved
      instead. With the angle held instead, steady gaits at a held speed often graze (the
      apex a few mm above touchdown) or do not exist.

    The guess is the config's apex. The landing mode and contact model are the config's; the
    pendulum landing mode is refused (its gait includes the swinging legs: ``simsrc gait``).
    ``options`` replaces the config's numerical options (the solvers still switch on what the
    free variables need): ``simsrc explore`` passes one general set for every runner, so that
    one compiled program serves them all; ``fd_rows`` is ``solve_gait``'s.

    Returns:
        (the ``RunInputs``, a scalar ``simsrc.gait.SteadyGait``; ``reason``/``message`` say why
        when there is no steady gait).

    Raises:
        SimsrcInputError: a bad config, a bad target speed, or the pendulum landing mode.
    """
    from simsrc.engine.params import is_conservative
    from simsrc.errors import SimsrcInputError
    from simsrc.gait.steady import held_speed_options, solve_gait, solve_held_speed

    inputs = prepare_run(source)
    if options is not None:
        inputs = inputs._replace(options=options)
    if compile_profile is not None:
        import dataclasses

        inputs = inputs._replace(options=dataclasses.replace(inputs.options,
                                                             compile_profile=compile_profile))
    if inputs.options.landing == "pendulum":
        raise SimsrcInputError(
            "the steady gait of the pendulum landing mode includes the swinging legs' state: "
            "use `simsrc gait CONFIG`, or `simsrc run CONFIG --steps N` for the steps")
    p, guess = inputs.params, inputs.state
    if inputs.config.values.get("placement") == "deadbeat" and target_speed_m_per_s is None:
        # the deadbeat runner holds a speed: its steady answer is the held-speed gait
        target_speed_m_per_s = float(aim_speed(inputs.config.values, guess))

    law = placement_law(inputs.config.values, guess)
    if law is not None and target_speed_m_per_s is None:
        from simsrc.gait.steady import CONTROLLED, solve_controlled

        opts = held_speed_options(p, CONTROLLED, inputs.options)
        return inputs, solve_controlled(p, guess, law, options=opts, iters=iters,
                                        fd_rows=fd_rows)
    if target_speed_m_per_s is None:
        free = ("apex_height_m", "apex_speed_m_per_s")
        # the config's options ([numerics], landing mode), with what the free variables need
        opts = held_speed_options(p, free, inputs.options)
        return inputs, solve_gait(p, guess, free=free, options=opts, iters=iters,
                                  hold_energy=is_conservative(p), fd_rows=fd_rows)
    v = float(target_speed_m_per_s)
    if not (0.0 < v < 20.0):
        raise SimsrcInputError(f"target speed: {v!r} m/s is outside (0, 20) m/s")
    push, braking, use_braking = solve_held_speed(p, guess, v, options=inputs.options,
                                                  iters=iters, fd_rows=fd_rows)
    if bool(use_braking):
        return inputs._replace(params=p._replace(push_force_bw=0.0)), braking
    return inputs, push


def steady_point(inputs: RunInputs, gait):
    """The parameters (the solved free values put in) and the apex state of a converged steady
    gait of ``steady_config``: simulating from them repeats the gait."""
    from simsrc.engine.params import State

    p = inputs.params
    for f in gait.free:
        if f not in ("apex_height_m", "apex_speed_m_per_s"):
            p = p._replace(**{f: float(gait.value(f))})
    return p, State(0.0, float(gait.apex_height_m), float(gait.apex_speed_m_per_s), 0.0)


#: The per-step impact numbers ``step_impacts`` adds to a transient run's per-step metrics.
STEP_IMPACT_KEYS = ("impact_peak_bw", "impact_peak_time_s", "impact_loading_rate_bw_per_s",
                    "impact_instantaneous_loading_rate_bw_per_s", "touchdown_vy_m_per_s")


def step_impacts(inputs: RunInputs, records) -> dict | None:
    """The impact of every step of a transient run (``[impact] foot_strike`` and ``shoe``;
    ``simsrc run --steps``): the two-mass stance from each step's own touchdown, as
    ``steady_impact`` does from the steady gait's. None when ``foot_strike = "none"``.

    Returns:
        ``STEP_IMPACT_KEYS`` as arrays over the steps (NaN for a step that never landed).
    """
    import numpy as np

    from simsrc.metrics.impact import impact_at_touchdown

    values = inputs.config.values
    strike = values.get("foot_strike", "none")
    if strike == "none":
        return None
    landed = np.isfinite(np.asarray(records.touchdown.vx_m_per_s, float)) \
        & np.isfinite(np.asarray(records.landing_angle_rad, float))
    out = impact_at_touchdown(inputs.params, records, landed, strike, values["shoe"],
                              every_step=True)
    return {k: np.asarray(out[k], float) for k in STEP_IMPACT_KEYS}


def steady_impact(inputs: RunInputs, gait) -> dict | None:
    """The impact of a converged steady gait's foot strike (``[impact] foot_strike`` and
    ``shoe``; ``simsrc.metrics.impact``): one step of the gait gives its touchdown, from which
    the two-mass stance runs. None when ``foot_strike = "none"`` or there is no gait.

    Returns:
        ``impact_at_touchdown``'s numbers as floats (impact peak BW and its time s, average and
        instantaneous loading rates BW/s, the stance's losses and ledger residual J, the
        touchdown), with ``foot_strike`` and ``shoe``.
    """
    import numpy as np

    from simsrc.engine.simulate import simulate
    from simsrc.gait.steady import held_speed_options
    from simsrc.metrics.impact import impact_at_touchdown

    values = inputs.config.values
    strike = values.get("foot_strike", "none")
    if strike == "none" or gait is None or not bool(gait.converged):
        return None
    p, start = steady_point(inputs, gait)
    run = simulate(p, start, 1, options=held_speed_options(p, gait.free, inputs.options))
    out = impact_at_touchdown(p, run.records, np.array([True]), strike, values["shoe"])
    return {"foot_strike": strike, "shoe": values["shoe"],
            **{k: (bool(np.asarray(v).reshape(-1)[0]) if np.asarray(v).dtype == bool else
                   float(np.asarray(v).reshape(-1)[0])) for k, v in out.items()}}

