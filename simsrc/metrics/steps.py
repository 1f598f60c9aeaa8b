"""Stride metrics of a run (MODEL.md §8): pure ``jnp`` functions of (Params, StepRecord).

Everything here is an observable computed after the physics, the way ``jax-md`` keeps kinetic
energy and temperature apart from the integrator: ``step_metrics`` works elementwise, so it runs
eagerly, under ``jit`` and ``vmap``, on one step or on a whole run (leaves ``batch + (n_steps,)``),
and is differentiable. ``steady_state`` averages the last steps and checks convergence;
``summary_table`` turns both into plain Python dicts for the CLI.

Definitions (one step = from one flight apex to the next; see also docs/metrics.md):

- step time T = t_td + t_c + t_ap (flight to touchdown, contact, flight from liftoff to the
  apex); **flight time** t_f = T − t_c (the aerial time between two contacts);
- **step length** d = x advance over the step (end apex x − start x); the start state is the
  touchdown state run back through the closed-form flight; **speed** = d / T (mean forward
  speed); **step frequency** 1/T, **cadence** 60/T steps/min;
- **duty factor** = t_c / (2 T): the fraction of a stride (two steps) that one foot is on the
  ground (Alexander); ``contact_fraction`` = t_c / T is the per-step fraction;
- forces in N and in body weights m·g (g the magnitude of gravity, also on a slope, where
  "vertical" means normal to the surface); stance-average vertical force = ∫F_y dt / t_c;
- **COM vertical oscillation** = highest − lowest COM height over the step, highest taken over
  the two flight arcs and the touchdown/liftoff points (a COM peak inside stance is not
  looked for: it needs a walking-like, vault-over stance); **vertical ratio** = oscillation /
  step length (a fraction; watches show it ×100); **COM drop in stance** Δy = touchdown height −
  lowest COM height;
- **landing / liftoff angle**: angle of the leg vector foot→COM with the running surface, on
  the side the body is (ahead at liftoff, behind at landing), so that 90° is a vertical leg
  and the landing angle equals the angle of attack α on level rigid ground; the liftoff angle
  uses the footprint depth as the foot's sink at liftoff;
- stiffness "as a lab measures it" (McMahon & Cheng 1990; Farley & Gonzalez 1996): force plate
  peak vertical force F_max, COM drop Δy from double integration, leg compression from the
  geometry ΔL = Δy + L0 (1 − cos θ), sin θ = v t_c / (2 L0) (half the leg sweep);
  k_vert = F_max/Δy, k_leg = F_max/ΔL. ``leg_stiffness_direct_n_per_m`` = peak axial leg force /
  peak leg compression is what a lab with the leg's own length and axial force would get (it
  equals the model's k on rigid ground with no push or damping);
- the **Morin et al. (2005) sine-wave estimate** from t_c, t_f, v, L0 and m (MODEL.md §8):
  F_max = m g (π/2)(t_f/t_c + 1), Δy_c = F_max t_c²/(m π²) − g t_c²/8,
  ΔL = L0 − √(L0² − (v t_c/2)²) + Δy_c, k_vert = F_max/Δy_c, k_leg = F_max/ΔL;
- **energy return** of the leg = leg elastic returned / peak; of the surface likewise (1 when
  the surface stores nothing, e.g. rigid ground: the limit of a stiffer and stiffer elastic one);
- **positive mechanical work** W⁺ (from the ledger) = leg elastic energy returned + surface
  elastic energy returned + push positive work + the hip's positive work on the swinging
  legs: the work done while the leg and the ground extend. For a conservative spring-mass this equals
  the positive external work of Cavagna's method (the rise of the COM's mechanical energy in the
  second half of stance); with a push it is the accounting approximation that lumps the spring
  and the push. **Mechanical cost of transport** = W⁺ / (m g d) (dimensionless) and
  W⁺/(m d) in J/kg/m;
- **metabolic estimate** (J/kg/m) = (W⁺_muscle/η⁺ + |W⁻_muscle|/η⁻) / (m d), with muscle positive
  work = push positive work + positive hip swing work, muscle negative work = push negative work
  + leg damping loss (the damper is read as muscles absorbing actively) + negative hip swing
  work; η⁺ = 0.25 and η⁻ = 1.20 (Margaria 1968, Int Z Angew Physiol 25:339, measured in human
  up- and downhill locomotion, the same task; the values used by most walking/running
  energetics models). Elastic spring work and ground losses cost nothing here, so a lossless
  spring-mass runs for free: this estimate is the cost of *replacing lost work*, not the cost
  of generating force that dominates real running (~4 J/kg/m, Kram & Taylor 1990).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from simsrc.engine.flight import ballistic
from simsrc.engine.frame import gravity_m_per_s2
from simsrc.engine.params import Params, State
from simsrc.engine.step import StepRecord

MUSCLE_EFFICIENCY_POSITIVE = 0.25   # Margaria 1968: concentric (positive) work efficiency
MUSCLE_EFFICIENCY_NEGATIVE = 1.20   # Margaria 1968: eccentric (negative) work, "-120 %"


class StepMetrics(NamedTuple):
    """Per-step metrics (MODEL.md §8), SI with the unit in the name; see the module docstring.

    Every leaf has the shape of the record's leaves (``batch + (n_steps,)`` for a run).
    """

    status: jax.Array
    speed_m_per_s: jax.Array
    step_length_m: jax.Array
    step_time_s: jax.Array
    step_frequency_hz: jax.Array
    cadence_steps_per_min: jax.Array
    contact_time_s: jax.Array
    flight_time_s: jax.Array
    duty_factor: jax.Array
    contact_fraction: jax.Array
    apex_height_m: jax.Array
    apex_speed_m_per_s: jax.Array
    peak_vertical_force_n: jax.Array
    peak_vertical_force_bw: jax.Array
    mean_vertical_force_n: jax.Array
    mean_vertical_force_bw: jax.Array
    peak_leg_force_n: jax.Array
    vertical_impulse_n_s: jax.Array
    braking_impulse_n_s: jax.Array
    propulsive_impulse_n_s: jax.Array
    net_horizontal_impulse_n_s: jax.Array
    com_max_height_m: jax.Array
    com_min_height_m: jax.Array
    com_vertical_oscillation_m: jax.Array
    vertical_ratio: jax.Array
    com_drop_in_stance_m: jax.Array
    leg_compression_m: jax.Array
    landing_angle_deg: jax.Array
    liftoff_angle_deg: jax.Array
    leg_sweep_angle_deg: jax.Array
    leg_stiffness_n_per_m: jax.Array
    vertical_stiffness_n_per_m: jax.Array
    leg_stiffness_direct_n_per_m: jax.Array
    morin_peak_force_n: jax.Array
    morin_peak_force_bw: jax.Array
    morin_com_drop_m: jax.Array
    morin_leg_compression_m: jax.Array
    morin_leg_stiffness_n_per_m: jax.Array
    morin_vertical_stiffness_n_per_m: jax.Array
    leg_energy_return_ratio: jax.Array
    surface_energy_return_ratio: jax.Array
    positive_work_j: jax.Array
    muscle_positive_work_j: jax.Array
    muscle_negative_work_j: jax.Array
    mechanical_cost_of_transport: jax.Array
    mechanical_work_j_per_kg_per_m: jax.Array
    metabolic_energy_j: jax.Array
    metabolic_cost_j_per_kg_per_m: jax.Array
    energy_residual_j: jax.Array


def _align(params: Params, like) -> Params:
    """Give each parameter leaf trailing axes so it broadcasts against record leaves ``like``
    (params of shape ``batch`` against a run's ``batch + (n_steps,)``)."""
    nd = jnp.ndim(like)

    def expand(v):
        v = jnp.asarray(v)
        return v.reshape(v.shape + (1,) * max(nd - v.ndim, 0))
    return jax.tree_util.tree_map(expand, params)


def start_state(p: Params, rec: StepRecord) -> State:
    """The flight state the step started from: the touchdown state run back by t_td (exact)."""
    return ballistic(p, rec.touchdown, -rec.touchdown_time_s)


def _arc_max_height(p: Params, s: State, duration_s):
    """Highest COM height of a closed-form flight arc from ``s`` lasting ``duration_s``."""
    _, gy = gravity_m_per_s2(p)
    t_top = s.vy_m_per_s / (-gy)
    top = s.y_m + 0.5 * s.vy_m_per_s * t_top
    end = s.y_m + s.vy_m_per_s * duration_s + 0.5 * gy * duration_s**2
    inside = (t_top > 0.0) & (t_top < duration_s)
    return jnp.where(inside, top, jnp.maximum(s.y_m, end))


def morin_estimate(mass_kg, leg_length_m, speed_m_per_s, contact_time_s, flight_time_s,
                   gravity_m_per_s2=9.81):
    """Morin et al. (2005) sine-wave model of the vertical force (MODEL.md §8).

    Returns (F_max (N), Δy_c (m), ΔL (m), k_vert (N/m), k_leg (N/m)) from the contact and flight
    times, the running speed, the leg length and the mass: the stiffness a running pod reports.
    """
    m, g, tc, tf = mass_kg, gravity_m_per_s2, contact_time_s, flight_time_s
    f_max = m * g * (jnp.pi / 2) * (tf / tc + 1.0)
    dy = f_max * tc**2 / (m * jnp.pi**2) - g * tc**2 / 8.0
    half_sweep = speed_m_per_s * tc / 2.0
    dl = leg_length_m - jnp.sqrt(leg_length_m**2 - half_sweep**2) + dy
    return f_max, dy, dl, f_max / dy, f_max / dl


def step_metrics(params: Params, rec: StepRecord, *,
                 efficiency_positive=MUSCLE_EFFICIENCY_POSITIVE,
                 efficiency_negative=MUSCLE_EFFICIENCY_NEGATIVE) -> StepMetrics:
    """All MODEL.md §8 metrics of each step (definitions in the module docstring).

    Args:
        params: the run's parameters (SI); leaves scalars or of the batch shape.
        rec: step records (one step, or a run with leaves ``batch + (n_steps,)``).
        efficiency_positive, efficiency_negative: muscle efficiencies for the metabolic
            estimate (defaults Margaria 1968: 0.25 and 1.20).

    Returns:
        ``StepMetrics`` with leaves of the records' shape; failed (masked) steps give NaN.
    """
    p = _align(params, rec.contact_time_s)
    m, g, L0 = p.mass_kg, p.gravity_m_per_s2, p.leg_length_m
    weight_n = m * g
    s0 = start_state(p, rec)
    td, lo, end = rec.touchdown, rec.liftoff, rec.end
    led = rec.ledger

    t_c = rec.contact_time_s
    t_step = rec.touchdown_time_s + t_c + rec.flight_time_s
    t_f = t_step - t_c
    length = end.x_m - s0.x_m
    speed = length / t_step

    y_max = jnp.maximum(jnp.maximum(_arc_max_height(p, s0, rec.touchdown_time_s), td.y_m),
                        jnp.maximum(lo.y_m, end.y_m))
    y_min = rec.min_com_height_m
    oscillation = y_max - y_min
    drop = td.y_m - y_min

    landing = jnp.degrees(jnp.arctan2(td.y_m, rec.foot_x_m - td.x_m))
    liftoff = jnp.degrees(jnp.arctan2(lo.y_m + rec.footprint_depth_m, lo.x_m - rec.foot_x_m))

    f_peak = rec.peak_vertical_force_n
    sin_half = jnp.clip(speed * t_c / (2.0 * L0), -1.0, 1.0)
    dl_lab = drop + L0 * (1.0 - jnp.sqrt(1.0 - sin_half**2))
    mf, mdy, mdl, mkv, mkl = morin_estimate(m, L0, speed, t_c, t_f, g)

    leg_peak = led.leg_elastic_peak_j
    surf_peak = led.surface_elastic_peak_j
    leg_return = led.leg_elastic_returned_j / jnp.where(leg_peak > 0, leg_peak, 1.0)
    leg_return = jnp.where(leg_peak > 0, leg_return, 1.0)
    surf_return = jnp.where(surf_peak > 0,
                            led.surface_elastic_returned_j / jnp.where(surf_peak > 0, surf_peak,
                                                                       1.0), 1.0)

    muscle_pos = led.push_positive_j + led.hip_swing_positive_j
    muscle_neg = -led.push_negative_j + led.leg_damping_loss_j - led.hip_swing_negative_j
    positive = led.leg_elastic_returned_j + led.surface_elastic_returned_j + muscle_pos
    metabolic = muscle_pos / efficiency_positive + muscle_neg / efficiency_negative

    return StepMetrics(
        status=rec.status,
        speed_m_per_s=speed,
        step_length_m=length,
        step_time_s=t_step,
        step_frequency_hz=1.0 / t_step,
        cadence_steps_per_min=60.0 / t_step,
        contact_time_s=t_c,
        flight_time_s=t_f,
        duty_factor=t_c / (2.0 * t_step),
        contact_fraction=t_c / t_step,
        apex_height_m=end.y_m,
        apex_speed_m_per_s=end.vx_m_per_s,
        peak_vertical_force_n=f_peak,
        peak_vertical_force_bw=f_peak / weight_n,
        mean_vertical_force_n=rec.vertical_impulse_n_s / t_c,
        mean_vertical_force_bw=rec.vertical_impulse_n_s / (t_c * weight_n),
        peak_leg_force_n=rec.peak_leg_force_n,
        vertical_impulse_n_s=rec.vertical_impulse_n_s,
        braking_impulse_n_s=rec.braking_impulse_n_s,
        propulsive_impulse_n_s=rec.propulsive_impulse_n_s,
        net_horizontal_impulse_n_s=rec.horizontal_impulse_n_s,
        com_max_height_m=y_max,
        com_min_height_m=y_min,
        com_vertical_oscillation_m=oscillation,
        vertical_ratio=oscillation / length,
        com_drop_in_stance_m=drop,
        leg_compression_m=rec.max_leg_compression_m,
        landing_angle_deg=landing,
        liftoff_angle_deg=liftoff,
        leg_sweep_angle_deg=180.0 - landing - liftoff,
        leg_stiffness_n_per_m=f_peak / dl_lab,
        vertical_stiffness_n_per_m=f_peak / drop,
        leg_stiffness_direct_n_per_m=rec.peak_leg_force_n / rec.max_leg_compression_m,
        morin_peak_force_n=mf,
        morin_peak_force_bw=mf / weight_n,
        morin_com_drop_m=mdy,
        morin_leg_compression_m=mdl,
        morin_leg_stiffness_n_per_m=mkl,
        morin_vertical_stiffness_n_per_m=mkv,
        leg_energy_return_ratio=leg_return,
        surface_energy_return_ratio=surf_return,
        positive_work_j=positive,
        muscle_positive_work_j=muscle_pos,
        muscle_negative_work_j=muscle_neg,
        mechanical_cost_of_transport=positive / (weight_n * length),
        mechanical_work_j_per_kg_per_m=positive / (m * length),
        metabolic_energy_j=metabolic,
        metabolic_cost_j_per_kg_per_m=metabolic / (m * length),
        energy_residual_j=led.residual_j,
    )


class SteadyState(NamedTuple):
    """The end of a run: metrics averaged over its last steps and the convergence verdict.

    Attributes:
        metrics: ``StepMetrics`` averaged over the last ``last_steps`` steps (``status``: the
            run's final status). NaN when any of those steps failed.
        converged: no failure, and the apex height and apex speed changed by less than ``tol``
            (relative, step to step) over at least the last ``last_steps`` steps.
        steps_to_converge: steps after which every later step changed by less than ``tol``
            (0: from the start; ``n_steps``: not yet).
        fell: the run ended in a failure (any status other than OK).
        status: the run's final status code (``simsrc.status``).
        failed_step: index of the first failed step, -1 if none.
        diverging: it fell, or it did not converge and the step-to-step change over the last
            third of the run is larger than over the first third (a growing oscillation).
        final_relative_change: the relative change of the last step.
    """

    metrics: StepMetrics
    converged: jax.Array
    steps_to_converge: jax.Array
    fell: jax.Array
    status: jax.Array
    failed_step: jax.Array
    diverging: jax.Array
    final_relative_change: jax.Array


def relative_changes(params: Params, rec: StepRecord):
    """Step-to-step relative change of the apex state, max(|Δy|/y, |Δv_x|/v_x), per step (the
    first step compares its end apex with its start state). NaN for failed steps."""
    p = _align(params, rec.contact_time_s)
    s0 = start_state(p, rec)
    y = jnp.concatenate([s0.y_m[..., :1], rec.end.y_m], axis=-1)
    v = jnp.concatenate([s0.vx_m_per_s[..., :1], rec.end.vx_m_per_s], axis=-1)
    dy = jnp.abs(jnp.diff(y, axis=-1)) / jnp.abs(y[..., :-1])
    dv = jnp.abs(jnp.diff(v, axis=-1)) / jnp.abs(v[..., :-1])
    return jnp.maximum(dy, dv)


def steady_state(params: Params, rec: StepRecord, *, last_steps: int = 5,
                 tol: float = 1e-4) -> SteadyState:
    """Average the last ``last_steps`` steps of a run and check it converged.

    Args:
        params: the run's parameters; leaves scalars or of the batch shape.
        rec: the run's records, leaves ``batch + (n_steps,)`` (``simulate(...).records``).
        last_steps: number of final steps averaged (static), at most n_steps.
        tol: relative step-to-step change of apex height and apex speed taken as converged.

    Returns:
        ``SteadyState`` with leaves of the batch shape.
    """
    n = rec.status.shape[-1]
    last_steps = min(last_steps, n)
    met = step_metrics(params, rec)
    tail = {f: jnp.mean(getattr(met, f)[..., n - last_steps:], axis=-1)
            for f in StepMetrics._fields if f != "status"}
    final_status = rec.status[..., -1]
    averaged = StepMetrics(status=final_status, **tail)

    change = relative_changes(params, rec)
    bad = ~(change < tol)
    idx = jnp.arange(n)
    steps_to_converge = jnp.max(jnp.where(bad, idx + 1, 0), axis=-1)
    failed = rec.status != 0
    fell = jnp.any(failed, axis=-1)
    failed_step = jnp.where(fell, jnp.argmax(failed, axis=-1), -1)
    converged = ~fell & (steps_to_converge <= n - last_steps)
    third = max(n // 3, 1)
    growing = jnp.mean(change[..., n - third:], axis=-1) > jnp.mean(change[..., :third], axis=-1)
    diverging = fell | (~converged & growing)
    return SteadyState(averaged, converged, steps_to_converge, fell, final_status, failed_step,
                       diverging, change[..., -1])


def _as_python(x):
    x = jax.device_get(x)
    if getattr(x, "dtype", None) is not None and x.dtype.kind == "b":
        return bool(x)
    if getattr(x, "dtype", None) is not None and x.dtype.kind in "iu":
        return int(x)
    return float(x)


def summary_table(params: Params, records, *, last_steps: int = 5, tol: float = 1e-4,
                  per_step: bool = True):
    """Plain Python numbers for the CLI: the steady state, the verdict and (optionally) each step.

    Args:
        params: the run's parameters.
        records: a run's ``StepRecord`` (or the ``Run`` returned by ``simulate``).
        last_steps, tol: as in ``steady_state``.
        per_step: also list every step's metrics.

    Returns:
        For an unbatched run a dict: ``status`` (int), ``status_name``, ``converged``,
        ``steps_to_converge``, ``fell``, ``failed_step``, ``diverging``,
        ``final_relative_change``, ``steady`` ({metric name: float}) and, if ``per_step``,
        ``steps`` (a list of such dicts, one per step). For a batched run, a list of these
        dicts in row-major batch order.
    """
    from simsrc.engine import status as st

    rec = getattr(records, "records", records)
    ss = steady_state(params, rec, last_steps=last_steps, tol=tol)
    met = step_metrics(params, rec) if per_step else None
    batch_shape = rec.status.shape[:-1]
    rows = []
    for i in range(int(jnp.prod(jnp.array(batch_shape))) if batch_shape else 1):
        ix = jnp.unravel_index(i, batch_shape) if batch_shape else ()
        pick = (lambda v: v[ix]) if batch_shape else (lambda v: v)
        code = _as_python(pick(ss.status))
        row = {
            "status": code, "status_name": st.name(code),
            "converged": _as_python(pick(ss.converged)),
            "steps_to_converge": _as_python(pick(ss.steps_to_converge)),
            "fell": _as_python(pick(ss.fell)),
            "failed_step": _as_python(pick(ss.failed_step)),
            "diverging": _as_python(pick(ss.diverging)),
            "final_relative_change": _as_python(pick(ss.final_relative_change)),
            "steady": {f: _as_python(pick(getattr(ss.metrics, f)))
                       for f in StepMetrics._fields},
        }
        if per_step:
            m = jax.tree_util.tree_map(lambda v: jax.device_get(pick(v)), met)
            row["steps"] = [{f: _as_python(getattr(m, f)[j]) for f in StepMetrics._fields}
                            for j in range(rec.status.shape[-1])]
        rows.append(row)
    return rows if batch_shape else rows[0]
