"""Every key of a simsrc config file: its table, unit, default, allowed values and meaning.

This table is the single source of truth for ``simsrc.config.load`` (validation), for the sweep
(which keys can be swept) and for ``configs/README.md`` (``schema_markdown`` prints the table
that the README carries; a test checks they agree). Units are in the key names; values are in
those units here and are converted to SI in ``simsrc.config.load.to_params``. The keys of the
runner, leg, landing and ground take their default and allowed range from the engine's table
of parameters (``simsrc.engine.params.PARAMETERS``), converting units where the key's differ.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

from simsrc.engine.params import DEFAULT_SURFACE, PARAMETER
from simsrc.engine.step import Options
from simsrc.engine.surface import SURFACE_PRESETS

_OPTIONS = Options()
MAX_HORIZON_FACTOR = 10.0   # periods of the series spring; a stance lasts about half of one


@dataclasses.dataclass(frozen=True)
class Key:
    """One config key.

    Attributes:
        name: the key, unit in the name (``leg_stiffness_kn_per_m``).
        table: the TOML table it lives in (``leg``).
        kind: ``"number"``, ``"integer"``, ``"string"``, ``"bool"`` or ``"strings"`` (a list).
        default: value when the key is absent; None means "from the surface preset" or "off".
        ok: predicate on a value of the right kind; None accepts every value of the kind.
        allowed: what ``ok`` accepts, in words, for error messages and the README.
        unit: unit in words (``kN/m``), ``""`` when dimensionless.
        meaning: one line for the README: what it is and where it enters the physics.
        sweepable: may appear in ``[sweep]``.
        choices: the allowed names of a string key (for did-you-mean).
    """

    name: str
    table: str
    kind: str
    default: Any
    ok: Callable[[Any], bool] | None
    allowed: str
    unit: str
    meaning: str
    sweepable: bool = True
    choices: tuple[str, ...] = ()


def _positive(v):
    return math.isfinite(v) and v > 0


def _int_at_least(lo, hi=None):
    def ok(v):
        return v >= lo and (hi is None or v <= hi)
    return ok


def _one_of(*names):
    def ok(v):
        return v in names
    return ok


def _param(name, table, meaning, *, key=None, unit=None, scale=1.0):
    """The config key of the engine's parameter ``name`` (``PARAMETERS``), with its default and
    allowed range; ``key`` (default: ``name``) is in ``unit``, ``scale`` times ``name``'s unit
    (kN/m for N/m)."""
    row = PARAMETER[name]
    lo, hi, _, _ = row.bounds
    assert scale == 1.0 or (lo == 0 and hi == math.inf), "scaled bounds need scaled words"
    default = None if row.default is None else row.default / scale
    return Key(key or name, table, "number", default, lambda v: bool(row.accepts(v * scale)),
               row.words(with_unit=False), row.unit if unit is None else unit, meaning)


def _choice(name, table, default, names, meaning, sweepable=False):
    allowed = ", ".join(f'"{n}"' for n in names)
    return Key(name, table, "string", default, _one_of(*names), "one of " + allowed, "", meaning,
               sweepable, tuple(names))


PRESET_NAMES = tuple(SURFACE_PRESETS)

KEYS: tuple[Key, ...] = (
    # [runner]
    _param("mass_kg", "runner", "body mass m (a point mass at the centre of mass)"),
    _param("lean_deg", "runner", "forward whole-body lean λ; the leg lands at β = 90° − α − λ "
           "from the surface normal"),
    _param("push_force_bw", "runner",
           "amplitude A of the active push force F_act = A·m·g·S(...) in late stance"),
    _param("push_ramp_deg", "runner",
           "leg angle behind the vertical at which the push reaches full amplitude"),
    # [leg]
    _param("leg_length_m", "leg", "leg rest length L0 (hip to foot, about 0.53 x body height)"),
    _param("leg_stiffness_n_per_m", "leg",
           "leg spring stiffness k (human running: about 7 to 30 kN/m)",
           key="leg_stiffness_kn_per_m", unit="kN/m", scale=1e3),
    _param("leg_damping_ratio", "leg", "leg damping as a ratio ζ = c/(2√(k·m)); give this or "
           "leg_damping_n_s_per_m, not both (default: no damping)"),
    _param("leg_damping_n_s_per_m", "leg",
           "leg damping c_leg acting on the leg's rate of extension (default: no damping)"),
    # [landing]
    _choice("mode", "landing", "fixed", ("fixed", "retraction", "pendulum"),
            'how the landing angle is set (MODEL.md §5): "fixed" (angle_of_attack_deg), '
            '"retraction" (the leg rotates rearward from the flight apex) or "pendulum" (a '
            "swinging leg driven by a hip spring; legs swap at touchdown)"),
    _param("angle_of_attack_deg", "landing", "landing angle α of the leg from the surface line, "
           "relative to the body (90 = vertical leg); in retraction mode the angle at the "
           "flight apex"),
    _param("retraction_rate_deg_per_s", "landing", "retraction mode: rearward rotation rate ω_R "
           "of the leg from the flight apex (Seyfarth, Geyer & Herr 2003)"),
    _param("hip_stiffness_n_m_per_rad", "landing",
           "pendulum mode: hip spring k_hip swinging the leg toward hip_neutral_deg"),
    _param("hip_neutral_deg", "landing", "pendulum mode: neutral angle φ_0 of the hip spring, "
           "from the body axis, forward positive"),
    _param("hip_damping_ratio", "landing", "pendulum mode: hip damping as a ratio ζ of the small "
           "swing, c = 2ζ√(I·(k_hip + m_l·g·d))"),
    _param("swing_leg_mass_kg", "landing", "pendulum mode: mass m_l of the swinging leg "
           "(default: 0.161 x body mass, Winter 2009)"),
    _param("swing_leg_com_m", "landing", "pendulum mode: distance d of the leg's centre of mass "
           "from the hip (default: 0.447 x leg length, Winter 2009)"),
    _param("swing_leg_inertia_kg_m2", "landing", "pendulum mode: inertia I of the leg about the "
           "hip (default: m_l x (0.560 x leg length)², Winter 2009)"),
    # [ground]
    _choice("surface", "ground", DEFAULT_SURFACE, PRESET_NAMES,
            "surface preset (stiffness, damping, restitution; numbers and sources in "
            "simsrc/engine/surface.py); the three keys below override single numbers of it",
            sweepable=True),
    _param("surface_stiffness_n_per_m", "ground",
           "surface stiffness k_s in series with the leg (default: from the preset)",
           key="surface_stiffness_kn_per_m", unit="kN/m", scale=1e3),
    _param("surface_damping_n_s_per_m", "ground",
           "surface damping c_s in parallel with the surface spring (default: from the preset)"),
    _param("surface_restitution", "ground", "fraction r of the stored surface energy returned; 1 "
           "is elastic, sand is low (default: from the preset)"),
    _param("slope_deg", "ground",
           "slope θ of the running surface, uphill positive (gravity is tilted)"),
    _param("gravity_m_per_s2", "ground", "gravitational acceleration g"),
    # [initial]
    Key("apex_height_m", "initial", "number", 0.89, _positive, "> 0", "m",
        "height of the centre of mass at the starting flight apex (vertical velocity 0)"),
    Key("speed_m_per_s", "initial", "number", 3.5, _positive, "> 0", "m/s",
        "forward speed at the starting flight apex"),
    # [run]
    Key("n_steps", "run", "integer", 10, _int_at_least(1, 10_000), "an integer in [1, 10000]",
        "steps", "number of steps (apex to apex) simulated from the initial state",
        sweepable=False),
    _choice("answer", "run", "steps", ("steps", "steady"),
            '"steps": simulate n_steps from the initial apex (the approach, step by step); '
            '"steady" (sweeps): each point\'s steady gait. With [control] placement = '
            '"raibert", the closed loop\'s gait at the speed its energy balance gives; '
            "otherwise at a held speed, the initial speed: the foot placement holds the initial "
            "apex height and the push (or, where the runner gains energy, the braking) holds "
            "the speed (MODEL.md §11)"),
    # [control]  (MODEL.md §11; docs/gaits.md, "Lean under control")
    _choice("placement", "control", "none", ("none", "raibert", "deadbeat"),
            'foot placement by feedback: "none" (the landing angle as configured), '
            '"raibert": at each apex the foot is placed ahead of the hip by half the distance '
            "travelled in the last contact plus placement_gain_s x (speed − aim_speed_m_per_s) "
            "(Raibert 1986); lean then moves the foot closer under the body than the law asks, "
            "and the speed is the energy balance's (the push against the losses). The steady "
            "answer of `simsrc run` and of `answer = \"steady\"` sweeps is this closed loop's "
            'gait. Or "deadbeat": at each apex the landing angle and the energy control (a '
            "push, or braking by leg damping) that bring the next apex to the initial apex "
            "height and to aim_speed_m_per_s (default: the initial speed), solved inside the "
            "step (MODEL.md §11): the per-step table of `simsrc run --steps` is that runner "
            "step by step; the steady answer of `simsrc run` is the held-speed gait at that "
            "speed taken as the step's mean speed (as `--target-speed`)"),
    Key("placement_gain_s", "control", "number", 0.1, lambda v: math.isfinite(v) and 0 <= v <= 2,
        "in [0, 2]", "s", "Raibert placement: the gain K on the speed error (foot further ahead "
        "by K·Δv when faster than the aim)", sweepable=False),
    Key("aim_speed_m_per_s", "control", "number", None, lambda v: math.isfinite(v) and 0 < v < 20,
        "in (0, 20)", "m/s", "Raibert or deadbeat placement: the speed v* the controller aims at "
        "(default: "
        "the initial speed); with a proportional gain the steady speed differs from it by the "
        "lean's and the energy balance's offset", sweepable=False),
    # [impact]  (MODEL.md §12; simsrc.metrics.impact)
    _choice("foot_strike", "impact", "none", ("none", "heel", "midfoot", "forefoot"),
            'the impact of the steady gait\'s foot strike: "none", or a strike whose lower leg '
            "has mass (the presets of simsrc/engine/impact.py, with their sources): the stance "
            "of that two-mass runner from the steady gait's touchdown gives its impact peak "
            "(BW) and loading rates (BW/s) in `simsrc run`"),
    _choice("shoe", "impact", "cushioned", ("barefoot", "minimal", "cushioned"),
            "the shoe under the foot strike: its midsole in series with the foot's contact"),
    # [numerics]  (defaults follow simsrc.Options)
    _choice("surface_model", "numerics", "auto", ("auto", "rigid", "algebraic", "damped"),
            'contact model; "auto" picks the cheapest one that covers every point of the run '
            "or sweep"),
    _choice("method", "numerics", _OPTIONS.method, ("dop853", "rk4"),
            "explicit stance integrator (the damped model always uses ARK3)"),
    Key("stance_steps", "numerics", "integer", None, _int_at_least(6),
        "an integer >= 6", "", "integration steps of the final stance pass (none: the contact "
        "model's own, 40 on a damped surface, 20 with a push, 10 otherwise; as many as fit in "
        "memory: a config that cannot fit is refused, with the estimate)", sweepable=False),
    Key("search_steps", "numerics", "integer", _OPTIONS.search_steps, _int_at_least(2),
        "an integer >= 2", "", "RK4 steps of the coarse pass that finds liftoff and failures (as many as fit "
        "in memory)", sweepable=False),
    Key("horizon_factor", "numerics", "number", _OPTIONS.horizon_factor,
        lambda v: 0 < v <= MAX_HORIZON_FACTOR, f"in (0, {MAX_HORIZON_FACTOR:g}]",
        "periods", "stance time budget in periods of the series spring 2π√(m(1/k + 1/k_s)); "
        "a stance lasts about half a period, and the coarse search takes search_steps steps "
        "over the whole budget, so a budget of many periods leaves it too few steps per stance "
        "to find liftoff", sweepable=False),
    Key("newton_iters", "numerics", "integer", _OPTIONS.newton_iters, _int_at_least(1),
        "an integer >= 1", "", "Newton iterations for the surface contact point",
        sweepable=False),
    Key("event_iters", "numerics", "integer", _OPTIONS.event_iters, _int_at_least(0),
        "an integer >= 0", "", "Newton iterations for the liftoff time before the final one",
        sweepable=False),
    Key("max_flight_time_s", "numerics", "number", _OPTIONS.max_flight_time_s, _positive, "> 0",
        "s", "flight time budget before touchdown (status step_time_budget beyond)",
        sweepable=False),
)

# Allowed values outside what people run with: a warning, not an error. (low, high, why)
TYPICAL: dict[str, tuple[float, float, str]] = {
    "speed_m_per_s": (0.0, 12.4, "faster than any human has run (peak about 12.3 m/s, Usain "
                      "Bolt's 100 m in Berlin, 2009)"),
}

BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}
TABLES: tuple[str, ...] = tuple(dict.fromkeys(k.table for k in KEYS))
SWEEPABLE: tuple[str, ...] = tuple(k.name for k in KEYS if k.sweepable)

# [output] of a sweep (not physics; metrics and figures may change on --resume, per_step may
# not: it decides what every chunk keeps, so it is part of the resume fingerprint)
OUTPUT_KEYS: dict[str, tuple[str, Any, str]] = {
    "metrics": ("strings", ["speed_m_per_s", "contact_time_s", "peak_vertical_force_bw",
                            "metabolic_cost_j_per_kg_per_m"],
                "metrics drawn against the swept axes (any per-step metric name; the figure "
                "shows its mean over the completed steps of each point)"),
    "per_step": ("bool", True, "keep every step's metrics in the dataset (false: only the "
                 "per-point summaries; use it for sweeps of 10^5 points and more)"),
    "figures": ("bool", True, "draw the figures"),
}

RANGE_KEYS = ("start", "stop", "num", "scale")
SCALES = ("linear", "log")


def _fmt_default(key: Key) -> str:
    d = key.default
    if d is None:
        return "from preset" if key.table == "ground" else "none"
    if isinstance(d, str):
        return f'"{d}"'
    return f"{d:g}" if isinstance(d, float) else str(d)


def schema_markdown() -> str:
    """The key table of configs/README.md, one section per table."""
    out = []
    for table in TABLES:
        out.append(f"### [{table}]\n")
        out.append("| key | unit | default | allowed | meaning |")
        out.append("|---|---|---|---|---|")
        for k in KEYS:
            if k.table == table:
                sweep = "" if k.sweepable else " Not sweepable."
                out.append(f"| `{k.name}` | {k.unit or '-'} | {_fmt_default(k)} | {k.allowed} | "
                           f"{k.meaning}.{sweep} |")
        out.append("")
    return "\n".join(out)
