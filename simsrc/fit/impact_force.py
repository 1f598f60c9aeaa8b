"""Fit the two-mass stance (``simsrc.engine.impact``, MODEL.md §12) to a measured ground-force
curve, the impact region included (docs/fitting.md, "Impact: the two-mass fit").

Data: a ``force.ForceCurve`` (times from the detected touchdown, forces in body weights, the
zero-force extension after toe-off), usually the mean stance curve of a treadmill recording
(``force.force_curve_from_stance``).

Model: one stance of ``impact.stance`` with body mass M − m_f, foot mass m_f, leg rest length
L0 (fixed), the body's horizontal velocity at touchdown the belt speed, and the free
parameters of ``IMPACT_PARAMETERS`` (natural SI values, bounded by the transforms of
``fit.transforms``):

* leg stiffness k (leg damping c_leg, axial N s/m: held at 0 by default, see
  ``DEFAULT_IMPACT_FREE``);
* angle of attack α (from the horizontal, as in the massless fit; β = 90° − α from the
  vertical), the body's vertical velocity at touchdown;
* foot mass fraction m_f/M, the foot's vertical velocity at touchdown;
* contact stiffness k_p (N/m^n), exponent n (fixed at 1 unless fitted), Hunt-Crossley
  damping c_p (s/m);
* touchdown offset τ (s, 0-6 ms): the model's first contact precedes the detected touchdown,
  which a force threshold (35 N, ``contacts.detect_steps``) dates a few ms late; the model is
  compared at t_model = t_data + τ. (Bounded at 6 ms: before the detected touchdown there are
  no data, and a longer offset let the fit hide a horizontal spike there.)

* push force A (body weights, 0-0.5; held at 0 by default) and its ramp angle φ_r (2-40°;
  20° unless fitted): the massless engine's active push along the leg (``leg.push_force_n``,
  full from φ_r behind the vertical), in the program only when it is fitted or held at a
  nonzero value (``with_push``, ``ImpactOptions.push``).

By default no push: the stance is a passive two-mass spring system (with damping). The upper
bound of 0.5 BW is the issue's limit for a physiological push: the massless fits reach
their shape with ~1 BW, which no measured push-off supports. The horizontal force
is zero after the leg's liftoff (first downward zero of the leg force); the vertical one after
the foot leaves its contact (``model_curves``).

Residuals (body weights): w_i (N_model − N_meas) for the vertical force, then the same for the
horizontal force (times ``horizontal_weight``), as in ``force.py``. Solver: the batched
Levenberg-Marquardt of ``fit.solver`` with exact forward-mode Jacobians (``jax.jacfwd``
through the RK4 stance and its liftoff event), all starts of all curves (a mean curve, or every
step's own) in one batch; standard errors s²(JᵀJ)⁻¹ by ``solver.uncertainty``.

What the fits of measured curves say about the parameters (several minima of near-equal cost;
the contact's stiffness trades with the leg's unless it is bounded to a heel pad's) is in
docs/fitting.md §13: read them before quoting a fitted value.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import batch, impact
from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2
from simsrc.errors import SimsrcInputError
from simsrc.fit.force import ForceCurve
from simsrc.fit.guess import landing_angle_guess_rad, morin_leg_stiffness_n_per_m
from simsrc.fit.solver import FitResult, best_of_starts, levenberg_marquardt, uncertainty
from simsrc.fit.transforms import Bound, internal_values, to_natural

#: Every parameter the two-mass fit can vary, with its range (natural SI units).
IMPACT_PARAMETERS: dict[str, Bound] = {b.name: b for b in (
    Bound("leg_stiffness_n_per_m", 0.0, math.inf),
    Bound("leg_damping_n_s_per_m", 0.0, 1500.0),
    Bound("angle_of_attack_rad", math.radians(50.0), math.radians(89.0)),
    Bound("touchdown_vy_m_per_s", -1.5, 0.5),
    Bound("foot_mass_fraction", 0.02, 0.12),
    Bound("foot_vy_m_per_s", -3.0, 0.0),
    Bound("contact_stiffness", 0.0, math.inf),
    Bound("contact_exponent", 1.0, 3.0),
    Bound("contact_damping_s_per_m", 0.0, 10.0),
    Bound("touchdown_offset_s", 0.0, 0.006),
    Bound("push_force_bw", 0.0, 0.5),
    Bound("push_ramp_rad", math.radians(2.0), math.radians(40.0)),
)}

#: The default fit: leg damping is held at 0 (as in the massless fit): a leg damper's force
#: −c L̇ jumps at touchdown, and the horizontal ground force with it (the foot's friction takes
#: it at once); fitted, it ended at 0 or, with a stiffening contact, at 600-1100 N s/m with a
#: horizontal spike of −1.5 BW before the detected touchdown, where no data constrain it.
DEFAULT_IMPACT_FREE = ("leg_stiffness_n_per_m", "angle_of_attack_rad", "touchdown_vy_m_per_s",
                       "foot_mass_fraction", "foot_vy_m_per_s", "contact_stiffness",
                       "contact_damping_s_per_m", "touchdown_offset_s")

#: Values of the parameters that are not fitted (and the start values of the fitted ones,
#: apart from k, α and the touchdown velocity, which come from the measured times).
DEFAULTS = {"leg_damping_n_s_per_m": 0.0, "foot_mass_fraction": 0.08, "foot_vy_m_per_s": -1.0,
            "contact_stiffness": 40e3, "contact_exponent": 1.0, "contact_damping_s_per_m": 0.5,
            "touchdown_offset_s": 0.003, "push_force_bw": 0.0,
            "push_ramp_rad": impact.PUSH_RAMP_RAD}

#: A fitted push starts here (a start on its bound of 0 would stay there), body weights.
FREE_PUSH_START = 0.2

#: A fitted exponent starts here (a start on its bound of 1 would stay there); the start
#: contact stiffnesses are linear ones (N/m), converted to k_p = k D_REF^(1−n) for n ≠ 1 (the
#: same force at a compression of D_REF_M).
FREE_EXPONENT_START = 1.5
D_REF_M = 0.005

#: Start variations (one row per start): factors on k, then values of the foot's parameters.
STARTS = ((1.0, 0.08, 40e3, -1.0), (1.2, 0.05, 80e3, -0.7), (0.85, 0.10, 25e3, -1.3),
          (1.35, 0.06, 150e3, -0.5), (1.1, 0.03, 60e3, -1.8), (0.95, 0.12, 30e3, -0.9),
          (1.8, 0.03, 15e3, -0.8), (3.0, 0.05, 15e3, -1.1),
          (1.5, 0.08, 20e3, -1.2), (2.0, 0.10, 10e3, -1.0), (4.0, 0.02, 15e3, -1.2),
          (1.0, 0.12, 5e3, -1.5), (1.3, 0.02, 40e3, -0.3), (0.9, 0.05, 100e3, -1.5),
          (2.5, 0.08, 25e3, -0.6), (1.6, 0.12, 60e3, -2.0))


class ImpactFitOptions(NamedTuple):
    """Static options: the stance integration (``impact.ImpactOptions``; 1200 RK4 steps over
    1.2 leg periods is ~0.4 ms a step here, well inside the contact mode's few ms)."""

    stance: impact.ImpactOptions = impact.ImpactOptions(steps=1200)


class Runner(NamedTuple):
    """The fixed part of the model: mass, leg length, speed and gravity (SI)."""

    mass_kg: float
    leg_length_m: float
    speed_m_per_s: float
    gravity_m_per_s2: float = STANDARD_GRAVITY_M_PER_S2


def with_push(options: ImpactFitOptions, names, fixed: dict | None) -> ImpactFitOptions:
    """``options`` with the push in the stance's program when it is fitted (``names``) or
    held at a nonzero value (``fixed``), as ``force.py`` does for the massless fit."""
    push = "push_force_bw" in names or bool(np.any(np.asarray((fixed or {}).get(
        "push_force_bw", 0.0)) != 0.0))
    return options._replace(stance=options.stance._replace(push=push or options.stance.push))


def resolve_impact_free(names, ranges: dict | None = None) -> tuple[Bound, ...]:
    """The ``Bound``s of the named parameters, with the ``(lower, upper)`` of ``ranges``
    replacing the default ones; raises ``SimsrcInputError`` for an unknown or repeated name,
    listing the allowed ones."""
    ranges = ranges or {}
    for name, (lo, hi) in ranges.items():
        if name not in IMPACT_PARAMETERS or not lo < hi:
            raise SimsrcInputError(f"range {name!r}: ({lo}, {hi}) is not allowed; expected a "
                                   f"name of IMPACT_PARAMETERS and lower < upper")
    out = []
    for name in names:
        if name not in IMPACT_PARAMETERS:
            raise SimsrcInputError(f"cannot fit {name!r} with the two-mass model; allowed: "
                                   + ", ".join(IMPACT_PARAMETERS))
        if name in [b.name for b in out]:
            raise SimsrcInputError(f"{name!r} is listed twice in the fitted parameters")
        lo, hi = ranges.get(name, IMPACT_PARAMETERS[name][1:])
        out.append(Bound(name, float(lo), float(hi)))
    if not out:
        raise SimsrcInputError("no parameters to fit")
    return tuple(out)


# ----------------------------------------------------------------------------- model

def impact_model(values: dict, runner: Runner):
    """(``ImpactParams``, ``ImpactTouchdown``, touchdown offset s) from natural parameter
    values by name (every name of ``IMPACT_PARAMETERS``; jnp scalars or floats)."""
    v = values
    m = runner.mass_kg
    p = impact.ImpactParams(
        mass_kg=m, foot_mass_kg=v["foot_mass_fraction"] * m, leg_length_m=runner.leg_length_m,
        leg_stiffness_n_per_m=v["leg_stiffness_n_per_m"],
        leg_damping_n_s_per_m=v["leg_damping_n_s_per_m"],
        contact_stiffness=v["contact_stiffness"], contact_exponent=v["contact_exponent"],
        contact_damping_s_per_m=v["contact_damping_s_per_m"],
        gravity_m_per_s2=runner.gravity_m_per_s2,
        push_force_bw=v.get("push_force_bw", 0.0),
        push_ramp_rad=v.get("push_ramp_rad", impact.PUSH_RAMP_RAD))
    beta = 0.5 * math.pi - v["angle_of_attack_rad"]
    td = impact.touchdown_state(p, beta, runner.speed_m_per_s, v["touchdown_vy_m_per_s"],
                                0.0, v["foot_vy_m_per_s"])
    return p, td, v["touchdown_offset_s"]


def model_curves(values: dict, runner: Runner, options: ImpactFitOptions = ImpactFitOptions()):
    """The model's stance: (times from the *detected* touchdown t_model − τ (s), vertical and
    horizontal ground force (body weights), ``ImpactStance``).

    The horizontal force ends at the liftoff of the leg (where it is zero). The vertical force
    (the contact force N) still carries the foot's weight there: it goes on, as the leg, now in
    tension, lifts the foot, until N first falls to zero (a few ms). Cutting it at the leg's
    liftoff would leave a step of about m_f g whose time moves with every parameter: a cost
    the Jacobian cannot see, which stalled the solver 1e-3 BW short of a known solution.
    """
    p, td, offset = impact_model(values, runner)
    s = impact.stance(p, td, options.stance)
    bw = p.mass_kg * p.gravity_m_per_s2
    on = s.t_s <= s.contact_time_s
    idx = jnp.arange(s.t_s.shape[0])
    off = ~on & (s.vertical_force_n <= 0.0)
    foot_off = jnp.where(jnp.any(off), jnp.argmax(off), s.t_s.shape[0])
    return (s.t_s - offset, jnp.where(idx < foot_off, s.vertical_force_n, 0.0) / bw,
            jnp.where(on, s.horizontal_force_n, 0.0) / bw, s)


def _residual(u, fixed, data, runner, bounds, options):
    values = dict(fixed)
    values.update({b.name: to_natural(b, u[i]) for i, b in enumerate(bounds)})
    t, fv, fh, s = model_curves(values, runner, options)
    mv = jnp.interp(data.time_s, t, fv, left=0.0, right=0.0)
    mh = jnp.interp(data.time_s, t, fh, left=0.0, right=0.0)
    r = jnp.concatenate([data.weight * (mv - data.vertical_bw),
                         data.weight * data.horizontal_weight * (mh - data.horizontal_bw)])
    return jnp.where(s.found, r, jnp.nan)


def _residual_and_jacobian(u, fixed, data, runner, *, bounds, options):
    """One curve's residual r and its Jacobian ∂r/∂u (forward mode, the residual its aux)."""
    def f(uu):
        r = _residual(uu, fixed, data, runner, bounds, options)
        return r, r
    jac, r = jax.jacfwd(f, has_aux=True)(u)
    return r, jac


def _kernel(bounds, options):
    """jit(vmap((u, fixed, data, runner) -> (r, ∂r/∂u))), one per static setting, called
    through a stored program (``batch.batched_kernel``): a warm run reads it back instead of
    tracing it (``python experiments/fit_fukuchi_impact.py`` traced 51 kernels in 25 s on
    every run before; benchmarks/README.md, "Stored programs")."""
    key = (bounds, options)
    if key not in _KERNELS:
        _KERNELS[key] = batch.batched_kernel(_residual_and_jacobian, bounds=bounds,
                                             options=options)
    return _KERNELS[key]


_KERNELS: dict = {}


# ----------------------------------------------------------------------------- fit

def initial_values(curve: ForceCurve, mass_kg: float, leg_length_m: float,
                   gravity_m_per_s2: float = STANDARD_GRAVITY_M_PER_S2) -> dict:
    """Start values (natural units) of one curve: the Morin stiffness, the geometric angle of
    attack, the body's vertical velocity −g t_f/2 of a symmetric flight, and ``DEFAULTS``."""
    v, tc, tf = (float(np.asarray(x)) for x in (curve.speed_m_per_s, curve.contact_time_s,
                                                curve.flight_time_s))
    out = dict(DEFAULTS)
    out["leg_stiffness_n_per_m"] = float(morin_leg_stiffness_n_per_m(mass_kg, leg_length_m, v,
                                                                     tc, tf))
    out["angle_of_attack_rad"] = float(landing_angle_guess_rad(leg_length_m, v, tc))
    out["touchdown_vy_m_per_s"] = -0.5 * gravity_m_per_s2 * tf
    return out


def fit_impact_curve(curve: ForceCurve, *, mass_kg: float, leg_length_m: float,
                     free=DEFAULT_IMPACT_FREE, fixed: dict | None = None,
                     ranges: dict | None = None,
                     initial: dict | None = None, starts: int = 4, max_iterations: int = 80,
                     options: ImpactFitOptions = ImpactFitOptions()) -> FitResult:
    """Fit the two-mass stance to one force curve (or to a batch of curves: leading axis,
    e.g. ``force.force_curves_per_step``; one kernel call per iteration for all of them).

    Args:
        curve: the measured curve (``force.make_force_curve``, ``force_curve_from_stance``).
        mass_kg, leg_length_m: the runner (fixed); the speed is the curve's.
        free: names of ``IMPACT_PARAMETERS`` to fit.
        fixed: values of the other parameters (default ``DEFAULTS``; e.g. a contact exponent).
        ranges: ``{name: (lower, upper)}`` replacing ranges of ``IMPACT_PARAMETERS``.
        initial: start values by name replacing ``initial_values`` in every start (e.g. a
            mean-curve fit's values as the start of per-step fits).
        starts: 1..len(``STARTS``) starts (k factor, foot fraction, k_p, foot velocity); the
            lowest-cost converged fit of each curve is kept.
        max_iterations: Levenberg-Marquardt iterations at most.

    Returns:
        ``FitResult`` (``names`` in the order of ``free``; batched like ``curve``). Standard
        errors assume independent residuals of equal variance (docs/fitting.md,
        "Uncertainty").
    """
    bounds = resolve_impact_free(free, ranges)
    names = tuple(b.name for b in bounds)
    starts = int(starts)
    if not 1 <= starts <= len(STARTS):
        raise SimsrcInputError(f"starts must be 1..{len(STARTS)}, got {starts}")
    single = np.ndim(curve.time_s) == 1
    data = jax.tree_util.tree_map(lambda v: np.asarray(v, float)[None] if single
                                  else np.asarray(v, float), curve)
    n_curves = data.time_s.shape[0]
    rows, held = [], []
    for c in range(n_curves):
        one = jax.tree_util.tree_map(lambda v: v[c], data)
        start = initial_values(one, mass_kg, leg_length_m)
        start.update(fixed or {})
        if "contact_exponent" in names:
            start["contact_exponent"] = FREE_EXPONENT_START
        if "push_force_bw" in names:
            start["push_force_bw"] = FREE_PUSH_START
        for j in range(starts):
            row = dict(start)
            kf, frac, kp, wf = STARTS[j]
            row.update(leg_stiffness_n_per_m=start["leg_stiffness_n_per_m"] * kf,
                       foot_mass_fraction=frac, foot_vy_m_per_s=wf,
                       contact_stiffness=kp * D_REF_M ** (1.0 - row["contact_exponent"]))
            row.update(initial or {})
            rows.append([row[n] for n in names])
            held.append(start)
    u0 = internal_values(bounds, np.array(rows, float))
    fixed_b = {n: np.array([h[n] for h in held], float)
               for n in IMPACT_PARAMETERS if n not in names}
    data_b = jax.tree_util.tree_map(lambda v: np.repeat(v, starts, axis=0), data)
    n = u0.shape[0]
    runner_b = Runner(np.full(n, float(mass_kg)), np.full(n, float(leg_length_m)),
                      data_b.speed_m_per_s, np.full(n, STANDARD_GRAVITY_M_PER_S2))
    kernel = _kernel(bounds, with_push(options, names, fixed))

    def evaluate(u):
        r, jac = kernel(jnp.asarray(u), fixed_b, data_b, runner_b)
        return np.asarray(r), np.asarray(jac)

    sol = levenberg_marquardt(evaluate, u0, max_iterations=max_iterations)
    n_data = np.sum(data_b.weight > 0, axis=1) * (1 + (data_b.horizontal_weight > 0))
    result = best_of_starts(uncertainty(bounds, sol, n_data, initial_u=u0), starts)
    return result.index(0) if single else result


def fitted_values(result: FitResult, curve: ForceCurve, *, mass_kg: float,
                  leg_length_m: float, fixed: dict | None = None) -> dict:
    """Every parameter's value by name: the fitted ones, then ``fixed``, then the curve's
    ``initial_values`` (as ``fit_impact_curve`` holds the parameters it does not fit)."""
    out = initial_values(curve, mass_kg, leg_length_m)
    out.update(fixed or {})
    out.update({n: float(v) for n, v in zip(result.names, np.asarray(result.value))})
    return out


def fitted_curves(result: FitResult, curve: ForceCurve, *, mass_kg: float, leg_length_m: float,
                  fixed: dict | None = None, options: ImpactFitOptions = ImpactFitOptions()):
    """The fitted model for plots and metrics: (times from the detected touchdown (s),
    vertical and horizontal force (body weights), ``ImpactStance``), NumPy."""
    runner = Runner(float(mass_kg), float(leg_length_m), float(np.asarray(curve.speed_m_per_s)))
    values = fitted_values(result, curve, mass_kg=mass_kg, leg_length_m=leg_length_m,
                           fixed=fixed)
    t, fv, fh, s = _curves_jit(values, runner, with_push(options, result.names, fixed))
    return np.asarray(t), np.asarray(fv), np.asarray(fh), s


_curves_jit = jax.jit(model_curves, static_argnums=(2,))


def impact_rms_bw(result: FitResult, curve: ForceCurve) -> tuple[float, float]:
    """RMS of the vertical and of the horizontal residual over the points that count (BW)."""
    r = np.asarray(result.residual)
    n = np.asarray(curve.weight).shape[-1]
    count = np.sum(np.asarray(curve.weight) > 0)
    rh = math.sqrt(np.sum(r[n:] ** 2) / count)
    return (math.sqrt(np.sum(r[:n] ** 2) / count),
            rh if float(np.asarray(curve.horizontal_weight)) > 0 else math.nan)


# --------------------------------------------------------------------------- metrics

class CurveImpact(NamedTuple):
    """Impact measures of a sampled vertical force curve (BW, s, BW/s), by the rules of
    ``impact.ImpactMetrics`` applied to samples: impact peak (first local maximum within
    ``impact.IMPACT_WINDOW_S``; else the value at 13 % of the contact time, ``found`` False),
    average 20-80 % loading rate, instantaneous loading rate (largest finite-difference slope
    before the peak)."""

    peak_bw: float
    peak_time_s: float
    found: bool
    average_loading_rate_bw_per_s: float
    instantaneous_loading_rate_bw_per_s: float


def curve_impact(time_s, vertical_bw, contact_time_s) -> CurveImpact:
    """``CurveImpact`` of samples (time from touchdown s, force BW) of one stance (NumPy)."""
    t, f = np.asarray(time_s, float), np.asarray(vertical_bw, float)
    inner = np.arange(1, t.size - 1)
    is_max = (f[inner] > f[inner - 1]) & (f[inner] >= f[inner + 1]) & \
        (t[inner] <= impact.IMPACT_WINDOW_S) & (t[inner] >= 0)
    found = bool(np.any(is_max))
    if found:
        i = int(inner[np.argmax(is_max)])
    else:
        i = int(np.argmin(np.abs(t - 0.13 * contact_time_s)))
    peak, t_pk = float(f[i]), float(t[i])
    idx = np.arange(t.size)

    def first(level):
        k = int(np.argmax((f >= level) & (idx <= i) & (t >= 0)))
        if k == 0:
            return t[0]
        return t[k - 1] + (level - f[k - 1]) / (f[k] - f[k - 1]) * (t[k] - t[k - 1])

    avg = 0.6 * peak / (first(0.8 * peak) - first(0.2 * peak))
    slope = np.diff(f) / np.diff(t)
    before = (idx[:-1] < i) & (t[:-1] >= 0)
    inst = float(np.max(slope[before])) if np.any(before) else math.nan
    return CurveImpact(peak, t_pk, found, float(avg), inst)


# --------------------------------------------------------------------------- summary

def impact_summary(result: FitResult, curve: ForceCurve, *, mass_kg: float,
                   leg_length_m: float, fixed: dict | None = None) -> dict:
    """Derived numbers of a fit (plain floats, SI unless the name says otherwise).

    * ``contact_secant_stiffness_n_per_m``: N/d at the largest contact force (the contact's
      stiffness at the active peak; k_p itself for a linear contact);
    * ``series_stiffness_n_per_m``: 1/(1/k + 1/k_contact,secant), the leg spring and the
      contact in series, as a sine-wave estimate lumps every compliance below the COM (the
      contact acts vertically, the leg along its axis: exact for a vertical leg, within
      cos²ψ ≥ 0.88 of it here, ψ ≤ 20°);
    * ``max_contact_compression_m``; the model's contact time (s, from its first contact)
      and liftoff velocity; the ledger's losses and the push's work (J) and the body's
      mechanical energy change;
    * ``model_impact``/``measured_impact``: ``curve_impact`` of the model's dense curve and of
      the measured samples, on the detected-touchdown time axis.
    """
    t, fv, _, s = fitted_curves(result, curve, mass_kg=mass_kg, leg_length_m=leg_length_m,
                                fixed=fixed)
    values = fitted_values(result, curve, mass_kg=mass_kg, leg_length_m=leg_length_m,
                           fixed=fixed)
    normal = np.asarray(s.vertical_force_n)
    d = -np.asarray(s.path.yf)
    i = int(np.argmax(normal))
    k_contact = float(normal[i] / d[i])
    k_leg = values["leg_stiffness_n_per_m"]
    lg = s.ledger
    body_change = float(lg.body_kinetic_end_j + lg.body_potential_end_j
                        - lg.body_kinetic_start_j - lg.body_potential_start_j)
    w = np.asarray(curve.weight) > 0
    tc = float(np.asarray(curve.contact_time_s))
    meas = np.asarray(curve.time_s) <= tc + 1e-12
    return {
        "contact_secant_stiffness_n_per_m": k_contact,
        "series_stiffness_n_per_m": 1.0 / (1.0 / k_leg + 1.0 / k_contact),
        "max_contact_compression_m": float(np.max(d)),
        "model_contact_time_s": float(s.contact_time_s),
        "touchdown_vy_m_per_s": values["touchdown_vy_m_per_s"],
        "liftoff_vx_m_per_s": float(s.liftoff.vx), "liftoff_vy_m_per_s": float(s.liftoff.vy),
        "contact_damping_loss_j": float(lg.contact_damping_loss_j),
        "leg_damping_loss_j": float(lg.leg_damping_loss_j),
        "push_work_j": float(lg.push_work_j),
        "body_energy_change_j": body_change,
        "ledger_residual_j": float(lg.residual_j),
        "model_impact": curve_impact(t, fv, tc)._asdict(),
        "measured_impact": curve_impact(np.asarray(curve.time_s)[w & meas],
                                        np.asarray(curve.vertical_bw)[w & meas], tc)._asdict(),
    }
