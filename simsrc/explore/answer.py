"""The explorer's answer to a state: the steady gait (``simsrc run``'s), a few of its steps for
the animation, the energy ledger as bars, and the ground-force curve, as plain JSON values.

One numerical ``Options`` serves every request of a landing mode (``OPTIONS``; ``options_for``):
the damped contact model (it covers every surface preset, from rigid ground to sand:
``simsrc.engine.stance``), the push and leg-damping terms on, the stance split for plastic
surfaces, compiled "quick". So the server compiles one program for the steady solver and one
for the animation, once, at start-up (``WarmUp``), and the retraction mode's two in the
background after it; every later request only runs them. On firm ground this general program agrees with the cheapest one
``simsrc run`` would pick to 5e-6 relative in the times and 3e-5 in the peak force (the damped
model's ARK3 against DOP853; tests/test_explore_api.py).

JAX calls are serialised by one lock: the server answers one gait at a time.
"""
from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np

from simsrc.engine.step import Options
from simsrc.explore.controls import ExplorerState

#: The one set of options of every solve and animation (module docstring). Compiled "quick"
#: (``simsrc.engine.step.COMPILE_PROFILES``): the first start is ready in about half the time,
#: and a gait answers in about 70 ms on 2 cores (benchmarks/README.md, "Explorer").
OPTIONS = Options(surface_model="damped", push=True, leg_damping=True, plastic=True,
                  stance_steps=40, event_iters=3, compile_profile="quick")
#: Rows per batched one-step call of the steady solver (``solve_gait(fd_rows=...)``): a single
#: gait needs about ten, and a small program answers several times sooner than 1024 rows.
FD_ROWS = 64
#: Steps drawn by the animation, from the steady gait's apex.
ANIMATION_STEPS = 3
#: Samples per flight phase and per stance in the animation.
FLIGHT_SAMPLES, STANCE_SAMPLES = 24, 40

LOCK = threading.Lock()

#: Free variables in the page's words and units: (label, unit, SI -> shown).
SOLVED = {
    "apex_height_m": ("apex height", "m", lambda v, p: v),
    "apex_speed_m_per_s": ("apex speed", "m/s", lambda v, p: v),
    "angle_of_attack_rad": ("angle of attack (foot placement)", "deg",
                            lambda v, p: float(np.degrees(v))),
    "push_force_bw": ("push", "BW", lambda v, p: v),
    "leg_damping_n_s_per_m": ("leg damping (braking)", "",
                              lambda v, p: v / (2.0 * np.sqrt(float(p.leg_stiffness_n_per_m)
                                                              * float(p.mass_kg)))),
}
#: The control each solved variable shows its value next to.
SOLVED_CONTROL = {"angle_of_attack_rad": "angle_of_attack_deg", "push_force_bw": "push_force_bw",
                  "leg_damping_n_s_per_m": "leg_damping_ratio",
                  "apex_height_m": "apex_height_m"}


def _f(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def options_for(state: ExplorerState) -> Options:
    """``OPTIONS`` with the state's landing mode: fixed (the warm-up's programs) or retraction
    (two more programs, compiled in the background after the warm-up)."""
    mode = state.config.values.get("mode", "fixed")
    return OPTIONS if mode == OPTIONS.landing else dataclasses.replace(OPTIONS, landing=mode)


def steady(state: ExplorerState):
    """The steady gait of a state: (``RunInputs``, ``SteadyGait``), as ``simsrc run`` solves it
    (``steady_config``), with ``options_for(state)``."""
    from simsrc.config.runner import steady_config

    return steady_config(state.config, target_speed_m_per_s=state.target_speed_m_per_s,
                         options=options_for(state), fd_rows=FD_ROWS)


def steady_inputs(state: ExplorerState):
    """The ``RunInputs`` of a state (its parameters and start), as ``steady`` reads them."""
    from simsrc.config.runner import prepare_run

    return prepare_run(state.config)


def steps(params, start, n_steps: int = ANIMATION_STEPS, options: Options = OPTIONS):
    """``n_steps`` steps from ``start`` with dense samples (the animation's program)."""
    from simsrc.engine.simulate import simulate

    return simulate(params, start, n_steps, options=options, trajectory=True,
                    flight_samples=FLIGHT_SAMPLES, stance_samples=STANCE_SAMPLES)


def _animation(params, run) -> dict:
    """The steps' samples for drawing: per step, times from the step's start, the body, the
    foot, the sink and the ground force (N); NaN (a failed step) as null."""
    import jax

    from simsrc.metrics.summary import status_name

    tr, rec = jax.device_get((run.trajectory, run.records))
    n = tr.t_s.shape[0]
    clean = lambda a: [[_f(v) for v in row] for row in np.asarray(a, float)]  # noqa: E731
    return {
        "n_steps": n,
        "status": [status_name(s) for s in np.asarray(rec.status)],
        "t_s": clean(tr.t_s), "x_m": clean(tr.x_m), "y_m": clean(tr.y_m),
        "sink_m": clean(tr.sink_m), "phase": [[int(v) if np.isfinite(v) else -1 for v in row]
                                    for row in np.asarray(tr.phase, float)],
        "vertical_force_n": clean(tr.vertical_force_n),
        "horizontal_force_n": clean(tr.horizontal_force_n),
        "leg_force_n": clean(tr.leg_force_n),
        "foot_x_m": [_f(v) for v in rec.foot_x_m],
        "footprint_depth_m": [_f(v) for v in rec.footprint_depth_m],
        "landing_angle_rad": [_f(v) for v in rec.landing_angle_rad],
        "step_time_s": [_f(a + b + c) for a, b, c in zip(rec.touchdown_time_s,
                                                          rec.contact_time_s,
                                                          rec.flight_time_s)],
        "leg_length_m": float(params.leg_length_m),
        "slope_rad": float(params.slope_rad),
        "weight_n": float(params.mass_kg) * float(params.gravity_m_per_s2),
    }


def energy_bars(ledger) -> dict:
    """The steady step's ledger as four bars (J): stored (peak elastic energy of leg and
    surface), returned (of it, what came back), lost (``dissipated_j``: damping, plastic loss,
    elastic energy not returned) and injected (``injected_j``: the push's net work); a slope's
    part is the ledger's gravitational energy, in neither. The details are the ledger's own
    entries."""
    stored = float(ledger.leg_elastic_peak_j) + float(ledger.surface_elastic_peak_j)
    returned = float(ledger.leg_elastic_returned_j) + float(ledger.surface_elastic_returned_j)
    return {"stored_j": _f(stored), "returned_j": _f(returned),
            "lost_j": _f(ledger.dissipated_j), "injected_j": _f(ledger.injected_j),
            "return_ratio": _f(returned / stored) if stored > 0 else None,
            "residual_j": _f(ledger.residual_j),
            "details": {k: _f(getattr(ledger, k)) for k in (
                "leg_elastic_peak_j", "leg_elastic_returned_j", "leg_damping_loss_j",
                "surface_elastic_peak_j", "surface_elastic_returned_j",
                "surface_damping_loss_j", "surface_plastic_loss_j", "push_positive_j",
                "push_negative_j")}}


#: |Floquet multiplier| within this of 1 is called neutral. ``simsrc run`` uses 1e-6 with its
#: specialised programs; the explorer's general one (ARK3, 40 steps) is good to ~1e-5 on firm
#: ground, where a lossless runner's held-speed gait then came out at 1 + 2e-6 ("unstable").
NEUTRAL_BAND = 1e-4


def _stability(gait, raibert: bool = False) -> dict:
    """The verdict of ``simsrc run`` (``cli/run.py::steady_table``), with a neutral band that
    suits the general program (``NEUTRAL_BAND``): with the foot placement solved, the closed
    loop's multipliers decide; else those of the apex map."""
    band = NEUTRAL_BAND
    mags = sorted((abs(complex(m)) for m in np.asarray(gait.multipliers)), reverse=True)
    ctl = sorted((abs(complex(m)) for m in np.asarray(gait.controlled_multipliers)),
                 reverse=True)
    if raibert and np.isfinite(ctl[0]):
        used, words = ctl, ("stable under Raibert's foot placement" if ctl[0] < 1.0 - band
                            else "neutral under Raibert's foot placement" if ctl[0] <= 1.0 + band
                            else "unstable even under Raibert's foot placement")
    elif "angle_of_attack_rad" in gait.free and np.isfinite(ctl[0]):
        used, words = ctl, ("stable with the foot placement that holds the apex height"
                            if ctl[0] < 1.0 - band else "neutral with that foot placement: a "
                            "neighbouring energy is a neighbouring gait" if ctl[0] <= 1.0 + band
                            else "unstable even with the foot placement that holds the apex")
    else:
        used, words = mags, ("stable: a runner started near it returns to it"
                             if mags[0] < 1.0 - band else "neutral: a neighbouring energy is a "
                             "neighbouring gait" if mags[0] <= 1.0 + band else
                             "unstable with a fixed landing angle: it needs foot placement")
    return {"multipliers_abs": [_f(m) for m in mags],
            "controlled_multipliers_abs": [_f(m) for m in ctl],
            "verdict_multipliers_abs": [_f(m) for m in used], "verdict": words}


def answer(state: ExplorerState) -> dict:
    """Everything the page shows for one state (JSON values). Never raises for a state with no
    steady gait: ``steady.converged`` is false and ``steady.message`` (the solver's reason,
    ``simsrc.gait.steady.REASONS``) and ``steady.hint`` say why; the animation then shows the
    steps from the start instead."""
    from simsrc.config.runner import steady_point
    from simsrc.gait.steady import energy_hint
    from simsrc.metrics.summary import STEADY_ROWS

    raibert = state.config.values.get("placement", "none") == "raibert"
    t0 = time.perf_counter()
    with LOCK:
        t_lock = time.perf_counter()
        inputs, gait = steady(state)
        converged = bool(gait.converged)
        p, start = steady_point(inputs, gait) if converged else (inputs.params, inputs.state)
        run = steps(p, start, options=options_for(state))
        anim = _animation(p, run)
        impact = _impact(state, p, run) if converged else None
    out = {
        "state": dict(state.values),
        "held_speed": state.target_speed_m_per_s is not None,
        "placement": "raibert" if raibert else "holds the speed" if
        state.target_speed_m_per_s is not None else "fixed angle",
        "landing_mode": state.config.values.get("mode", "fixed"),
        "steady": {
            "converged": converged, "reason": int(gait.reason), "message": str(gait.message),
            "hint": energy_hint(gait, inputs.params).strip().replace(
                "with --target-speed", "(tick 'held speed')"),
            "iterations": int(gait.iterations), "residual": _f(gait.residual),
            "solved": {f: {"label": SOLVED[f][0], "unit": SOLVED[f][1],
                           "control": SOLVED_CONTROL.get(f),
                           "value": _f(SOLVED[f][2](float(gait.value(f)), inputs.params))}
                       for f in gait.free},
            "metrics": {f: _f(getattr(gait.metrics, f)) for f in gait.metrics._fields},
            "rows": [[key, label, unit, fmt] for key, label, unit, fmt in STEADY_ROWS],
            "energy": energy_bars(gait.ledger),
            "stability": _stability(gait, raibert) if converged else None,
        },
        "impact": impact,
        "animation": anim,
        "animation_from": "the steady gait's apex" if converged else "the start (no steady gait)",
        "timing_ms": {"wait": 1e3 * (t_lock - t0), "compute": 1e3 * (time.perf_counter() - t_lock)},
    }
    return out


#: What the page shows of the impact (``simsrc.metrics.impact``): key, label, unit, digits.
IMPACT_ROWS = (("impact_peak_bw", "impact peak", "BW", 2),
               ("impact_peak_time_s", "impact peak at", "ms", 0),
               ("impact_loading_rate_bw_per_s", "loading rate (20-80 %)", "BW/s", 0),
               ("impact_instantaneous_loading_rate_bw_per_s", "loading rate (peak)", "BW/s", 0))


def _impact(state: ExplorerState, p, run) -> dict | None:
    """The impact of the steady gait's foot strike (the state's ``foot_strike`` and ``shoe``):
    the two-mass stance from the first steady step's touchdown; None for ``"none"``."""
    import jax

    from simsrc.metrics.impact import impact_at_touchdown

    strike = state.values.get("foot_strike", "none")
    if strike == "none":
        return None
    first = jax.tree_util.tree_map(lambda v: v[:1], run.records)     # one step's touchdown
    out = impact_at_touchdown(p, first, np.array([True]), strike, state.values["shoe"])
    found = bool(np.asarray(out["impact_peak_found"]).reshape(-1)[0])
    rows = []
    for key, label, unit, digits in IMPACT_ROWS:
        v = float(np.asarray(out[key]).reshape(-1)[0])
        rows.append([key, label, unit, digits,
                     _f(1e3 * v if unit == "ms" else v) if found else None])
    return {"foot_strike": strike, "shoe": state.values["shoe"], "peak_found": found,
            "rows": rows}


def gait_csv(state: ExplorerState) -> str:
    """The current gait's animation steps as CSV: one row per sample (step, time from the
    step's start, phase, body, sink, forces; SI units)."""
    a = answer(state)["animation"]
    cols = ("t_s", "phase", "x_m", "y_m", "sink_m", "leg_force_n", "vertical_force_n",
            "horizontal_force_n")
    lines = ["step," + ",".join(cols)]
    for i in range(a["n_steps"]):
        for j in range(len(a["t_s"][i])):
            cells = ["" if a[c][i][j] is None else repr(a[c][i][j]) for c in cols]
            lines.append(f"{i + 1}," + ",".join(cells))
    return "\n".join(lines) + "\n"


def _warm_impact() -> None:
    """Compile the two-mass stance that the foot strike control uses (``_impact``), on a
    touchdown of the default runner's shape, without holding ``LOCK``."""
    from types import SimpleNamespace

    from simsrc.config.load import base_point
    from simsrc.engine.params import State
    from simsrc.explore.controls import parse_state
    from simsrc.metrics.impact import impact_at_touchdown

    params = base_point(parse_state({}).config)[0]
    one = np.ones(1)
    records = SimpleNamespace(touchdown=State(0.0 * one, one, 3.5 * one, -0.6 * one),
                              landing_angle_rad=0.4 * one)
    impact_at_touchdown(params, records, np.array([True]))


def _warm_landing(mode: str) -> None:
    """Compile the steady solver's and the animation's programs of a landing mode (the default
    runner landing that way), without holding ``LOCK``."""
    from simsrc.config.runner import steady_point
    from simsrc.explore.controls import parse_state

    state = parse_state({"mode": mode})
    inputs, gait = steady(state)
    p, start = steady_point(inputs, gait) if bool(gait.converged) else (inputs.params,
                                                                          inputs.state)
    steps(p, start, options=options_for(state))


#: Seconds the animation's compile waits at the warm-up (``WarmUp._guard``): the solver's
#: program is the longer one, and its tracing (Python, holding the GIL: about 2.5 s on 2 cores)
#: goes first, its XLA compile (which lets go of the GIL) then overlaps the animation's. Measured
#: idle on 2 cores, from an empty compile cache: ready after 9.6-9.7 s with no wait, 8.1-8.4 s
#: with 2.5 s, 8.6 s with 3.5 s.
SIDE_DELAY_S = 2.5


class WarmUp:
    """Compiles the explorer's programs in a background thread (``start``); ``status()`` says
    how far it is. The first start is ready in about 10 s on 2 cores (benchmarks/
    bench_explore.py); the persistent compile cache (``~/.cache/simsrc/jax``) makes later
    starts take a few seconds. After *ready* it goes on, outside the answers' lock, with the
    programs of the foot strike and of the retraction landing mode."""

    def __init__(self):
        self.phase, self.error = "not started", None
        self.impact_ready = self.retraction_ready = False
        self.started = self.ready_at = self.finished = None
        self._thread = None
        self._solver_ready = threading.Event()

    def start(self) -> "WarmUp":
        if self._thread is None:
            self.started = time.perf_counter()
            self.phase = "warming up"
            self._thread = threading.Thread(target=self._run, name="simsrc-warm-up",
                                            daemon=True)
            self._thread.start()
        return self

    def _run(self):
        from simsrc.explore.controls import parse_state
        try:
            # the two programs compile side by side: the animation's in a second thread (on
            # the default runner's start), the steady solver's here
            default = parse_state({})
            inputs = steady_inputs(default)
            side = threading.Thread(target=self._guard, name="simsrc-warm-up-animation",
                                    args=(steps, inputs.params, inputs.state))
            side.start()
            with LOCK:
                steady(default)
            self._solver_ready.set()
            side.join()
            if self.error:
                raise RuntimeError(self.error)
            # the held speed (push solved), the free speed, and a lossy surface: every path
            answer(default)
            answer(parse_state({"target_speed_m_per_s": "off"}))
            answer(parse_state({"surface": "sand"}))
            self.ready_at = time.perf_counter()
            self.phase = "ready"
            # outside the lock, so that answers go on: the foot strike's stance, then the
            # retraction landing mode's two programs
            _warm_impact()
            self.impact_ready = True
            _warm_landing("retraction")
            self.retraction_ready = True
        except Exception as e:  # shown on the page; the server keeps answering
            self.phase, self.error = "failed", f"{type(e).__name__}: {e}"
        self.finished = time.perf_counter()

    def _guard(self, fn, *args):
        """``fn(*args)`` in a side thread, once the solver's program is ready or after
        ``SIDE_DELAY_S``, whichever comes first (from a warm cache the solver's program loads
        in about a second); an error is kept for the warm-up to report."""
        self._solver_ready.wait(SIDE_DELAY_S)
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - reported by _run
            self.error = f"{type(e).__name__}: {e}"

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.phase == "ready"

    def status(self) -> dict:
        """The phase; ``seconds``: from the start to ready (so far, while warming up)."""
        end = self.ready_at or self.finished or time.perf_counter()
        return {"phase": self.phase, "ready": self.phase == "ready", "error": self.error,
                "seconds": None if self.started is None else round(end - self.started, 1)}
