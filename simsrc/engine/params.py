"""Parameters of the runner, the leg, the surface and the slope, as one PyTree in SI units.

``Params`` is a ``NamedTuple`` of scalars or same-shaped arrays (a batch): it travels as one
argument through ``jit``, ``vmap`` and ``grad``. ``PARAMETERS`` is the one table of every
parameter's unit, default and allowed range: ``make_params`` (the user-facing builder: degrees,
body weights, surface presets and damping ratios in, checked SI out), ``check_params`` and the
config schema (``simsrc.config.schema``) all read it.

Two named runners: the default runner (the table's defaults: what ``make_params()`` and a
config file's missing keys give; conservative, no damping and no push) and the canonical case
of Seyfarth et al. 2002 (``canonical_params``), which the reference tests and the gait studies
use. ``simsrc run`` without a config runs a human runner instead
(``simsrc.config.load.BUILTIN_RUNNER``, configs/default.toml).

Where each parameter enters the physics: docs/physics.md.
"""
from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.errors import SimsrcInputError
from simsrc.engine.frame import landing_angle_rad
from simsrc.engine.surface import SURFACE_PRESETS, foot_area_scale

STANDARD_GRAVITY_M_PER_S2 = 9.81

# Segment data of the whole lower limb (Winter 2009, Table 4.1), as fractions of body mass and of
# leg length: mass, centre of mass from the hip, radius of gyration about the hip.
LEG_MASS_FRACTION = 0.161
LEG_COM_FRACTION = 0.447
LEG_GYRATION_FRACTION = 0.560


# ----------------------------------------------------------------------------- the table

@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter as a person gives it: name, unit, default and allowed range.

    Attributes:
        name: the ``make_params`` keyword and config key, unit in the name (``lean_deg``).
        field: the ``Params`` field it sets, SI (``lean_rad``); ``None`` when it only derives a
            field (a damping ratio; the surface stiffness, whose field is the compliance).
        unit: the unit of ``name`` in words (``"degrees"``, ``"kg"``; ``""``: dimensionless).
            Angles are given in degrees (``..._deg``, ``..._deg_per_s``) or in radians under
            the field's name; every other value is in the field's SI unit.
        default: the default runner's value in ``unit``; ``None``: from the surface preset,
            derived from other parameters (see ``make_params``), or off.
        allowed: the allowed range in ``unit``: ``"> 0"``, ``">= 0"`` or an interval such as
            ``"in (0, 1]"``. Values must also be finite unless ``infinite``.
        note: words after the range in messages (``"(inf is rigid ground)"``).
        infinite: +inf is allowed (the surface stiffness of rigid ground).
        keyword: given by people (``make_params``, configs); False for a field that is only
            derived (the surface compliance).
    """

    name: str
    field: str | None
    unit: str
    default: float | None
    allowed: str
    note: str = ""
    infinite: bool = False
    keyword: bool = True

    @property
    def is_angle(self) -> bool:
        return self.unit.startswith("degrees")

    @property
    def bounds(self) -> tuple[float, float, bool, bool]:
        """(low, high, low allowed, high allowed) in ``unit``."""
        one_sided = re.fullmatch(r"(>=?) (\S+)", self.allowed)
        if one_sided:
            return float(one_sided[2]), math.inf, one_sided[1] == ">=", True
        lo_b, lo, hi, hi_b = re.fullmatch(r"in ([\[(])(\S+), (\S+)([\])])", self.allowed).groups()
        return float(lo), float(hi), lo_b == "[", hi_b == "]"

    @property
    def high(self) -> float:
        """The upper bound in ``unit`` (inf: none)."""
        return self.bounds[1]

    def accepts(self, value):
        """Element-wise: ``value`` (in ``unit``, NumPy) is inside the allowed range."""
        lo, hi, lo_in, hi_in = self.bounds
        v = np.asarray(value, dtype=float)
        ok = (v >= lo if lo_in else v > lo) & (v <= hi if hi_in else v < hi)
        return ok & (np.isfinite(v) | (self.infinite & (v == math.inf)))

    def accepts_si(self, value_si):
        """``accepts`` for the field's SI value (radians for angles)."""
        return self.accepts(np.degrees(value_si) if self.is_angle else value_si)

    def words(self, with_unit: bool = True) -> str:
        """What is allowed, for messages: the range, then the unit of a two-sided range (when
        ``with_unit``), then the note."""
        unit = f" {self.unit}" if with_unit and self.unit and self.allowed.startswith("in") else ""
        return f"{self.allowed}{unit}{' ' + self.note if self.note else ''}"

    def words_si(self) -> str:
        """``words`` for the field's SI value: angles in radians (multiples of pi where short)."""
        if not self.is_angle:
            return self.words(with_unit=False)
        lo, hi, lo_in, hi_in = self.bounds
        low, high = _radians_words(lo), _radians_words(hi)
        return f"in {'[' if lo_in else '('}{low}, {high}{']' if hi_in else ')'}"


def _radians_words(degrees: float) -> str:
    """An angle in degrees written in radians: ``pi/3`` for 60, else the number."""
    turns = Fraction(degrees / 180.0).limit_denominator(12)
    if float(turns) * 180.0 != degrees or abs(turns.numerator) > 1:
        return f"{math.radians(degrees):g}"
    if turns == 0:
        return "0"
    sign = "-" if turns < 0 else ""
    return f"{sign}pi" + ("" if turns.denominator == 1 else f"/{turns.denominator}")


# The engine's default runner (make_params(), and a config file's missing keys) is the table's
# defaults on this surface preset: a 70 kg runner with a 0.95 m leg of 15 kN/m landing at 69° on
# firm ground, conservative (no damping, no push; `simsrc run`'s built-in runner is a human one,
# simsrc.config.load.BUILTIN_RUNNER). The hip spring of the
# pendulum mode is chosen (not measured) so that it swings its leg forward in time and lands on
# a steady gait from 3 to 4.5 m/s (docs/gaits.md "The swinging leg").
DEFAULT_SURFACE = "firm"

PARAMETERS: tuple[Parameter, ...] = (
    Parameter("mass_kg", "mass_kg", "kg", 70.0, "> 0"),
    Parameter("leg_length_m", "leg_length_m", "m", 0.95, "> 0"),
    Parameter("leg_stiffness_n_per_m", "leg_stiffness_n_per_m", "N/m", 15e3, "> 0"),
    Parameter("leg_damping_n_s_per_m", "leg_damping_n_s_per_m", "N·s/m", None, ">= 0"),
    Parameter("leg_damping_ratio", None, "", None, ">= 0"),
    Parameter("angle_of_attack_deg", "angle_of_attack_rad", "degrees", 69.0, "in (0, 90]"),
    Parameter("lean_deg", "lean_rad", "degrees", 0.0, "in (-60, 60)"),
    Parameter("push_force_bw", "push_force_bw", "body weights", 0.0, "in [0, 5]"),
    Parameter("push_ramp_deg", "push_ramp_rad", "degrees", 20.0, "in (0, 90]"),
    Parameter("slope_deg", "slope_rad", "degrees", 0.0, "in (-45, 45)"),
    Parameter("gravity_m_per_s2", "gravity_m_per_s2", "m/s²", STANDARD_GRAVITY_M_PER_S2,
              "in [1.6, 25]", "(the Moon 1.62 to Jupiter 24.79, NASA planetary fact sheet)"),
    Parameter("surface_stiffness_n_per_m", None, "N/m", None, "> 0", "(inf is rigid ground)",
              infinite=True),
    Parameter("surface_compliance_m_per_n", "surface_compliance_m_per_n", "m/N", None, ">= 0",
              "(0 is rigid)", keyword=False),
    Parameter("surface_damping_n_s_per_m", "surface_damping_n_s_per_m", "N·s/m", None, ">= 0"),
    Parameter("surface_restitution", "surface_restitution", "", None, "in (0, 1]"),
    Parameter("retraction_rate_deg_per_s", "retraction_rate_rad_per_s", "degrees/s", 0.0,
              "in [-2000, 2000]"),
    Parameter("swing_leg_mass_kg", "swing_leg_mass_kg", "kg", None, "> 0"),
    Parameter("swing_leg_com_m", "swing_leg_com_m", "m", None, ">= 0"),
    Parameter("swing_leg_inertia_kg_m2", "swing_leg_inertia_kg_m2", "kg·m²", None, "> 0"),
    Parameter("hip_stiffness_n_m_per_rad", "hip_stiffness_n_m_per_rad", "N·m/rad", 300.0, ">= 0"),
    Parameter("hip_neutral_deg", "hip_neutral_rad", "degrees", 28.0, "in (-90, 90)"),
    Parameter("hip_damping_n_m_s_per_rad", "hip_damping_n_m_s_per_rad", "N·m·s/rad", None, ">= 0"),
    Parameter("hip_damping_ratio", None, "", 0.7, ">= 0"),
)
PARAMETER: dict[str, Parameter] = {row.name: row for row in PARAMETERS}
# Pairs of keywords that set the same field: give one or the other.
EITHER: tuple[tuple[str, str], ...] = (
    *((row.name, row.field) for row in PARAMETERS if row.is_angle),
    ("leg_damping_n_s_per_m", "leg_damping_ratio"),
    ("hip_damping_n_m_s_per_rad", "hip_damping_ratio"),
)

# The canonical case (Seyfarth, Geyer, Blickhan & Herr 2002; the scipy reference tests): an
# 80 kg runner with a 1 m leg of 20 kN/m landing at 68° on rigid ground. ``make_params`` keywords.
CANONICAL: dict = dict(mass_kg=80.0, leg_length_m=1.0, leg_stiffness_n_per_m=20e3,
                       angle_of_attack_deg=68.0, surface="rigid")


def hip_damping_from_ratio(ratio, mass_leg_kg, com_m, inertia_kg_m2, hip_stiffness, g=9.81):
    """c_hip = 2 ζ √(I (k_hip + m_l g d)) (N·m·s/rad): ζ of the small swing about the hip."""
    return 2.0 * ratio * _sqrt(inertia_kg_m2 * (hip_stiffness + mass_leg_kg * g * com_m))


def leg_damping_from_ratio(ratio, leg_stiffness_n_per_m, mass_kg):
    """c_leg = 2 ζ √(k m) (N·s/m): ζ of the body bouncing on the leg spring."""
    return ratio * 2.0 * _sqrt(leg_stiffness_n_per_m * mass_kg)


class Params(NamedTuple):
    """Model parameters, SI units (see docs/physics.md for where each enters).

    Every field must be given: ``make_params`` fills them from the table's defaults,
    ``canonical_params`` from the canonical case; change one with ``p._replace(...)``.

    Attributes:
        mass_kg: body mass m.
        leg_length_m: leg rest length L0.
        leg_stiffness_n_per_m: leg spring stiffness k.
        leg_damping_n_s_per_m: leg damping c_leg (axial, acts on dL/dt).
        angle_of_attack_rad: landing angle α of the leg, measured from the surface line,
            relative to the body (90° is a vertical leg).
        lean_rad: forward whole-body lean λ; the landing angle from the surface normal is
            β = (π/2 − α) − λ.
        push_force_bw: amplitude of the active push force, in body weights (m g).
        push_ramp_rad: leg angle behind the vertical at which the push reaches full amplitude.
        slope_rad: surface slope θ, uphill positive (gravity is tilted).
        gravity_m_per_s2: g.
        surface_compliance_m_per_n: C = 1/k_s; 0 is rigid ground.
        surface_damping_n_s_per_m: c_s, in parallel with the surface spring.
        surface_restitution: r ∈ (0, 1]: fraction of the stored surface energy returned.
        retraction_rate_rad_per_s: ω_R, rearward leg rotation from the flight apex in the
            ``retraction`` landing mode (the angle of attack α is then the angle at the apex).
        swing_leg_mass_kg, swing_leg_com_m, swing_leg_inertia_kg_m2: the swinging leg of the
            ``pendulum`` landing mode: mass m_l, distance of its centre of mass from the hip d,
            inertia about the hip I (defaults: Winter 2009 segment data, see ``simsrc.engine.swing``).
        hip_stiffness_n_m_per_rad, hip_neutral_rad, hip_damping_n_m_s_per_rad: the hip torque
            τ = −k_hip (φ − φ_0) − c_hip φ̇ that swings the leg (pendulum mode); φ_0 relative to
            the body axis, forward positive.
    """

    mass_kg: jax.Array | float
    leg_length_m: jax.Array | float
    leg_stiffness_n_per_m: jax.Array | float
    leg_damping_n_s_per_m: jax.Array | float
    angle_of_attack_rad: jax.Array | float
    lean_rad: jax.Array | float
    push_force_bw: jax.Array | float
    push_ramp_rad: jax.Array | float
    slope_rad: jax.Array | float
    gravity_m_per_s2: jax.Array | float
    surface_compliance_m_per_n: jax.Array | float
    surface_damping_n_s_per_m: jax.Array | float
    surface_restitution: jax.Array | float
    retraction_rate_rad_per_s: jax.Array | float
    swing_leg_mass_kg: jax.Array | float
    swing_leg_com_m: jax.Array | float
    swing_leg_inertia_kg_m2: jax.Array | float
    hip_stiffness_n_m_per_rad: jax.Array | float
    hip_neutral_rad: jax.Array | float
    hip_damping_n_m_s_per_rad: jax.Array | float


class State(NamedTuple):
    """State of the body (COM) in flight, SI: position (m) and velocity (m/s).

    x is along the surface (forward), y normal to it (up), origin on the surface.
    """

    x_m: jax.Array | float = 0.0
    y_m: jax.Array | float = 1.0
    vx_m_per_s: jax.Array | float = 5.0
    vy_m_per_s: jax.Array | float = 0.0


def apex(height_m=1.0, speed_m_per_s=5.0, x_m=0.0) -> State:
    """A flight apex: COM at ``height_m`` moving forward at ``speed_m_per_s``, vy = 0."""
    return State(x_m, height_m, speed_m_per_s, 0.0)


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _sqrt(x):
    """√x with NumPy for concrete values (checks and results stay NumPy), JAX for tracers."""
    return np.sqrt(x) if _is_concrete(x) else jnp.sqrt(x)


def _check(name, value, ok, allowed: str, where: str = ""):
    """Raise SimsrcInputError naming the parameter, the value and what is allowed."""
    if value is None or not _is_concrete(value):
        return
    arr = np.asarray(value, dtype=float)
    good = ok(arr)
    if not np.all(good):
        bad = arr[~good] if arr.ndim else arr
        shown = bad.flat[0] if arr.ndim else float(arr)
        loc = f" in {where}" if where else ""
        raise SimsrcInputError(f"`{name}` must be {allowed}, got {shown:g}{loc}")


def check_params(p: Params, where: str = "") -> None:
    """Check an SI ``Params`` (e.g. built by hand) against ``PARAMETERS``; tracers pass unchecked.

    Raises:
        SimsrcInputError: naming the field, the value and what is allowed.
    """
    for row in PARAMETERS:
        if row.field is not None:
            _check(row.field, getattr(p, row.field), row.accepts_si, row.words_si(), where)


def _check_combinations(p: Params, where: str) -> None:
    """Rules between parameters: the landing angle from the surface normal, and the swing leg's
    inertia about the hip at least that of its mass at d."""
    if all(_is_concrete(v) for v in (p.angle_of_attack_rad, p.lean_rad)):
        _check("landing angle from the surface normal (90° − angle_of_attack − lean)",
               np.degrees(landing_angle_rad(p)), lambda v: (v > -80) & (v < 80),
               "in (-80, 80) degrees", where)
    m_leg, d_leg, i_leg = p.swing_leg_mass_kg, p.swing_leg_com_m, p.swing_leg_inertia_kg_m2
    if all(_is_concrete(v) for v in (m_leg, d_leg, i_leg)):
        _check("swing_leg_inertia_kg_m2 (at least m_l d², the inertia of a point mass at d)",
               np.asarray(i_leg, float) - np.asarray(m_leg, float) * np.asarray(d_leg, float) ** 2,
               lambda v: v >= -1e-12, ">= 0", where)


# ----------------------------------------------------------------------------- the builder

def _radians(deg, rad, default_deg):
    """An angle in radians from the one given in degrees or radians, else from the default."""
    if deg is not None:
        if _is_float(deg):
            return math.radians(deg)
        return np.radians(np.asarray(deg, float)) if _is_concrete(deg) else jnp.deg2rad(deg)
    return math.radians(default_deg) if rad is None else rad


def _compliance(stiffness_n_per_m):
    """C = 1/k_s with C = 0 for an infinite (rigid) stiffness; traced values pass as 1/k_s."""
    if not _is_concrete(stiffness_n_per_m):
        return 1.0 / stiffness_n_per_m
    k = np.asarray(stiffness_n_per_m, dtype=float)
    c = np.where(np.isinf(k), 0.0, 1.0 / np.where(np.isinf(k), 1.0, k))
    return float(c) if c.ndim == 0 else c


def _is_float(x) -> bool:
    return isinstance(x, (int, float))


def make_params(*, surface: str | None = None, where: str = "", **values) -> Params:
    """Build and check a ``Params`` from the units people use (degrees, body weights, presets).

    Args:
        surface: a surface preset (``SURFACE_PRESETS``; default ``DEFAULT_SURFACE``, "firm");
            the surface numbers given explicitly override single numbers of it. A granular
            preset (sand) scales its stiffness and damping with the runner's foot area
            (``surface.foot_area_scale``: (mass / 70 kg)^(2/3)); numbers given are used as
            given.
        where: text naming the source of the values (a config file and table), put in errors.
        **values: any ``name`` of ``PARAMETERS`` (its unit, default and allowed range are
            there), or an angle's field name to give it in radians (``lean_rad`` instead of
            ``lean_deg``). None is the same as not given. Not given, a value is the default
            runner's, or derived: leg damping c = 2ζ√(k m) from ``leg_damping_ratio`` (no
            damping when neither is given); the swinging leg from Winter 2009 segment data
            (0.161 m, 0.447 L0, inertia 0.161 m (0.560 L0)²); hip damping
            c = 2ζ√(I (k_hip + m_l g d)) from ``hip_damping_ratio``.

    Every value may be a scalar or an array (a batch). Values are checked when they are
    concrete; inside ``jit`` or ``grad`` tracers pass through unchecked.

    Raises:
        SimsrcInputError: naming the parameter, the value and what is allowed.
        TypeError: an unknown keyword.
    """
    values = _given(values, where)
    preset = _preset(surface, where)
    v = {row.name: values.get(row.name, row.default) for row in PARAMETERS if row.keyword}
    si = {row.field: _radians(values.get(row.name), values.get(row.field), row.default)
          for row in PARAMETERS if row.is_angle}
    ratio = v["leg_damping_ratio"]
    si["leg_damping_n_s_per_m"] = (
        leg_damping_from_ratio(ratio, v["leg_stiffness_n_per_m"], v["mass_kg"])
        if ratio is not None else _or(v["leg_damping_n_s_per_m"], 0.0))
    foot = foot_area_scale(preset, v["mass_kg"])     # 1 but on a granular surface (sand)
    k_s = _or(v["surface_stiffness_n_per_m"], preset.stiffness_n_per_m * foot)
    si["surface_compliance_m_per_n"] = _compliance(k_s)
    si["surface_damping_n_s_per_m"] = _or(v["surface_damping_n_s_per_m"],
                                          preset.damping_n_s_per_m * foot)
    si["surface_restitution"] = _or(v["surface_restitution"], preset.restitution)
    m_leg = _or(v["swing_leg_mass_kg"], LEG_MASS_FRACTION * v["mass_kg"])
    d_leg = _or(v["swing_leg_com_m"], LEG_COM_FRACTION * v["leg_length_m"])
    i_leg = _or(v["swing_leg_inertia_kg_m2"],
                m_leg * (LEG_GYRATION_FRACTION * v["leg_length_m"]) ** 2)
    si.update(swing_leg_mass_kg=m_leg, swing_leg_com_m=d_leg, swing_leg_inertia_kg_m2=i_leg)
    si["hip_damping_n_m_s_per_rad"] = _or(v["hip_damping_n_m_s_per_rad"], hip_damping_from_ratio(
        v["hip_damping_ratio"], m_leg, d_leg, i_leg, v["hip_stiffness_n_m_per_rad"],
        v["gravity_m_per_s2"]))
    params = Params(**{f: si[f] if f in si else v[f] for f in Params._fields})
    check_params(params, where)
    _check_combinations(params, where)
    return params


def canonical_params(**changes) -> Params:
    """The canonical case (``CANONICAL``: Seyfarth et al. 2002, rigid ground) with ``changes``
    (``make_params`` keywords; an angle may be given in degrees or radians)."""
    taken = set(changes).union(*({a, b} for a, b in EITHER if {a, b} & set(changes)))
    return make_params(**{k: v for k, v in CANONICAL.items() if k not in taken}, **changes)


def _given(values: dict, where: str) -> dict:
    """The given keywords (None dropped), each checked in the unit it was given in."""
    by_field = {row.field: row for row in PARAMETERS if row.is_angle}
    for name in values:
        if not (name in by_field or (name in PARAMETER and PARAMETER[name].keyword)):
            raise TypeError(f"make_params() got an unexpected keyword argument {name!r}")
    values = {k: v for k, v in values.items() if v is not None}
    for a, b in EITHER:
        if a in values and b in values:
            raise SimsrcInputError(f"give either `{a}` or `{b}`, not both")
    for name, value in values.items():
        if name in by_field:
            _check(name, value, by_field[name].accepts_si, by_field[name].words_si(), where)
        else:
            _check(name, value, PARAMETER[name].accepts, PARAMETER[name].words(), where)
    return values


def _preset(surface: str | None, where: str):
    name = DEFAULT_SURFACE if surface is None else surface
    if name not in SURFACE_PRESETS:
        raise SimsrcInputError(f"unknown surface preset {surface!r}"
                               f"{' in ' + where if where else ''}; "
                               f"allowed: {', '.join(SURFACE_PRESETS)}")
    return SURFACE_PRESETS[name]


def _or(value, default):
    return default if value is None else value


def as_arrays(params: Params, dtype=None) -> Params:
    """Every field as a ``jnp`` array of a common floating dtype (broadcast not applied)."""
    dtype = dtype or (jnp.float64 if jax.config.jax_enable_x64 else jnp.float32)
    leaves, tree = jax.tree_util.tree_flatten(params)
    if not any(isinstance(v, jax.Array) for v in leaves):
        # host values (NumPy, Python numbers): one batched transfer, not one per field
        return jax.tree_util.tree_unflatten(
            tree, jax.device_put([np.asarray(v, dtype=dtype) for v in leaves]))
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v, dtype=dtype), params)


def broadcast(params: Params, state: State):
    """Broadcast every field of params and state to one common batch shape."""
    leaves = list(params) + list(state)
    shape = jnp.broadcast_shapes(*[jnp.shape(v) for v in leaves])
    p = Params(*[jnp.broadcast_to(v, shape) for v in params])
    s = State(*[jnp.broadcast_to(v, shape) for v in state])
    return p, s, shape


# What makes a runner conservative (MODEL.md §10): total mechanical energy is then a constant of
# the motion, the apex map is one-dimensional at fixed energy and one Floquet multiplier is 1.
# (field, the value that conserves energy, how to say it)
CONSERVATIVE_VALUES = (("push_force_bw", 0.0, "0"), ("leg_damping_n_s_per_m", 0.0, "0"),
                       ("surface_damping_n_s_per_m", 0.0, "0"), ("surface_restitution", 1.0, "1"),
                       ("slope_rad", 0.0, "0 (level ground)"))


def conservation_breakers(p: Params) -> list[tuple[str, float, str]]:
    """The concrete fields of ``p`` that break energy conservation, as (field, first offending
    value, the value that would conserve energy); traced fields are not judged."""
    found = []
    for name, conserving, allowed in CONSERVATIVE_VALUES:
        value = getattr(p, name)
        if isinstance(value, jax.core.Tracer):
            continue
        v = np.asarray(value, float)
        bad = v != conserving
        if np.any(bad):
            found.append((name, float(v[bad].flat[0]) if v.ndim else float(v), allowed))
    return found


def is_conservative(p: Params) -> bool:
    """True when no member of the batch ``p`` loses or gains mechanical energy: no push, no leg
    or surface damping, a fully elastic surface and level ground."""
    return not conservation_breakers(p)


def check_state(s: State, where: str = "") -> None:
    """Check a start state: finite, COM above the surface."""
    for name, v in zip(State._fields, s):
        _check(name, v, np.isfinite, "finite", where)
    _check("y_m", s.y_m, lambda v: v > 0, "> 0 (COM above the surface)", where)
