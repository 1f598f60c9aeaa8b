"""The explorer's controls: which config keys a person turns, their slider ranges, and the
conversion of a page's state (strings from a URL or a form) into a checked ``Config``.

A state is a flat mapping of config key -> value in the config's units (``leg_stiffness_kn_per_m``,
``angle_of_attack_deg``, ...), plus ``target_speed_m_per_s`` (the speed the runner holds; empty
or ``"off"``: the energy balance decides the speed, as in ``simsrc run`` without
``--target-speed``); the surface's own numbers (``surface_stiffness_kn_per_m``,
``surface_damping_n_s_per_m``, ``surface_restitution``) are empty (``FROM_PRESET``) while they
are the preset's, and override it when given, as the config keys do. Values are checked by
the config loader (``simsrc.config.load``), whose allowed ranges come from the engine's
parameter table (``simsrc.engine.params.PARAMETERS``): a slider's range below is only what the
page offers, never what is allowed.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Mapping

from simsrc.config.dump import dump_config
from simsrc.config.load import BUILTIN_RUNNER, Config, base_point, check_value, parse_config
from simsrc.config.schema import BY_NAME, PRESET_NAMES
from simsrc.errors import SimsrcInputError

#: Where explorer values come from, in error messages.
SOURCE = "the explorer"
#: The one key that is not a config key: the held speed (``simsrc run --target-speed``).
TARGET_SPEED = "target_speed_m_per_s"
#: The held speed's allowed range, m/s (``simsrc.config.runner.steady_config``'s).
TARGET_SPEED_RANGE = (0.0, 20.0)


@dataclasses.dataclass(frozen=True)
class Control:
    """One control of the page.

    Attributes:
        key: the config key (or ``TARGET_SPEED``), unit in the name.
        label: words on the page; ``unit``: the unit shown (the key's).
        low, high, step: the slider's range and step (what the page offers; the allowed range
            is the config schema's).
        default: the explorer's default (the default runner's value unless said).
        group: the panel it sits in; ``note``: one line of help.
        solved_when_held: the runner's own control sets it while a speed is held (the foot
            placement sets the angle, the push or braking the energy), so the page shows the
            solved value next to the control.
        choices: the names of a choice key (a select on the page), empty for a number.
    """

    key: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    default: float | str
    group: str
    note: str = ""
    solved_when_held: bool = False
    choices: tuple[str, ...] = ()


def _default(key: str):
    """The built-in runner's value of a key (``simsrc run``'s, configs/default.toml), else the
    config schema's (0 for an optional number that is off by default)."""
    for table in BUILTIN_RUNNER.values():
        if key in table:
            return table[key]
    v = BY_NAME[key].default
    return 0.0 if v is None else v


#: The explorer's default start: the apex height the foot placement holds, m. The built-in
#: runner's config starts at 0.89 m, where its held-speed gait exists from 7.5 to 20 kN/m on
#: sand and to 25 kN/m on firm ground; from 0.91 m (0.96 leg lengths) it exists from 7.5 to
#: 40 kN/m on firm ground, track, grass and sand (measured with the explorer's program).
EXPLORER_APEX_HEIGHT_M = 0.91
#: The held speed by default, m/s (the default runner's start speed).
EXPLORER_TARGET_SPEED = 3.5

#: The foot placement control (not a config key: it sets ``[control] placement`` and whether the
#: speed is held): "holds the speed" (the deadbeat placement of ``simsrc run --target-speed``)
#: or "raibert" (``placement = "raibert"``).
PLACEMENT = "foot_placement"
HOLDS, RAIBERT = "holds the speed", "raibert"
PLACEMENTS = (HOLDS, RAIBERT)
#: The landing modes the explorer offers (the pendulum's gait includes the swinging legs' state:
#: ``simsrc gait``).
LANDING_MODES = ("fixed", "retraction")

#: The value of a surface number that comes from the surface preset (not moved, or reset by a
#: change of preset): the config key is then absent, as in a config file.
FROM_PRESET = ""
#: The surface's own numbers: config key -> the ``SurfacePreset`` field (SI) and its scale to the
#: key's unit (kN/m for N/m).
SURFACE_NUMBERS = {"surface_stiffness_kn_per_m": ("stiffness_n_per_m", 1e-3),
                   "surface_damping_n_s_per_m": ("damping_n_s_per_m", 1.0),
                   "surface_restitution": ("restitution", 1.0)}

CONTROLS: tuple[Control, ...] = (
    Control("leg_stiffness_kn_per_m", "leg stiffness", "kN/m", 7.5, 40.0, 0.5,
            _default("leg_stiffness_kn_per_m"), "leg",
            "spring stiffness k of the leg; human running 7-30 kN/m"),
    Control("angle_of_attack_deg", "angle of attack (foot placement)", "deg", 50.0, 85.0, 0.5,
            _default("angle_of_attack_deg"), "leg",
            "landing angle of the leg from the ground; 90 is a vertical leg",
            solved_when_held=True),
    Control("lean_deg", "lean", "deg", -10.0, 20.0, 0.5, _default("lean_deg"), "runner",
            "forward whole-body lean; the leg lands at 90 - angle - lean from the vertical"),
    Control("push_force_bw", "push", "BW", 0.0, 2.0, 0.01, _default("push_force_bw"), "runner",
            "active push force in late stance, in body weights", solved_when_held=True),
    Control("leg_damping_ratio", "leg damping (braking)", "", 0.0, 0.5, 0.01,
            _default("leg_damping_ratio"), "leg",
            "leg damping ratio c/(2 sqrt(k m)): energy lost in the leg every stance (the "
            "knee extensors' eccentric work in early stance)"),
    Control(TARGET_SPEED, "held speed", "m/s", 1.5, 7.0, 0.1, EXPLORER_TARGET_SPEED, "gait",
            "the runner holds this speed (foot placement and push or braking are solved); "
            "untick to let the energy balance decide the speed"),
    Control("apex_height_m", "apex height", "m", 0.6, 1.3, 0.005, EXPLORER_APEX_HEIGHT_M, "gait",
            "height of the body at the top of the flight (held by the foot placement)"),
    Control(PLACEMENT, "foot placement", "", 0, 0, 0, HOLDS, "gait",
            "how the runner places its foot (MODEL.md §11): 'holds the speed' solves the landing "
            "angle that holds the apex height and the push or braking that holds the speed "
            "(untick 'held speed': the angle as set, the speed the energy balance's); "
            "'raibert': Raibert's law places the foot ahead of the hip, aiming at the speed "
            "field's value, the push as set, the speed the energy balance's",
            choices=PLACEMENTS),
    Control("placement_gain_s", "Raibert gain", "s", 0.0, 0.5, 0.01,
            _default("placement_gain_s"), "gait",
            "Raibert's law: the foot lands further ahead by this gain times the speed above "
            "the aim"),
    Control("mode", "landing mode", "", 0, 0, 0, BY_NAME["mode"].default, "gait",
            "fixed: the leg lands at its angle of attack; retraction: the leg rotates rearward "
            "from the flight apex at the retraction rate (Seyfarth, Geyer & Herr 2003); the "
            "swinging leg (pendulum) is `simsrc gait`'s, not offered here",
            choices=LANDING_MODES),
    Control("retraction_rate_deg_per_s", "retraction rate", "deg/s", 0.0, 200.0, 5.0,
            _default("retraction_rate_deg_per_s"), "gait",
            "retraction mode: how fast the leg rotates rearward from the flight apex"),
    Control("surface", "surface", "", 0, 0, 0, BY_NAME["surface"].default, "ground",
            "surface preset (stiffness, damping, restitution: simsrc/engine/surface.py)"),
    Control("surface_stiffness_kn_per_m", "surface stiffness", "kN/m", 5.0, 1000.0, 0.1,
            FROM_PRESET, "ground", "stiffness k_s of the ground in series with the leg (the "
            "preset's until moved; rigid ground is inf)"),
    Control("surface_damping_n_s_per_m", "surface damping", "N·s/m", 0.0, 10000.0, 10.0,
            FROM_PRESET, "ground", "damping c_s of the ground, parallel to its spring (the "
            "preset's until moved)"),
    Control("surface_restitution", "surface restitution", "", 0.05, 1.0, 0.01, FROM_PRESET,
            "ground", "fraction of the ground's stored energy it returns; 1 is elastic, below "
            "1 it keeps a footprint (the preset's until moved)"),
    Control("slope_deg", "slope", "deg", -10.0, 10.0, 0.5, _default("slope_deg"), "ground",
            "uphill positive"),
    Control("mass_kg", "runner mass", "kg", 40.0, 120.0, 1.0, _default("mass_kg"), "runner",
            "body mass"),
    Control("leg_length_m", "leg length", "m", 0.7, 1.2, 0.01, _default("leg_length_m"),
            "runner", "hip to foot at rest (about 0.53 x body height)"),
    Control("foot_strike", "foot strike", "", 0, 0, 0, BY_NAME["foot_strike"].default, "impact",
            "a lower leg with mass landing as the steady gait lands: its impact peak and "
            "loading rate (MODEL.md §12); none: the massless leg, which has no impact",
            choices=BY_NAME["foot_strike"].choices),
    Control("shoe", "shoe", "", 0, 0, 0, BY_NAME["shoe"].default, "impact",
            "the shoe's midsole, in series with the foot's own contact",
            choices=BY_NAME["shoe"].choices),
)
CONTROL: dict[str, Control] = {c.key: c for c in CONTROLS}
SURFACES: tuple[str, ...] = PRESET_NAMES


def surface_numbers(name: str) -> dict:
    """A surface preset's own numbers in the controls' units (stiffness None for rigid ground:
    infinite)."""
    from simsrc.engine.surface import SURFACE_PRESETS

    preset = SURFACE_PRESETS[name]
    out = {}
    for key, (field, scale) in SURFACE_NUMBERS.items():
        v = float(getattr(preset, field)) * scale
        out[key] = float(f"{v:.12g}") if math.isfinite(v) else None
    return out


def default_state() -> dict:
    """The explorer's default runner: ``simsrc run``'s built-in human runner
    (``BUILTIN_RUNNER``, configs/default.toml) with the explorer's start apex
    (``EXPLORER_APEX_HEIGHT_M``), holding 3.5 m/s by foot placement and push."""
    return {c.key: c.default for c in CONTROLS}


class FieldError(SimsrcInputError):
    """A bad value of one control: ``field`` names it, ``value`` is what was given."""

    def __init__(self, field: str, value, message: str):
        super().__init__(message)
        self.field, self.value = field, value


def _number(key: str, text) -> float | None:
    """A number from a text field; None for an empty held speed (the speed is free)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip()
        if key == TARGET_SPEED and s.lower() in ("", "off", "free", "none"):
            return None
        if key in SURFACE_NUMBERS and s.lower() in (FROM_PRESET, "preset"):
            return None
        try:
            value = float(s)
        except ValueError:
            unit = CONTROL[key].unit if key in CONTROL else ""
            raise FieldError(key, text, f"`{key}` must be a number{f' ({unit})' if unit else ''}"
                             f", got {str(text)!r} in {SOURCE}") from None
    if not math.isfinite(value):
        raise FieldError(key, text, f"`{key}` must be a finite number, got {text!r} in {SOURCE}")
    return value


@dataclasses.dataclass(frozen=True)
class ExplorerState:
    """A checked state: the config of the runner and the held speed (None: free speed, also
    under Raibert's placement, whose aim is the config's start speed)."""

    config: Config
    target_speed_m_per_s: float | None
    values: Mapping[str, object]   # the controls' values, normalised (for the page and URL)


def parse_state(given: Mapping[str, object]) -> ExplorerState:
    """Check a page's state (``default_state`` with ``given`` on top; unknown keys refused).

    Raises:
        FieldError: a value that is not a number, or outside what the config schema allows
            (the message names the key, the value and what is allowed).
        SimsrcInputError: values allowed one by one but not together (``make_params``).
    """
    values = default_state()
    for key, text in given.items():
        if key not in CONTROL:
            raise FieldError(key, text, f"unknown control `{key}` in {SOURCE}; controls: "
                             f"{', '.join(CONTROL)}")
        values[key] = (str(text).strip() if key == "surface" or CONTROL[key].choices else
                       _number(key, text))
        if key in SURFACE_NUMBERS and values[key] is None:
            values[key] = FROM_PRESET
    for key, allowed in ((PLACEMENT, PLACEMENTS), ("mode", LANDING_MODES)):
        if values[key] not in allowed:
            raise FieldError(key, values[key], f"`{key}` must be one of "
                             f"{', '.join(repr(a) for a in allowed)}, got {values[key]!r} in "
                             f"{SOURCE}")
    tables: dict[str, dict] = {}
    for key, value in values.items():
        if key in (TARGET_SPEED, PLACEMENT) or (key in SURFACE_NUMBERS
                                               and value in (None, FROM_PRESET)):
            continue     # the held speed and the placement below; a surface number from
            # the preset: key absent
        if key == "leg_damping_ratio" and value == 0.0:
            continue     # no damping: the schema's default (off), so the export stays plain
        if CONTROL[key].choices and value == BY_NAME[key].default:
            continue     # a choice at the schema's default: the export stays plain
        table = BY_NAME[key].table
        try:
            tables.setdefault(table, {})[key] = check_value(key, value, SOURCE, table)
        except SimsrcInputError as e:
            raise FieldError(key, value, str(e)) from None
    speed = values[TARGET_SPEED]
    if speed is not None:
        lo, hi = TARGET_SPEED_RANGE
        if not lo < speed < hi:
            raise FieldError(TARGET_SPEED, speed, f"`{TARGET_SPEED}` must be in ({lo:g}, "
                             f"{hi:g}) m/s, or empty for a free speed, got {speed:g} in {SOURCE}")
        tables.setdefault("initial", {})["speed_m_per_s"] = speed
    if values[PLACEMENT] == RAIBERT:
        # Raibert's law aims at the speed field's value (its start speed), and the energy
        # balance decides the speed: nothing is held
        tables.setdefault("control", {})["placement"] = "raibert"
        tables.setdefault("initial", {})["speed_m_per_s"] = (
            EXPLORER_TARGET_SPEED if speed is None else speed)
        speed = None
    config = parse_config(tables, SOURCE)
    base_point(config)   # combinations make_params refuses, with its message
    return ExplorerState(config, speed, values)


def export_toml(state: ExplorerState, link: str = "") -> str:
    """The state as a config file that ``simsrc run`` accepts (``dump_config``); its header says
    the command that answers it as the explorer does (``--target-speed`` for a held speed)."""
    name = "explorer.toml"
    command = f"simsrc run {name}" + (f" --target-speed {state.target_speed_m_per_s:g}"
                                      if state.target_speed_m_per_s is not None else "")
    header = ("exported by `simsrc explore`" + (f": {link}" if link else "") +
              f"\nanswer it as the explorer does: {command}")
    cfg = dataclasses.replace(state.config, source=name,
                              description="a runner set up in simsrc explore")
    return dump_config(cfg, header)
