"""One step (apex to apex) and a run of N steps, as pure functions of (params, state).

``step(p, s, options)`` returns the next flight state and a ``StepRecord``; ``run`` scans it
over ``n_steps`` with failures as status codes and later steps masked (NaN). The public entry
point with checks and batching is ``simsrc.simulate``.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from simsrc.engine import status as st
from simsrc.engine.flight import ballistic, to_apex, touchdown
from simsrc.engine.frame import gravity_m_per_s2, landing_angle_rad
from simsrc.engine.interp import local_crossing, local_maxima
from simsrc.engine.leg import leg_elastic_energy_j
from simsrc.engine.ledger import Ledger, make_ledger
from simsrc.engine.liftoff import stance_path
from simsrc.engine.params import Params, State
from simsrc.engine.stance import SY, Features, initial_sink_rate, initial_state, make_model
from simsrc.engine.surface import (footprint_m, spring_energy_j, stored_energies_at_sink,
                                   stored_energy)
from simsrc.engine import swing as sw


#: XLA compiler options of each ``Options.compile_profile`` (``jax.jit(compiler_options=...)``).
#: "quick" trades run time for compile time where one answer is wanted soon (the explorer's
#: start): measured on 2 cores, the explorer's two programs compile in 11 s instead of 20 s and
#: answer a gait in 120 ms instead of 70 ms (benchmarks/README.md, "Quick compile").
COMPILE_PROFILES: dict[str, dict] = {
    "optimized": {},
    "quick": {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False},
}


@dataclasses.dataclass(frozen=True)
class Options:
    """Numerical options (static: changing one recompiles).

    Attributes:
        surface_model: ``"rigid"``, ``"algebraic"`` (compliant, no damper in series) or
            ``"damped"`` (a damper in series with a compliant surface); ``simulate`` picks the
            cheapest one that covers the parameters when they are concrete.
        method: explicit integrator of the rigid and algebraic surface models, ``"dop853"``
            (8th order, default) or ``"rk4"``; the damped model always uses ARK3 (3rd order).
        stance_steps: steps of the final stance pass (also the stance samples of the
            trajectory); at least 6.
        search_steps: RK4 steps of the coarse pass that finds liftoff and failures.
        horizon_factor: stance time budget in periods of the series spring, 2π√(m(1/k + C)).
        newton_iters: Newton iterations for the surface contact point.
        event_iters: Newton iterations for the liftoff time before the final, differentiated
            one. The final update's gradient is the implicit-function derivative only once the
            iterations have converged: with 1 the gradients were off by ~1e-6, with 3 by ~1e-8.
        max_flight_time_s: budget for the flight before touchdown (status STEP_TIME beyond).
        flight_samples: samples per flight phase in the dense trajectory (0: no trajectory).
        push, leg_damping: compute the push force / leg damping terms (``simulate`` switches
            them off when they are zero for the whole batch, which makes the SLIP faster).
        plastic: the surface may have restitution < 1: the algebraic model's stance is then
            split at the loading/unloading switch (off for purely elastic surfaces).
        landing: how the landing angle is set (MODEL.md §5, ``simsrc.engine.swing``): ``"fixed"``
            (the angle of attack), ``"retraction"`` (rotating rearward from the flight apex),
            ``"pendulum"`` (a swinging leg; the state then carries a ``Swing``) or
            ``"raibert"`` (Raibert's foot placement; the state carries a ``Placement``) or
            ``"deadbeat"`` (the angle that brings the next apex to a target height; the state
            carries a ``Deadbeat``; with a ``HeldDeadbeat`` the angle and the energy control
            that bring it to a target height and speed).
        swing_steps: DOP853 steps per swing-leg integration (pendulum mode).
        touchdown_search_steps: samples of the coarse touchdown search (retraction, pendulum).
        compile_profile: how XLA compiles the program (``COMPILE_PROFILES``): ``"optimized"``
            (XLA's defaults) or ``"quick"`` (its backend optimisation level 0 and its elemental
            emitters: the explorer's programs compile in about half the time and run about 1.7x
            slower; benchmarks/README.md, "Quick compile"). It applies to stored programs
            (``simsrc.engine.stored``, on by default); the numbers agree to rounding.
    """

    surface_model: str = "rigid"
    method: str = "dop853"
    stance_steps: int = 10
    search_steps: int = 12
    horizon_factor: float = 1.0
    newton_iters: int = 3
    event_iters: int = 3
    max_flight_time_s: float = 10.0
    flight_samples: int = 0
    push: bool = True
    leg_damping: bool = True
    plastic: bool = True
    landing: str = "fixed"
    swing_steps: int = 8
    touchdown_search_steps: int = 16
    compile_profile: str = "optimized"

    def __post_init__(self):
        if self.landing not in sw.LANDING_MODES:
            raise ValueError(f"Options.landing must be one of {sw.LANDING_MODES}, "
                             f"got {self.landing!r}")
        if self.compile_profile not in COMPILE_PROFILES:
            raise ValueError(f"Options.compile_profile must be one of {tuple(COMPILE_PROFILES)}, "
                             f"got {self.compile_profile!r}")

    @property
    def features(self) -> Features:
        return Features(push=self.push, leg_damping=self.leg_damping)


class StepRecord(NamedTuple):
    """What one step reports (SI). States are ``State`` tuples; energies in ``ledger``."""

    status: jax.Array
    touchdown_time_s: jax.Array
    contact_time_s: jax.Array
    flight_time_s: jax.Array
    touchdown: State
    liftoff: State
    end: State
    foot_x_m: jax.Array
    peak_leg_force_n: jax.Array
    peak_vertical_force_n: jax.Array
    min_com_height_m: jax.Array
    max_leg_compression_m: jax.Array
    vertical_impulse_n_s: jax.Array
    horizontal_impulse_n_s: jax.Array
    braking_impulse_n_s: jax.Array
    propulsive_impulse_n_s: jax.Array
    mid_stance_time_s: jax.Array
    surface_peak_sink_m: jax.Array
    footprint_depth_m: jax.Array
    ledger: Ledger
    landing_angle_rad: jax.Array      # landing leg from the surface normal, forward positive
    swing: sw.Swing | None            # the swinging legs at the end of the step (pendulum mode)


class Trajectory(NamedTuple):
    """Dense samples of one step: flight, stance, flight (times from the step start)."""

    t_s: jax.Array
    x_m: jax.Array
    y_m: jax.Array
    vx_m_per_s: jax.Array
    vy_m_per_s: jax.Array
    sink_m: jax.Array
    leg_force_n: jax.Array
    vertical_force_n: jax.Array
    horizontal_force_n: jax.Array
    phase: jax.Array   # 0 flight before touchdown, 1 stance, 2 flight after liftoff
    swing_angle_rad: jax.Array  # the swinging leg from the surface normal (NaN: not modelled)


def _or_zero(v, like):
    return jnp.zeros_like(like) if v is None else v


def _state(y: SY) -> State:
    return State(y.x, y.y, y.vx, y.vy)


def step(p: Params, s: State, options: Options, swing: sw.Swing | None = None):
    """One step from a flight state: returns (next flight state, StepRecord, Trajectory|None).

    Flight to touchdown (``_land``), stance to liftoff (``_stance``), flight to the apex; then
    what the step reports: impulses, peaks, the surface's totals (``SURFACES``), the ledger and
    the status. In the pendulum landing mode ``swing`` is the state of the two swinging legs at
    the start; the record's ``swing`` is their state at the end.
    """
    if options.landing == "pendulum" and swing is None:
        raise ValueError("the pendulum landing mode needs the swing state (simsrc.engine.swing.Swing)")
    placed, aim = None, None
    if options.landing == "pendulum" and isinstance(swing, sw.AimedSwing):
        # the hip aims the swinging legs at Raibert's landing angle for this step
        swing, aim = swing
        alpha, _ = sw.raibert_angle(p, s, aim)
        p = p._replace(hip_neutral_rad=0.5 * jnp.pi - alpha)
    if options.landing == "raibert":
        if swing is None:
            raise ValueError("the raibert landing mode needs the placement state "
                             "(simsrc.engine.swing.Placement)")
        # the law's angle for this whole step: it lands like the fixed mode
        alpha, placed = sw.raibert_angle(p, s, swing)
        p = p._replace(angle_of_attack_rad=alpha)
    if options.landing == "deadbeat":
        if swing is None:
            raise ValueError("the deadbeat landing mode needs its state "
                             "(simsrc.engine.swing.Deadbeat)")
        fixed = dataclasses.replace(options, landing="fixed", flight_samples=0)
        if isinstance(swing, sw.HeldDeadbeat):
            # with a speed target: the angle and the energy control (push or braking)
            def next_apex(q, s0, a, u):
                q = sw.with_energy_control(q._replace(angle_of_attack_rad=a), u)
                end, rec, _ = step(q, s0, fixed)
                return end.y_m, end.vx_m_per_s, rec.status == st.OK

            alpha, u, placed = sw.held_deadbeat(p, s, swing, next_apex)
            p = sw.with_energy_control(p._replace(angle_of_attack_rad=alpha), u)
        else:
            def next_apex_y(q, s0, a):
                return step(q._replace(angle_of_attack_rad=a), s0, fixed)[0].y_m

            alpha, placed = sw.deadbeat_angle(p, s, swing.apex_height_m, swing.angle_rad,
                                              next_apex_y)
        p = p._replace(angle_of_attack_rad=alpha)
    land = _land(p, s, options, swing)
    if placed is not None:
        land = land._replace(reachable=land.reachable & placed)
    surface = SURFACES[options.surface_model]
    path = _stance(p, land, options, surface)
    y_lo = jax.tree_util.tree_map(lambda a: a[-1], path.y)
    s_lo = _state(y_lo)
    t_ap, s_end = to_apex(p, s_lo)
    imp = _impulses(p, land.state, s_lo, land.foot_x_m, path)
    peaks = _peaks(p, path)
    totals = surface.totals(p, path, y_lo, peaks.vertical_force_n, options)

    swing_end, swing_terms = None, None
    if options.landing == "raibert":
        swing_end = swing._replace(contact_time_s=path.contact_time_s)
    if options.landing == "deadbeat":
        swing_end = swing._replace(angle_rad=p.angle_of_attack_rad)
        if isinstance(swing, sw.HeldDeadbeat):
            swing_end = swing_end._replace(control=u)
    if options.landing == "pendulum":
        swing_end, swing_terms = _swing_through(p, swing, land.lead, s_lo, land.foot_x_m, path,
                                                land.time_s + path.contact_time_s + t_ap, t_ap,
                                                options.swing_steps)
        if aim is not None:
            swing_end = sw.AimedSwing(swing_end, aim._replace(contact_time_s=path.contact_time_s))
    ledger = _ledger(p, s, s_end, path, y_lo, peaks, totals, swing_terms)
    code = _status(land, path, s_end, imp.crossed, options,
                   (s_end, ledger, path.contact_time_s, totals.peak_normal_force_n))

    record = StepRecord(
        status=code, touchdown_time_s=land.time_s, contact_time_s=path.contact_time_s,
        flight_time_s=t_ap, touchdown=land.state, liftoff=s_lo, end=s_end,
        foot_x_m=land.foot_x_m, peak_leg_force_n=peaks.leg_force_n,
        peak_vertical_force_n=totals.peak_normal_force_n, min_com_height_m=peaks.min_com_height_m,
        max_leg_compression_m=peaks.leg_compression_m, vertical_impulse_n_s=imp.vertical_n_s,
        horizontal_impulse_n_s=imp.horizontal_n_s, braking_impulse_n_s=imp.braking_n_s,
        propulsive_impulse_n_s=imp.horizontal_n_s - imp.braking_n_s,
        mid_stance_time_s=imp.mid_stance_time_s, surface_peak_sink_m=totals.peak_sink_m,
        footprint_depth_m=footprint_m(totals.peak_sink_m, p.surface_restitution), ledger=ledger,
        landing_angle_rad=land.angle_rad, swing=swing_end)

    traj = None
    if options.flight_samples > 0:
        traj = _trajectory(p, s, s_lo, land.time_s, t_ap, path, options.flight_samples,
                           swing if options.landing == "pendulum" else None)
    return s_end, record, traj


def _land(p, s: State, options: Options, swing) -> sw.Landing:
    """Flight to touchdown: closed form with a fixed landing angle, else the moving leg's
    event (``swing.touchdown_moving``)."""
    if options.landing in ("fixed", "raibert", "deadbeat"):
        t_td, s_td, x_f, reachable = touchdown(p, s)
        return sw.Landing(t_td, s_td, x_f, landing_angle_rad(p) + jnp.zeros_like(t_td),
                          reachable, None)
    lead = None if options.landing == "retraction" else (swing.lead_angle_rad,
                                                         swing.lead_rate_rad_per_s)
    return sw.touchdown_moving(p, s, options.landing, lead,
                               search_steps=options.touchdown_search_steps,
                               swing_steps=options.swing_steps, event_iters=options.event_iters)


#: Graded first steps of the damped model's stance (``liftoff.stance_path``): its contact point
#: meets the surface's slow manifold within a fraction of a millisecond of touchdown. Four
#: steps of 1/16 to 1/2 of the others took the built-in runner's ledger residual from 0.60 J
#: to 2.5e-4 J at 40 steps (the leg-damping loss from 0.60 J to 5e-3 J off the reference);
#: eight did no better (docs/numerics.md).
DAMPED_GRADE = 4


def _stance(p, land: sw.Landing, options: Options, surface: Surface):
    """Stance from touchdown to the root-found liftoff on the chosen contact model
    (``liftoff.stance_path``), with a time budget of ``horizon_factor`` periods of the series
    spring, 2π √(m (1/k + C))."""
    feats, x_f = options.features, land.foot_x_m
    evaluate, stepper, aux0 = make_model(p, x_f, options.surface_model, feats,
                                         options.newton_iters, options.method)
    _, search_stepper, _ = make_model(p, x_f, options.surface_model, feats,
                                      options.newton_iters, "rk4")
    y0 = initial_state(land.state, options.surface_model, feats)
    aux0 = surface.start(p, y0, aux0, x_f, feats)
    horizon = options.horizon_factor * 2 * jnp.pi * jnp.sqrt(
        p.mass_kg * (1.0 / p.leg_stiffness_n_per_m + p.surface_compliance_m_per_n))
    return stance_path(evaluate, search_stepper, stepper, y0, aux0, horizon,
                       options.search_steps, options.stance_steps, options.event_iters,
                       split=surface.splits_at_peak and options.plastic,
                       grade=DAMPED_GRADE if options.surface_model == "damped" else 0)


class _Impulses(NamedTuple):
    vertical_n_s: jax.Array
    horizontal_n_s: jax.Array
    braking_n_s: jax.Array
    mid_stance_time_s: jax.Array
    crossed: jax.Array           # the COM passed over the foot during the stance


def _impulses(p, s_td: State, s_lo: State, x_f, path) -> _Impulses:
    """Ground impulses from the momentum change, J = m Δv − m g t (N·s); the braking impulse
    up to mid-stance, where the COM passes over the foot (x = x_f)."""
    m = p.mass_kg
    t_c = path.contact_time_s
    gx, gy = gravity_m_per_s2(p)
    imp_y = m * (s_lo.vy_m_per_s - s_td.vy_m_per_s) - m * gy * t_c
    imp_x = m * (s_lo.vx_m_per_s - s_td.vx_m_per_s) - m * gx * t_c
    rel_x = path.y.x - x_f
    passed = rel_x >= 0.0
    j = jnp.clip(jnp.argmax(passed), 1, rel_x.shape[0] - 1)
    t_mid, vx_mid = local_crossing(path.t_s, rel_x, path.y.vx[:, None], j)
    vx_mid = vx_mid[0]
    starts_behind = rel_x[0] >= 0.0
    braking = jnp.where(starts_behind, 0.0, m * (vx_mid - s_td.vx_m_per_s) - m * gx * t_mid)
    t_mid = jnp.where(starts_behind, 0.0, t_mid)
    return _Impulses(imp_y, imp_x, braking, t_mid, jnp.any(passed))


class _Peaks(NamedTuple):
    leg_compression_m: jax.Array
    leg_force_n: jax.Array
    vertical_force_n: jax.Array
    min_com_height_m: jax.Array


def _peaks(p, path) -> _Peaks:
    """Peaks of the stance, refined between samples (``interp.local_maxima``)."""
    compression = p.leg_length_m - path.ev.leg_length_m
    max_comp, peak_leg, peak_vert, neg_min_y = local_maxima(path.t_s, jnp.stack(
        [compression, path.ev.leg_force_n, path.ev.normal_force_n, -path.y.y], axis=1))
    return _Peaks(max_comp, peak_leg, peak_vert, -neg_min_y)


# --------------------------------------------------------------------- the surface's totals

class SurfaceTotals(NamedTuple):
    """What the surface did in one stance (``surface.py`` laws)."""

    peak_sink_m: jax.Array
    peak_energy_j: jax.Array         # stored at the deepest sink
    unreturned_j: jax.Array          # still stored at liftoff
    peak_normal_force_n: jax.Array


def _keep_aux(p, y0, aux0, x_f, feats):
    return aux0


def _damped_start(p, y0, aux0, x_f, feats):
    """The damped contact starts with the sink rate at touchdown (``stance.initial_sink_rate``)."""
    return aux0[0], initial_sink_rate(p, y0, x_f, feats)


def _rigid_totals(p, path, y_lo, peak_normal_n, options) -> SurfaceTotals:
    zero = jnp.zeros_like(path.contact_time_s)
    return SurfaceTotals(zero, zero, zero, peak_normal_n)


def _algebraic_totals(p, path, y_lo, peak_normal_n, options) -> SurfaceTotals:
    """The normal force peaks where the surface stops sinking: a sample when the stance is
    split there (plastic surfaces), else between samples (the polynomial estimate)."""
    c = p.surface_compliance_m_per_n
    last = path.ev.normal_force_n[-1]
    peak_force = jnp.maximum(path.aux_end, last)
    if not options.plastic:
        peak_force = jnp.maximum(peak_force, peak_normal_n)
    peak_normal_n = jnp.maximum(peak_force, jnp.max(path.ev.normal_force_n))
    return SurfaceTotals(c * peak_force, spring_energy_j(peak_force, c),
                         stored_energy(last, c, peak_force, p.surface_restitution), peak_normal_n)


def _damped_totals(p, path, y_lo, peak_normal_n, options) -> SurfaceTotals:
    """From the deepest sink (the model's aux) and the sink at liftoff."""
    zmax = path.aux_end[0]
    peak_j, held_j = stored_energies_at_sink(y_lo.z, zmax, p.surface_compliance_m_per_n,
                                             p.surface_restitution)
    return SurfaceTotals(zmax, peak_j, held_j, peak_normal_n)


class Surface(NamedTuple):
    """A contact model's part of a step: its start at touchdown (the model's aux), whether the
    stance is split at the peak force, and its totals at liftoff."""

    start: Callable
    splits_at_peak: bool
    totals: Callable


SURFACES = {
    "rigid": Surface(_keep_aux, False, _rigid_totals),
    "algebraic": Surface(_keep_aux, True, _algebraic_totals),
    "damped": Surface(_damped_start, False, _damped_totals),
}


# --------------------------------------------------------------------- ledger and status

def _ledger(p, start: State, end: State, path, y_lo: SY, peaks: _Peaks, totals: SurfaceTotals,
            swing_terms) -> Ledger:
    """The step's energy ledger from the stance integrals and the peaks."""
    t_c = path.contact_time_s
    return make_ledger(
        p, start, end,
        leg_peak_j=leg_elastic_energy_j(p, jnp.maximum(peaks.leg_compression_m, 0.0)),
        leg_unreturned_j=leg_elastic_energy_j(p, p.leg_length_m - path.ev.leg_length_m[-1]),
        leg_damping_j=_or_zero(y_lo.w_leg_damping, t_c),
        push_pos_j=_or_zero(y_lo.w_push_positive, t_c),
        push_neg_j=_or_zero(y_lo.w_push_negative, t_c), surface_peak_j=totals.peak_energy_j,
        surface_unreturned_j=totals.unreturned_j,
        surface_damping_j=_or_zero(y_lo.w_surface_damping, t_c), swing=swing_terms)


def _status(land: sw.Landing, path, s_end: State, crossed, options: Options, results):
    """The step's status code (``status.py``); the later checks win. ``results``: leaves that
    must be finite for the step to be OK."""
    code = jnp.int32(st.OK)
    code = jnp.where(s_end.vx_m_per_s <= 0.0, st.BACKWARDS, code)
    code = jnp.where(~crossed, st.BACKWARDS, code)
    code = jnp.where(~path.found, st.NO_LIFTOFF, code)
    code = jnp.where(path.fell, st.FALL, code)
    code = jnp.where(land.time_s > options.max_flight_time_s, st.STEP_TIME, code)
    code = jnp.where(~land.reachable, st.FALL, code)
    # one array, one reduction: a Python list of per-leaf checks became, under vmap, a chain of
    # elementwise ands that XLA's quick profile fused into each of the record's masked fields
    # (``run``'s ``_mask``): 45 copies of the 33 checks, about half of the program
    # (benchmarks/README.md, "Program size")
    finite = jnp.all(jnp.isfinite(jnp.concatenate(
        [jnp.ravel(leaf) for leaf in jax.tree_util.tree_leaves(results)])))
    return jnp.where((code == st.OK) & ~finite, st.NON_FINITE, code)


def _swing_through(p, swing, lead_td, s_lo, x_f, path, t_step, t_ap, n):
    """Pendulum mode: swing the trailing leg through the whole step and the lifting leg from
    liftoff to the apex; return the next ``Swing`` and the ledger's swing terms."""
    trail = sw.integrate(p, swing.trail_angle_rad, swing.trail_rate_rad_per_s, t_step, n)
    phi_lo, om_lo = sw.liftoff_leg(p, s_lo, x_f, path.ev.sink_m[-1])
    lifted = sw.integrate(p, phi_lo, om_lo, t_ap, n)
    energy = sw.swing_energy_j
    e_start = energy(p, swing.lead_angle_rad, swing.lead_rate_rad_per_s) + \
        energy(p, swing.trail_angle_rad, swing.trail_rate_rad_per_s)
    e_end = energy(p, trail.phi, trail.omega) + energy(p, lifted.phi, lifted.omega)
    landing = energy(p, lead_td.phi, lead_td.omega)
    liftoff = energy(p, phi_lo, om_lo)
    w_pos = lead_td.w_pos + trail.w_pos + lifted.w_pos
    w_neg = lead_td.w_neg + trail.w_neg + lifted.w_neg
    residual = (e_end - e_start) - (w_pos + w_neg - landing + liftoff)
    return (sw.Swing(trail.phi, trail.omega, lifted.phi, lifted.omega),
            (w_pos, w_neg, landing, liftoff, residual))


def _trajectory(p, s, s_lo, t_td, t_ap, path, n, swing=None):
    frac = jnp.linspace(0.0, 1.0, n, endpoint=False)
    f1 = ballistic(p, s, frac * t_td)
    frac2 = jnp.linspace(0.0, 1.0, n + 1)[1:]
    f2 = ballistic(p, s_lo, frac2 * t_ap)
    zeros = jnp.zeros_like(frac)
    t_c = path.contact_time_s
    parts = [
        (frac * t_td, path.t_s + t_td, t_td + t_c + frac2 * t_ap),
        (f1.x_m, path.y.x, f2.x_m), (f1.y_m, path.y.y, f2.y_m),
        (f1.vx_m_per_s, path.y.vx, f2.vx_m_per_s), (f1.vy_m_per_s, path.y.vy, f2.vy_m_per_s),
        (zeros, path.ev.sink_m, zeros), (zeros, path.ev.leg_force_n, zeros),
        (zeros, path.ev.normal_force_n, zeros), (zeros, path.ev.horizontal_force_n, zeros),
        (zeros, jnp.ones_like(path.t_s), zeros + 2),
    ]
    if swing is None:
        nan = jnp.full_like(frac, jnp.nan)
        parts.append((nan, jnp.full_like(path.t_s, jnp.nan), nan))
    else:
        # the leading leg until touchdown, then the trailing one (which lands next)
        lead = sw.samples(p, swing.lead_angle_rad, swing.lead_rate_rad_per_s, frac * t_td)
        t_rest = jnp.concatenate([path.t_s + t_td, t_td + t_c + frac2 * t_ap])
        trail = sw.samples(p, swing.trail_angle_rad, swing.trail_rate_rad_per_s,
                           jnp.concatenate([frac * t_td, t_rest]))[frac.shape[0]:]
        parts.append((lead - p.lean_rad, trail[:path.t_s.shape[0]] - p.lean_rad,
                      trail[path.t_s.shape[0]:] - p.lean_rad))
    return Trajectory(*[jnp.concatenate(a) for a in parts])


def _mask(tree, ok):
    def m(v):
        if jnp.issubdtype(v.dtype, jnp.integer):
            return v
        return jnp.where(ok, v, jnp.nan)
    return jax.tree_util.tree_map(m, tree)


def run(p: Params, s: State, n_steps: int, options: Options, swing: sw.Swing | None = None,
        n_active=None):
    """Scan ``step`` over n_steps; a failure sets the status of that and every later step.

    Returns (records with a leading axis of n_steps, trajectories or None, final state).
    The state carried past a failure is the last good one, so no NaN spreads into the scan.
    ``swing``: the swinging legs at the start (pendulum landing mode). ``n_active`` (traced,
    optional): only the first ``n_active`` steps move the state on, so the final state is the
    one after them; the later records are to be dropped (``simulate`` pads a single runner's
    step count to ``batch.step_bucket``'s and keeps the first ``n_steps``).
    """

    def body(carry, index):
        (state, legs), code, t0 = carry
        s_next, rec, traj = step(p, state, options, legs)
        ok_before = code == st.OK
        new_code = jnp.where(ok_before, rec.status, code)
        ok = new_code == st.OK
        legs_next = rec.swing
        rec = _mask(rec._replace(status=new_code), ok)
        advance = ok if n_active is None else ok & (index < n_active)
        state_next = jax.tree_util.tree_map(lambda a, b: jnp.where(advance, a, b),
                                            (s_next, legs_next), (state, legs))
        t_step = rec.touchdown_time_s + rec.contact_time_s + rec.flight_time_s
        if traj is not None:
            traj = _mask(traj._replace(t_s=traj.t_s + t0), ok)
        return (state_next, new_code, jnp.where(advance, t0 + t_step, t0)), (rec, traj)

    dtype = jnp.result_type(s.x_m)
    if options.landing not in ("pendulum", "raibert", "deadbeat"):
        swing = None
    # the status and clock start from the state (a select on it, the same values), so that
    # under vmap the whole carry is batched from the start: constants there made the scan's
    # batching rule batch the traced step a second time, once it found them batched in the body
    known = s.x_m == s.x_m
    init = ((s, swing), jnp.where(known, jnp.int32(st.OK), jnp.int32(st.OK)),
            jnp.where(known, jnp.zeros((), dtype), jnp.zeros((), dtype)))
    ((s_final, _), _, _), (recs, trajs) = jax.lax.scan(body, init, jnp.arange(n_steps))
    return recs, trajs, s_final
