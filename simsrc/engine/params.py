"""Parameters of the runner, the leg, the surface and the slope, as one PyTree in SI units.

``Params`` is a ``NamedTuple`` of scalars or same-shaped arrays (a batch): it travels as one
argument through ``jit``, ``vmap`` and ``grad``. ``make_params`` is the user-facing builder: it
takes degrees and body weights, surface presets and damping ratios, checks every value and names
the offending one, and returns SI.

Where each parameter enters the physics: docs/physics.md.
"""
from __future__ import annotations

import math
from types import SimpleNamespace
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.errors import SimsrcInputError
from simsrc.engine.frame import landing_angle_rad
from simsrc.engine.surface import SURFACE_PRESETS

STANDARD_GRAVITY_M_PER_S2 = 9.81

# Segment data of the whole lower limb (Winter 2009, Table 4.1), as fractions of body mass and of
# leg length: mass, centre of mass from the hip, radius of gyration about the hip.
LEG_MASS_FRACTION = 0.161
LEG_COM_FRACTION = 0.447
LEG_GYRATION_FRACTION = 0.560
# Hip torque of the swinging leg (pendulum mode): a spring toward a forward neutral angle with
# 0.7 of critical damping. Chosen (not measured) so that the default runner swings its leg
# forward in time and lands on a steady gait from 3 to 4.5 m/s (docs/gaits.md "The swinging leg").
DEFAULT_HIP_STIFFNESS_N_M_PER_RAD = 300.0
DEFAULT_HIP_NEUTRAL_RAD = math.radians(28.0)
DEFAULT_HIP_DAMPING_RATIO = 0.7


def hip_damping_from_ratio(ratio, mass_leg_kg, com_m, inertia_kg_m2, hip_stiffness, g=9.81):
    """c_hip = 2 ζ √(I (k_hip + m_l g d)) (N·m·s/rad): ζ of the small swing about the hip."""
    return 2.0 * ratio * (inertia_kg_m2 * (hip_stiffness + mass_leg_kg * g * com_m)) ** 0.5


class Params(NamedTuple):
    """Model parameters, SI units (see docs/physics.md for where each enters).

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

    mass_kg: jax.Array | float = 80.0
    leg_length_m: jax.Array | float = 1.0
    leg_stiffness_n_per_m: jax.Array | float = 20e3
    leg_damping_n_s_per_m: jax.Array | float = 0.0
    angle_of_attack_rad: jax.Array | float = math.radians(68.0)
    lean_rad: jax.Array | float = 0.0
    push_force_bw: jax.Array | float = 0.0
    push_ramp_rad: jax.Array | float = math.radians(20.0)
    slope_rad: jax.Array | float = 0.0
    gravity_m_per_s2: jax.Array | float = STANDARD_GRAVITY_M_PER_S2
    surface_compliance_m_per_n: jax.Array | float = 0.0
    surface_damping_n_s_per_m: jax.Array | float = 0.0
    surface_restitution: jax.Array | float = 1.0
    retraction_rate_rad_per_s: jax.Array | float = 0.0
    swing_leg_mass_kg: jax.Array | float = LEG_MASS_FRACTION * 80.0
    swing_leg_com_m: jax.Array | float = LEG_COM_FRACTION * 1.0
    swing_leg_inertia_kg_m2: jax.Array | float = LEG_MASS_FRACTION * 80.0 * LEG_GYRATION_FRACTION**2
    hip_stiffness_n_m_per_rad: jax.Array | float = DEFAULT_HIP_STIFFNESS_N_M_PER_RAD
    hip_neutral_rad: jax.Array | float = DEFAULT_HIP_NEUTRAL_RAD
    hip_damping_n_m_s_per_rad: jax.Array | float = hip_damping_from_ratio(
        DEFAULT_HIP_DAMPING_RATIO, LEG_MASS_FRACTION * 80.0, LEG_COM_FRACTION,
        LEG_MASS_FRACTION * 80.0 * LEG_GYRATION_FRACTION**2, DEFAULT_HIP_STIFFNESS_N_M_PER_RAD)


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


def _pick(name_deg, deg, name_rad, rad, default_rad):
    if deg is not None and rad is not None:
        raise SimsrcInputError(f"give either `{name_deg}` or `{name_rad}`, not both")
    if deg is not None:
        if _is_float(deg):
            return math.radians(deg)
        return np.radians(np.asarray(deg, float)) if _is_concrete(deg) else jnp.deg2rad(deg)
    return default_rad if rad is None else rad


def _compliance(stiffness_n_per_m):
    """C = 1/k_s with C = 0 for an infinite (rigid) stiffness; traced values pass as 1/k_s."""
    if not _is_concrete(stiffness_n_per_m):
        return 1.0 / stiffness_n_per_m
    k = np.asarray(stiffness_n_per_m, dtype=float)
    c = np.where(np.isinf(k), 0.0, 1.0 / np.where(np.isinf(k), 1.0, k))
    return float(c) if c.ndim == 0 else c


def _is_float(x) -> bool:
    return isinstance(x, (int, float))


def make_params(
    *,
    mass_kg=80.0,
    leg_length_m=1.0,
    leg_stiffness_n_per_m=20e3,
    leg_damping_n_s_per_m=None,
    leg_damping_ratio=None,
    angle_of_attack_deg=None,
    angle_of_attack_rad=None,
    lean_deg=None,
    lean_rad=None,
    push_force_bw=0.0,
    push_ramp_deg=None,
    push_ramp_rad=None,
    slope_deg=None,
    slope_rad=None,
    gravity_m_per_s2=STANDARD_GRAVITY_M_PER_S2,
    surface: str | None = None,
    surface_stiffness_n_per_m=None,
    surface_damping_n_s_per_m=None,
    surface_restitution=None,
    retraction_rate_deg_per_s=None,
    retraction_rate_rad_per_s=None,
    swing_leg_mass_kg=None,
    swing_leg_com_m=None,
    swing_leg_inertia_kg_m2=None,
    hip_stiffness_n_m_per_rad=DEFAULT_HIP_STIFFNESS_N_M_PER_RAD,
    hip_neutral_deg=None,
    hip_neutral_rad=None,
    hip_damping_n_m_s_per_rad=None,
    hip_damping_ratio=None,
    where: str = "",
) -> Params:
    """Build and check a ``Params`` from user units (degrees, body weights, presets).

    Args:
        mass_kg, leg_length_m, leg_stiffness_n_per_m: body mass, leg rest length, leg stiffness.
        leg_damping_n_s_per_m / leg_damping_ratio: leg damping as c (N·s/m) or as ζ = c/(2√(k m)).
        angle_of_attack_deg / _rad: landing angle from the surface, relative to the body
            (default 68°).
        lean_deg / _rad: forward lean (default 0).
        push_force_bw: push force amplitude in body weights (default 0).
        push_ramp_deg / _rad: leg angle behind vertical at full push (default 20°).
        slope_deg / _rad: uphill positive (default 0).
        surface: a preset name (``simsrc.SURFACE_PRESETS``); explicit surface numbers override it.
        surface_stiffness_n_per_m: k_s; ``math.inf`` is rigid.
        surface_damping_n_s_per_m, surface_restitution: c_s and r ∈ (0, 1].
        retraction_rate_deg_per_s / _rad_per_s: rearward leg rotation from the flight apex
            (``retraction`` landing mode; default 0).
        swing_leg_mass_kg, swing_leg_com_m, swing_leg_inertia_kg_m2: the swinging leg
            (``pendulum`` landing mode); by default 0.161 m, 0.447 L0 and 0.161 m (0.560 L0)²
            (Winter 2009 segment data).
        hip_stiffness_n_m_per_rad, hip_neutral_deg / _rad: the hip spring that swings the leg
            (pendulum mode; defaults 300 N·m/rad toward 28° forward).
        hip_damping_n_m_s_per_rad / hip_damping_ratio: hip damping as c or as the ratio ζ of
            the small swing, c = 2 ζ √(I (k_hip + m_l g d)) (default ζ = 0.7).
        where: text naming the source of the values (a config file and table), put in errors.

    Every value may be a scalar or an array (a batch). Values are checked when they are
    concrete; inside ``jit`` or ``grad`` tracers pass through unchecked.

    Raises:
        SimsrcInputError: naming the parameter, the value and what is allowed.
    """
    if surface is not None:
        if surface not in SURFACE_PRESETS:
            raise SimsrcInputError(
                f"unknown surface preset {surface!r}{' in ' + where if where else ''}; "
                f"allowed: {', '.join(SURFACE_PRESETS)}")
        preset = SURFACE_PRESETS[surface]
    else:
        preset = SURFACE_PRESETS["rigid"]
    k_s = preset.stiffness_n_per_m if surface_stiffness_n_per_m is None else surface_stiffness_n_per_m
    c_s = preset.damping_n_s_per_m if surface_damping_n_s_per_m is None else surface_damping_n_s_per_m
    r_s = preset.restitution if surface_restitution is None else surface_restitution

    _check("mass_kg", mass_kg, lambda v: v > 0, "> 0", where)
    _check("leg_length_m", leg_length_m, lambda v: v > 0, "> 0", where)
    _check("leg_stiffness_n_per_m", leg_stiffness_n_per_m, lambda v: v > 0, "> 0", where)
    _check("gravity_m_per_s2", gravity_m_per_s2, lambda v: v > 0, "> 0", where)
    _check("surface_stiffness_n_per_m", k_s, lambda v: v > 0, "> 0 (inf for rigid ground)", where)
    _check("surface_damping_n_s_per_m", c_s, lambda v: v >= 0, ">= 0", where)
    _check("surface_restitution", r_s, lambda v: (v > 0) & (v <= 1), "in (0, 1]", where)
    _check("push_force_bw", push_force_bw, lambda v: (v >= 0) & (v <= 5), "in [0, 5] body weights",
           where)

    if leg_damping_n_s_per_m is not None and leg_damping_ratio is not None:
        raise SimsrcInputError("give either `leg_damping_n_s_per_m` or `leg_damping_ratio`, not both")
    if leg_damping_ratio is not None:
        _check("leg_damping_ratio", leg_damping_ratio, lambda v: v >= 0, ">= 0", where)
        c_leg = leg_damping_ratio * 2.0 * np.sqrt(leg_stiffness_n_per_m * mass_kg) \
            if _is_concrete(leg_damping_ratio) and _is_concrete(leg_stiffness_n_per_m) \
            and _is_concrete(mass_kg) \
            else leg_damping_ratio * 2.0 * jnp.sqrt(leg_stiffness_n_per_m * mass_kg)
    else:
        c_leg = 0.0 if leg_damping_n_s_per_m is None else leg_damping_n_s_per_m
    _check("leg_damping_n_s_per_m", c_leg, lambda v: v >= 0, ">= 0", where)

    alpha = _pick("angle_of_attack_deg", angle_of_attack_deg, "angle_of_attack_rad",
                  angle_of_attack_rad, math.radians(68.0))
    lean = _pick("lean_deg", lean_deg, "lean_rad", lean_rad, 0.0)
    ramp = _pick("push_ramp_deg", push_ramp_deg, "push_ramp_rad", push_ramp_rad, math.radians(20.0))
    slope = _pick("slope_deg", slope_deg, "slope_rad", slope_rad, 0.0)
    deg = "degrees" if angle_of_attack_deg is not None else "radians"
    _check("angle_of_attack" + ("_deg" if deg == "degrees" else "_rad"),
           np.degrees(alpha) if deg == "degrees" and _is_concrete(alpha) else alpha,
           (lambda v: (v > 0) & (v < 180)) if deg == "degrees" else (lambda v: (v > 0) & (v < np.pi)),
           "in (0, 180) degrees" if deg == "degrees" else "in (0, pi) radians", where)
    _check("lean", np.degrees(lean) if _is_concrete(lean) else lean,
           lambda v: (v > -60) & (v < 60), "in (-60, 60) degrees", where)
    _check("slope", np.degrees(slope) if _is_concrete(slope) else slope,
           lambda v: (v > -45) & (v < 45), "in (-45, 45) degrees", where)
    _check("push_ramp", np.degrees(ramp) if _is_concrete(ramp) else ramp,
           lambda v: (v > 0) & (v <= 90), "in (0, 90] degrees", where)
    if all(_is_concrete(v) for v in (alpha, lean)):
        beta = np.degrees(landing_angle_rad(SimpleNamespace(
            angle_of_attack_rad=np.asarray(alpha, float), lean_rad=np.asarray(lean, float))))
        _check("landing angle from the surface normal (90° − angle_of_attack − lean)", beta,
               lambda v: (v > -80) & (v < 80), "in (-80, 80) degrees", where)

    omega_r = _pick("retraction_rate_deg_per_s", retraction_rate_deg_per_s,
                    "retraction_rate_rad_per_s", retraction_rate_rad_per_s, 0.0)
    _check("retraction_rate", np.degrees(omega_r) if _is_concrete(omega_r) else omega_r,
           lambda v: np.abs(v) <= 2000, "in [-2000, 2000] degrees/s", where)
    hip_neutral = _pick("hip_neutral_deg", hip_neutral_deg, "hip_neutral_rad", hip_neutral_rad,
                        DEFAULT_HIP_NEUTRAL_RAD)
    _check("hip_neutral", np.degrees(hip_neutral) if _is_concrete(hip_neutral) else hip_neutral,
           lambda v: np.abs(v) < 90, "in (-90, 90) degrees", where)
    m_leg = LEG_MASS_FRACTION * mass_kg if swing_leg_mass_kg is None else swing_leg_mass_kg
    d_leg = LEG_COM_FRACTION * leg_length_m if swing_leg_com_m is None else swing_leg_com_m
    i_leg = (m_leg * (LEG_GYRATION_FRACTION * leg_length_m) ** 2
             if swing_leg_inertia_kg_m2 is None else swing_leg_inertia_kg_m2)
    _check("swing_leg_mass_kg", m_leg, lambda v: v > 0, "> 0", where)
    _check("swing_leg_com_m", d_leg, lambda v: v >= 0, ">= 0", where)
    _check("swing_leg_inertia_kg_m2", i_leg, lambda v: v > 0, "> 0", where)
    if all(_is_concrete(v) for v in (m_leg, d_leg, i_leg)):
        _check("swing_leg_inertia_kg_m2 (at least m_l d², the inertia of a point mass at d)",
               np.asarray(i_leg, float) - np.asarray(m_leg, float) * np.asarray(d_leg, float) ** 2,
               lambda v: v >= -1e-12, ">= 0", where)
    _check("hip_stiffness_n_m_per_rad", hip_stiffness_n_m_per_rad, lambda v: v >= 0, ">= 0", where)
    if hip_damping_n_m_s_per_rad is not None and hip_damping_ratio is not None:
        raise SimsrcInputError(
            "give either `hip_damping_n_m_s_per_rad` or `hip_damping_ratio`, not both")
    if hip_damping_n_m_s_per_rad is None:
        ratio = DEFAULT_HIP_DAMPING_RATIO if hip_damping_ratio is None else hip_damping_ratio
        _check("hip_damping_ratio", ratio, lambda v: v >= 0, ">= 0", where)
        sqrt = np.sqrt if all(_is_concrete(v) for v in (
            ratio, m_leg, d_leg, i_leg, hip_stiffness_n_m_per_rad, gravity_m_per_s2)) else jnp.sqrt
        hip_damping_n_m_s_per_rad = 2.0 * ratio * sqrt(
            i_leg * (hip_stiffness_n_m_per_rad + m_leg * gravity_m_per_s2 * d_leg))
    _check("hip_damping_n_m_s_per_rad", hip_damping_n_m_s_per_rad, lambda v: v >= 0, ">= 0",
           where)

    compliance = _compliance(k_s)
    return Params(
        mass_kg=mass_kg, leg_length_m=leg_length_m, leg_stiffness_n_per_m=leg_stiffness_n_per_m,
        leg_damping_n_s_per_m=c_leg, angle_of_attack_rad=alpha, lean_rad=lean,
        push_force_bw=push_force_bw, push_ramp_rad=ramp, slope_rad=slope,
        gravity_m_per_s2=gravity_m_per_s2, surface_compliance_m_per_n=compliance,
        surface_damping_n_s_per_m=c_s, surface_restitution=r_s,
        retraction_rate_rad_per_s=omega_r, swing_leg_mass_kg=m_leg, swing_leg_com_m=d_leg,
        swing_leg_inertia_kg_m2=i_leg, hip_stiffness_n_m_per_rad=hip_stiffness_n_m_per_rad,
        hip_neutral_rad=hip_neutral, hip_damping_n_m_s_per_rad=hip_damping_n_m_s_per_rad)


def as_arrays(params: Params, dtype=None) -> Params:
    """Every field as a ``jnp`` array of a common floating dtype (broadcast not applied)."""
    dtype = dtype or (jnp.float64 if jax.config.jax_enable_x64 else jnp.float32)
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v, dtype=dtype), params)


def broadcast(params: Params, state: State):
    """Broadcast every field of params and state to one common batch shape."""
    leaves = list(params) + list(state)
    shape = jnp.broadcast_shapes(*[jnp.shape(v) for v in leaves])
    p = Params(*[jnp.broadcast_to(v, shape) for v in params])
    s = State(*[jnp.broadcast_to(v, shape) for v in state])
    return p, s, shape


def check_params(p: Params, where: str = "") -> None:
    """Check an SI ``Params`` (e.g. built by hand); tracers pass unchecked.

    Raises:
        SimsrcInputError: naming the field, the value and what is allowed.
    """
    _check("mass_kg", p.mass_kg, lambda v: v > 0, "> 0", where)
    _check("leg_length_m", p.leg_length_m, lambda v: v > 0, "> 0", where)
    _check("leg_stiffness_n_per_m", p.leg_stiffness_n_per_m, lambda v: v > 0, "> 0", where)
    _check("leg_damping_n_s_per_m", p.leg_damping_n_s_per_m, lambda v: v >= 0, ">= 0", where)
    _check("gravity_m_per_s2", p.gravity_m_per_s2, lambda v: v > 0, "> 0", where)
    _check("surface_compliance_m_per_n", p.surface_compliance_m_per_n, lambda v: v >= 0,
           ">= 0 (0 is rigid)", where)
    _check("surface_damping_n_s_per_m", p.surface_damping_n_s_per_m, lambda v: v >= 0, ">= 0",
           where)
    _check("surface_restitution", p.surface_restitution, lambda v: (v > 0) & (v <= 1),
           "in (0, 1]", where)
    _check("push_force_bw", p.push_force_bw, lambda v: (v >= 0) & (v <= 5), "in [0, 5]", where)
    _check("push_ramp_rad", p.push_ramp_rad, lambda v: (v > 0) & (v <= np.pi / 2),
           "in (0, pi/2]", where)
    _check("angle_of_attack_rad", p.angle_of_attack_rad, lambda v: (v > 0) & (v < np.pi),
           "in (0, pi)", where)
    _check("slope_rad", p.slope_rad, lambda v: np.abs(v) < np.pi / 4, "in (-pi/4, pi/4)", where)
    _check("lean_rad", p.lean_rad, lambda v: np.abs(v) < np.pi / 3, "in (-pi/3, pi/3)", where)
    _check("swing_leg_mass_kg", p.swing_leg_mass_kg, lambda v: v > 0, "> 0", where)
    _check("swing_leg_com_m", p.swing_leg_com_m, lambda v: v >= 0, ">= 0", where)
    _check("swing_leg_inertia_kg_m2", p.swing_leg_inertia_kg_m2, lambda v: v > 0, "> 0", where)
    _check("hip_stiffness_n_m_per_rad", p.hip_stiffness_n_m_per_rad, lambda v: v >= 0, ">= 0",
           where)
    _check("hip_damping_n_m_s_per_rad", p.hip_damping_n_m_s_per_rad, lambda v: v >= 0, ">= 0",
           where)


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
