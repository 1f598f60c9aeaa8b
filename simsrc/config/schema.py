"""Every key of a simsrc config file: its table, unit, default, allowed values and meaning.

This table is the single source of truth for ``simsrc.config.load`` (validation), for the sweep
(which keys can be swept) and for ``configs/README.md`` (``schema_markdown`` prints the table
that the README carries; a test checks they agree). Units are in the key names; values are in
those units here and are converted to SI in ``simsrc.config.load.to_params``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

from simsrc.engine.step import Options
from simsrc.engine.surface import SURFACE_PRESETS

_OPTIONS = Options()


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


def _between(lo, hi, lo_open=True, hi_open=True):
    def ok(v):
        return (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    return ok


def _positive(v):
    return math.isfinite(v) and v > 0


def _non_negative(v):
    return math.isfinite(v) and v >= 0


def _int_at_least(lo, hi=None):
    def ok(v):
        return v >= lo and (hi is None or v <= hi)
    return ok


def _one_of(*names):
    def ok(v):
        return v in names
    return ok


def _choice(name, table, default, names, meaning, sweepable=False):
    allowed = ", ".join(f'"{n}"' for n in names)
    return Key(name, table, "string", default, _one_of(*names), "one of " + allowed, "", meaning,
               sweepable, tuple(names))


PRESET_NAMES = tuple(SURFACE_PRESETS)

KEYS: tuple[Key, ...] = (
    # [runner]
    Key("mass_kg", "runner", "number", 70.0, _positive, "> 0", "kg",
        "body mass m (a point mass at the centre of mass)"),
    Key("lean_deg", "runner", "number", 0.0, _between(-60, 60), "in (-60, 60)", "degrees",
        "forward whole-body lean λ; the leg lands at β = 90° − α − λ from the surface normal"),
    Key("push_force_bw", "runner", "number", 0.0, _between(0, 5, False, False), "in [0, 5]",
        "body weights", "amplitude A of the active push force F_act = A·m·g·S(...) in late stance"),
    Key("push_ramp_deg", "runner", "number", 20.0, _between(0, 90, hi_open=False), "in (0, 90]",
        "degrees", "leg angle behind the vertical at which the push reaches full amplitude"),
    # [leg]
    Key("leg_length_m", "leg", "number", 0.95, _positive, "> 0", "m",
        "leg rest length L0 (hip to foot, about 0.53 x body height)"),
    Key("leg_stiffness_kn_per_m", "leg", "number", 15.0, _positive, "> 0", "kN/m",
        "leg spring stiffness k (human running: about 7 to 30 kN/m)"),
    Key("leg_damping_ratio", "leg", "number", None, _non_negative, ">= 0", "",
        "leg damping as a ratio ζ = c/(2√(k·m)); give this or leg_damping_n_s_per_m, not both "
        "(default: no damping)"),
    Key("leg_damping_n_s_per_m", "leg", "number", None, _non_negative, ">= 0", "N·s/m",
        "leg damping c_leg acting on the leg's rate of extension (default: no damping)"),
    # [landing]
    _choice("mode", "landing", "fixed", ("fixed", "retraction", "pendulum"),
            'how the landing angle is set (MODEL.md §5): "fixed" (angle_of_attack_deg), '
            '"retraction" (the leg rotates rearward from the flight apex) or "pendulum" (a '
            "swinging leg driven by a hip spring; legs swap at touchdown)"),
    Key("angle_of_attack_deg", "landing", "number", 69.0, _between(0, 180), "in (0, 180)",
        "degrees", "landing angle α of the leg from the surface line, relative to the body "
        "(90 = vertical leg); in retraction mode the angle at the flight apex"),
    Key("retraction_rate_deg_per_s", "landing", "number", 0.0, _between(-2000, 2000, False, False),
        "in [-2000, 2000]", "degrees/s", "retraction mode: rearward rotation rate ω_R of the leg "
        "from the flight apex (Seyfarth, Geyer & Herr 2003)"),
    Key("hip_stiffness_n_m_per_rad", "landing", "number", 300.0, _non_negative, ">= 0",
        "N·m/rad", "pendulum mode: hip spring k_hip swinging the leg toward hip_neutral_deg"),
    Key("hip_neutral_deg", "landing", "number", 28.0, _between(-90, 90), "in (-90, 90)",
        "degrees", "pendulum mode: neutral angle φ_0 of the hip spring, from the body axis, "
        "forward positive"),
    Key("hip_damping_ratio", "landing", "number", 0.7, _non_negative, ">= 0", "",
        "pendulum mode: hip damping as a ratio ζ of the small swing, "
        "c = 2ζ√(I·(k_hip + m_l·g·d))"),
    Key("swing_leg_mass_kg", "landing", "number", None, _positive, "> 0", "kg",
        "pendulum mode: mass m_l of the swinging leg (default: 0.161 x body mass, Winter 2009)"),
    Key("swing_leg_com_m", "landing", "number", None, _non_negative, ">= 0", "m",
        "pendulum mode: distance d of the leg's centre of mass from the hip "
        "(default: 0.447 x leg length, Winter 2009)"),
    Key("swing_leg_inertia_kg_m2", "landing", "number", None, _positive, "> 0", "kg·m²",
        "pendulum mode: inertia I of the leg about the hip "
        "(default: m_l x (0.560 x leg length)², Winter 2009)"),
    # [ground]
    _choice("surface", "ground", "firm", PRESET_NAMES,
            "surface preset (stiffness, damping, restitution; numbers and sources in "
            "simsrc/engine/surface.py); the three keys below override single numbers of it",
            sweepable=True),
    Key("surface_stiffness_kn_per_m", "ground", "number", None, lambda v: v > 0,
        "> 0 (inf is rigid ground)", "kN/m",
        "surface stiffness k_s in series with the leg (default: from the preset)"),
    Key("surface_damping_n_s_per_m", "ground", "number", None, _non_negative, ">= 0", "N·s/m",
        "surface damping c_s in parallel with the surface spring (default: from the preset)"),
    Key("surface_restitution", "ground", "number", None, _between(0, 1, hi_open=False),
        "in (0, 1]", "", "fraction r of the stored surface energy returned; 1 is elastic, sand "
        "is low (default: from the preset)"),
    Key("slope_deg", "ground", "number", 0.0, _between(-45, 45), "in (-45, 45)", "degrees",
        "slope θ of the running surface, uphill positive (gravity is tilted)"),
    Key("gravity_m_per_s2", "ground", "number", 9.81, _positive, "> 0", "m/s²",
        "gravitational acceleration g"),
    # [initial]
    Key("apex_height_m", "initial", "number", 0.89, _positive, "> 0", "m",
        "height of the centre of mass at the starting flight apex (vertical velocity 0)"),
    Key("speed_m_per_s", "initial", "number", 3.5, _positive, "> 0", "m/s",
        "forward speed at the starting flight apex"),
    # [run]
    Key("n_steps", "run", "integer", 10, _int_at_least(1, 10_000), "an integer in [1, 10000]",
        "steps", "number of steps (apex to apex) simulated from the initial state",
        sweepable=False),
    # [numerics]  (defaults follow simsrc.Options)
    _choice("surface_model", "numerics", "auto", ("auto", "rigid", "algebraic", "damped"),
            'contact model; "auto" picks the cheapest one that covers every point of the run '
            "or sweep"),
    _choice("method", "numerics", _OPTIONS.method, ("dop853", "rk4"),
            "explicit stance integrator (the damped model always uses ARK3)"),
    Key("stance_steps", "numerics", "integer", _OPTIONS.stance_steps, _int_at_least(6),
        "an integer >= 6", "", "integration steps of the final stance pass", sweepable=False),
    Key("search_steps", "numerics", "integer", _OPTIONS.search_steps, _int_at_least(2),
        "an integer >= 2", "", "RK4 steps of the coarse pass that finds liftoff and failures",
        sweepable=False),
    Key("horizon_factor", "numerics", "number", _OPTIONS.horizon_factor, _positive, "> 0",
        "periods", "stance time budget in periods of the series spring 2π√(m(1/k + 1/k_s))",
        sweepable=False),
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

BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}
TABLES: tuple[str, ...] = tuple(dict.fromkeys(k.table for k in KEYS))
SWEEPABLE: tuple[str, ...] = tuple(k.name for k in KEYS if k.sweepable)

# [output] of a sweep (not physics; not part of the resume fingerprint)
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
