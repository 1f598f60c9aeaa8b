"""Steady (periodic) running: one general solver, ``solve_gait`` (MODEL.md §9, §11).

A steady gait is a fixed point of the apex-to-apex map P (``apex_map``) that also meets the
user's targets. The user names

- the **free variables** u (any of ``FREE_VARIABLES``: the apex height and speed, the angle of
  attack, the push amplitude, the leg damping, the leg stiffness); every other parameter and
  apex coordinate is held at its given value (the apex at the guess);
- the **targets** t* (any of ``TARGETS``, named as the step metrics of
  ``metrics/steps.py::step_metrics``: mean speed, cadence, contact time, ...).

Equations, always with the periodicity of the apex (y, v_x):

    P_y(u) − y = 0,   P_vx(u) − v_x = 0,   m_i(u) − t_i* = 0   (i = 1..n_targets)

so the problem is square when ``len(free) == 2 + len(targets)``. Two Jacobians
(``jacobian=``):

- ``"fd"`` (default): central differences of the step map, the perturbed points evaluated in
  the same batched call as the point itself by ``simulate`` (one step). The solver then compiles
  nothing beyond the one-step ``simulate`` program, which ``simsrc run`` and the sweeps share
  through the compile cache. The differences are of the discrete map (fixed step counts, events
  root-found), which is smooth, so they agree with the exact derivative to about 1e-7
  relative; Newton's convergence and the solution's accuracy are set by the residual, not by
  the Jacobian.
- ``"exact"``: one ``jax.jacfwd`` through ``engine.step.step`` (event times by the
  implicit-function theorem) with respect to all six candidate variables at once, so that every
  choice of free variables and targets shares one compiled kernel per ``Options`` (columns and
  rows are picked on the host). Exact, but its compile costs minutes: for the default runner
  (firm ground, no push) 118 s and 2.5 GB on 2 cores, against 11 s for the one-step
  ``simulate`` program (benchmarks/README.md, "Steady gaits").
The damped Newton method is ``gait/newton.py``'s (scaled units; Levenberg-regularised normal
equations, so a rank-deficient problem, e.g. a conservative runner whose fixed points form a
curve, converges to a solution near the guess).

Several fixed points: the one the damped Newton reaches from the guess, usually the nearest
(steps are limited to 0.2 in scaled units and a step must lower the residual). With
``continuation=True`` the batch is solved in order along its first axis, each slice starting
from its neighbour's solution.

Every element comes back with a ``reason`` (``REASONS``): a point with no gait is never silent.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import batch
from simsrc.engine import status as st
from simsrc.engine.frame import landing_angle_rad
from simsrc.engine.params import PARAMETER, Params, State, as_arrays
from simsrc.engine.simulate import simulate
from simsrc.engine import swing as sw
from simsrc.engine.step import Options, step
from simsrc.errors import SimsrcInputError
from simsrc.gait.apex_map import floquet_multipliers, gait_options
from simsrc.gait.newton import damped_newton
from simsrc.metrics.steps import StepMetrics, step_metrics

#: Free variables: the apex (y, v_x), then ``Params`` fields (SI units).
FREE_VARIABLES = ("apex_height_m", "apex_speed_m_per_s", "angle_of_attack_rad", "push_force_bw",
                  "leg_damping_n_s_per_m", "leg_stiffness_n_per_m")
#: Targets: ``StepMetrics`` fields of the steady step.
TARGETS = ("speed_m_per_s", "apex_height_m", "cadence_steps_per_min", "step_frequency_hz",
           "contact_time_s", "flight_time_s", "duty_factor", "step_length_m")

# reason codes
OK, FALLS, PUSH_CAPPED, BRAKING_CAPPED, AT_BOUND, UNREACHABLE, STALLED, SLOWS, NO_FLIGHT = range(9)
#: What each ``reason`` code means (for messages and reports).
REASONS = {
    OK: "a steady gait: periodic, a real apex-to-apex step, targets met",
    FALLS: "the step fails (falls, no liftoff, runs backwards, or leaves the ground descending) "
           "at every state tried",
    PUSH_CAPPED: "the push at its upper bound cannot replace the losses",
    BRAKING_CAPPED: "the leg damping (braking) at its bound cannot absorb the energy gained",
    AT_BOUND: "a free variable sits at its bound (e.g. the leg too soft or the angle too flat "
              "to hold the body)",
    UNREACHABLE: "the target is outside what the free variables reach (the residual has a "
                 "nonzero local minimum)",
    STALLED: "the Newton iteration stalled (no convergence within the iterations)",
    SLOWS: "under Raibert foot placement the runner slows step after step (its push does not "
           "replace the losses at any speed the placement allows): it comes to a stop",
    NO_FLIGHT: "under Raibert foot placement the runner loses its flight phase: the apex sinks "
               "below the height at which the placed foot would land",
}


class RaibertPlacement(NamedTuple):
    """Raibert's foot placement (Raibert 1986; MODEL.md §11), a feedback law for the landing angle.

    At each flight apex the controller places the foot ahead of the hip, in the body's frame,
    by the neutral point (half the distance the body travels during the last contact) plus a
    gain times the speed error:

        L0 cos α = v τ / 2 + K (v − v*),

    with α the angle of attack (from the surface line, relative to the body), v the apex
    speed, τ the last step's contact time, K = ``gain_s`` (s) and v* = ``speed_m_per_s`` (the
    speed the controller aims at; None: the start's speed). The engine lands the leg at
    β = π/2 − α − λ from the surface normal, so a forward lean λ moves the foot closer under
    the body than the controller asked for: less braking, the runner speeds up until the gain
    term (foot further ahead at the higher speed) cancels the lean. With a proportional gain
    the steady speed is not v*: its offset is the lean's and the energy balance's (docs/gaits.md,
    "Lean under control").
    """

    gain_s: object = 0.1
    speed_m_per_s: object = None


class SteadyGait(NamedTuple):
    """A steady gait per batch element (NumPy arrays, batch shape first).

    Attributes:
        free: the names of the free variables; ``values`` (..., n_free) their solved values.
        targets: the target names; ``target_values`` (..., n_targets) what was asked.
        apex_height_m, apex_speed_m_per_s: the apex of the steady step.
        metrics: ``StepMetrics`` of the steady step (speed, cadence, contact/flight time, step
            length, peak force, impulses, cost of transport, metabolic estimate, ...).
        ledger: the energy ledger (``engine.ledger.Ledger``) of the steady step.
        jacobian: ∂P/∂(y, v_x) at the gait, (..., 2, 2), the other parameters held.
        multipliers: its eigenvalues (Floquet multipliers), (..., 2), largest modulus first.
        max_abs_multiplier: the largest |λ|; ``stable``: converged and max |λ| < 1.
        residual: the scaled residual norm; ``converged``: it is at most the tolerance and the
            step is a real apex-to-apex step.
        iterations: Newton iterations used; ``status``: the step's status code.
        reason: a code of ``REASONS`` (``OK`` when converged); ``message`` (str per element).
        controlled_multipliers: (..., 2) the multipliers of the closed loop when the landing
            angle is free: the deadbeat foot placement (MODEL.md §11) chooses the angle at each
            apex so that the next apex height is the gait's, which removes the height
            direction (one multiplier 0) and leaves the speed's; NaN when the angle is held.
    """

    free: tuple
    values: np.ndarray
    targets: tuple
    target_values: np.ndarray
    apex_height_m: np.ndarray
    apex_speed_m_per_s: np.ndarray
    metrics: StepMetrics
    ledger: object
    jacobian: np.ndarray
    multipliers: np.ndarray
    max_abs_multiplier: np.ndarray
    stable: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    message: np.ndarray
    controlled_multipliers: np.ndarray


    def value(self, name: str) -> np.ndarray:
        """The solved value of free variable ``name``."""
        return self.values[..., self.free.index(name)]


def step_targets(rec, start_x_m=0.0):
    """The ``TARGETS`` of one step from its record, as ``step_metrics`` defines them (the start
    is the apex at ``start_x_m``): kept this small so that its derivative compiles fast."""
    t_c = rec.contact_time_s
    t_step = rec.touchdown_time_s + t_c + rec.flight_time_s
    length = rec.end.x_m - start_x_m
    return {"speed_m_per_s": length / t_step, "apex_height_m": rec.end.y_m,
            "cadence_steps_per_min": 60.0 / t_step, "step_frequency_hz": 1.0 / t_step,
            "contact_time_s": t_c, "flight_time_s": t_step - t_c,
            "duty_factor": t_c / (2.0 * t_step), "step_length_m": length}


def _with(p: Params, y, vx, alpha, push, damping, stiffness):
    zero = jnp.zeros_like(y)
    q = p._replace(angle_of_attack_rad=alpha, push_force_bw=push, leg_damping_n_s_per_m=damping,
                   leg_stiffness_n_per_m=stiffness)
    return q, State(zero, y, vx, zero)


def steady_kernel(p: Params, y, vx, alpha, push, damping, stiffness, options: Options):
    """Outputs (P_y, P_vx, the ``TARGETS``), their Jacobian with respect to the six
    ``FREE_VARIABLES`` (nested tuples of scalars), and aux (outputs, valid, status). Pure;
    batched by ``engine.batch``."""
    def f(*u):
        q, s = _with(p, *u)
        nxt, rec, _ = step(q, s, options)
        tg = step_targets(rec)
        valid = (rec.status == st.OK) & (rec.liftoff.vy_m_per_s > 0.0)
        out = (nxt.y_m, nxt.vx_m_per_s) + tuple(tg[t] for t in TARGETS)
        return out, (out, valid, rec.status)
    return jax.jacfwd(f, argnums=tuple(range(6)), has_aux=True)(
        y, vx, alpha, push, damping, stiffness)


def steady_step(p: Params, y, vx, alpha, push, damping, stiffness, options: Options):
    """The ``StepMetrics`` and the ledger of the step from the apex (y, v_x) (forward only)."""
    q, s = _with(p, y, vx, alpha, push, damping, stiffness)
    _, rec, _ = step(q, s, options)
    return step_metrics(q, rec), rec.ledger


#: How ``solve_gait`` forms its Jacobian (module docstring).
JACOBIANS = ("fd", "exact")
#: Central-difference step, in the scaled units of each free variable (``_scales``).
FD_STEP = 1e-6


def fd_options(params: Params, free=(), options: Options | None = None) -> Options:
    """Options for the finite-difference solver: ``gait_options`` of the parameters as they
    will be tried, i.e. with the push and the leg damping counted as nonzero when they are
    free (so that their terms, and the contact model they need, are compiled in), and
    switched off when they are zero and held (the cheapest program that covers the problem)."""
    if options is not None:
        return gait_options(params, options)
    probe = as_arrays(params)
    if "push_force_bw" in free:
        probe = probe._replace(push_force_bw=np.maximum(np.abs(np.asarray(
            probe.push_force_bw, float)), 0.1))
    if "leg_damping_n_s_per_m" in free:
        probe = probe._replace(leg_damping_n_s_per_m=np.maximum(np.abs(np.asarray(
            probe.leg_damping_n_s_per_m, float)), 1.0))
    return gait_options(probe)


def steady_options(params: Params, options: Options | None = None) -> Options:
    """Options for ``solve_gait``: ``gait_options`` with the push and leg-damping terms on
    (they may be free) and at least the 20 stance steps that resolve the push ramp."""
    opts = gait_options(params, options)
    if options is None:
        opts = gait_options(params, opts, push=True, leg_damping=True,
                            stance_steps=max(20, opts.stance_steps))
    return opts


# ∂(y, v_x)/∂(the six candidates): the apex's own columns, subtracted from the periodicity rows
_PERIODIC = np.zeros((2 + len(TARGETS), 6))
_PERIODIC[0, 0] = _PERIODIC[1, 1] = 1.0


def _check_names(free, targets, placement=None):
    bad = [n for n in free if n not in FREE_VARIABLES] + [t for t in targets if t not in TARGETS]
    if bad:
        raise SimsrcInputError(f"solve_gait: unknown name(s) {bad}; free variables are "
                               f"{FREE_VARIABLES}, targets {TARGETS}")
    if placement is not None:
        if "angle_of_attack_rad" not in free or len(set(free)) != len(free) \
                or len(free) != 3 + len(targets):
            raise SimsrcInputError(
                f"solve_gait: a foot-placement law chooses the landing angle, so "
                f"'angle_of_attack_rad' must be free, with 3 + n_targets distinct free variables "
                f"(2 periodicity equations and the law); got free={tuple(free)}, "
                f"targets={tuple(targets)}")
        return
    if len(set(free)) != len(free) or len(free) != 2 + len(targets):
        raise SimsrcInputError(
            f"solve_gait: {len(free)} free variable(s) {tuple(free)} for 2 periodicity "
            f"equations and {len(targets)} target(s) {tuple(targets)}: name 2 + n_targets "
            "distinct free variables (e.g. free=('apex_height_m', 'push_force_bw') with no "
            "target, or add 'apex_speed_m_per_s' and target 'speed_m_per_s')")


def _bounds(free, p):
    """(lower, upper) of each free variable (SI), from the parameter table where it has one."""
    table = {"apex_height_m": (0.0, np.inf), "apex_speed_m_per_s": (0.0, np.inf),
             "angle_of_attack_rad": (1e-3, np.pi - 1e-3),
             "push_force_bw": (0.0, PARAMETER["push_force_bw"].high),
             "leg_damping_n_s_per_m": (0.0, np.inf), "leg_stiffness_n_per_m": (1.0, np.inf)}
    return table[free]


def _scales(p):
    """Natural sizes of the six candidate variables (N, 6) and of the outputs (N, 10)."""
    length = np.asarray(p.leg_length_m)
    g, m = np.asarray(p.gravity_m_per_s2), np.asarray(p.mass_kg)
    k = np.asarray(p.leg_stiffness_n_per_m)
    vs = np.sqrt(g * length)
    one = np.ones_like(length)
    u = np.stack([length, vs, one, one, np.sqrt(k * m), k], axis=1)
    return u, length, vs


def solve_gait(params: Params, guess: State, *, free=("apex_height_m", "apex_speed_m_per_s"),
               targets: dict | None = None, bounds: dict | None = None,
               options: Options | None = None, continuation: bool = False, iters: int = 40,
               map_iters: int = 0, tol: float = 1e-11, jacobian: str = "fd",
               hold_energy: bool = False, fd_rows: int | None = None,
               placement: RaibertPlacement | None = None,
               stop_with: np.ndarray | None = None) -> SteadyGait:
    """The steady (periodic) gait with the free variables ``free`` meeting ``targets``, batched.

    Equations: P_y(u) = y, P_vx(u) = v_x (the next apex is this one) and, per target,
    metric(u) = target; unknowns u = the ``free`` variables (``len(free) == 2 + len(targets)``);
    the apex coordinates not free are held at the guess, the parameters not free at ``params``.
    Newton with the exact forward-mode Jacobian, damped (``gait/newton.py``), scaled units
    (y/L0, v/√(g L0), angle in rad, push in BW, damping/√(k m), stiffness/k, targets relative).

    Args:
        params: parameters (scalars or arrays of one batch shape); free ``Params`` fields start
            from their values here.
        guess: the starting apex (``apex(height, speed)``), scalars or batch; a held apex
            coordinate stays at its value here.
        free: names from ``FREE_VARIABLES``.
        targets: {name from ``TARGETS``: value (scalar or batch)}.
        bounds: {free name: (low, high)} overriding the defaults (e.g. a push capped at 0.1 BW).
        options: step options; default ``fd_options(params, free)`` (``jacobian="fd"``) or
            ``steady_options(params)`` (``"exact"``).
        continuation: solve along the first batch axis in order, each slice from its
            neighbour's solution (where that converged).
        iters, tol: Newton iterations and the scaled residual accepted as converged.
        map_iters: plain map iterations first (only when ``free`` is the apex and no targets).
        jacobian: ``"fd"`` (central differences through ``simulate``; compiles in seconds) or
            ``"exact"`` (``jax.jacfwd`` through the step; compiles in minutes). See the module
            docstring.
        hold_energy: for a conservative runner (``engine.params.is_conservative``) with the
            apex (y, v_x) free: replace the speed's periodicity by "the energy of the guess"
            (g y + v_x²/2 per kg), so that the problem is square and consistent. Its fixed
            points form a curve, one per energy; the discrete map's energy drifts by the
            integrator's error, so that the plain system has no exact solution. The speed
            then repeats to that error (1e-11 with DOP853's 10 stance steps).
        fd_rows: rows per ``simulate`` call of the finite-difference solver (default
            ``FD_ROWS``): a solve of one point uses about ten rows, so 64 (``simsrc explore``)
            answers a single gait 2-4x sooner, at the cost of a compiled program of its own;
            1 (``simsrc run``) runs each row alone on the single runner's program, which
            compiles sooner still (no batch to trace).
        placement: a foot-placement law (``RaibertPlacement``) that chooses the angle of attack:
            its equation joins the periodicity rows, so the angle must be free and
            ``len(free) == 3 + len(targets)`` (``jacobian="fd"`` only). ``controlled_multipliers``
            are then the closed loop's three, of the state (apex height, apex speed, last
            contact time) the law reads. ``solve_controlled`` walks the closed loop first and
            gives each point its reason when there is no gait.
        stop_with: for a one-dimensional batch, per element the index of the element whose
            convergence ends it (it then stops unconverged), or -1: alternative starts of one
            point solved side by side, the later ones dropped once the first has its gait
            (``_held_solve``; ``damped_newton``).

    Returns:
        ``SteadyGait``; elements with no gait have ``converged`` False and a ``reason``.

    Raises:
        SimsrcInputError: unknown names, or not 2 + n_targets free variables.
    """
    targets = dict(targets or {})
    free, tnames = tuple(free), tuple(targets)
    _check_names(free, tnames, placement)
    if jacobian not in JACOBIANS:
        raise SimsrcInputError(f"solve_gait: jacobian must be one of {JACOBIANS}, "
                               f"got {jacobian!r}")
    if placement is not None and jacobian != "fd":
        raise SimsrcInputError("solve_gait: a foot-placement law needs jacobian='fd'")
    opts = (fd_options(params, free, options) if jacobian == "fd"
            else steady_options(params, options))
    if continuation:
        return _continue(params, guess, free, targets, bounds, opts, iters, map_iters, tol,
                         jacobian, fd_rows, placement)
    law = ()
    if placement is not None:
        aim = guess.vx_m_per_s if placement.speed_m_per_s is None else placement.speed_m_per_s
        law = (placement.gain_s, aim)
    # the finite differences' simulate calls pad to their own size: no copies of a point
    (p, (y0, v0, tv, law)), shape = batch.flatten(
        params, (guess.y_m, guess.vx_m_per_s, tuple(targets.values()), law),
        padded=jacobian != "fd")
    return _solve(p, y0, v0, tv, shape, free, tnames, bounds, opts, iters, map_iters, tol,
                  jacobian, hold_energy, fd_rows or FD_ROWS, law, stop_with)


#: Rows per ``simulate`` call of the finite-difference solver: every evaluation, whatever its
#: size, runs in calls of exactly this many steps (the last one padded), so that one compiled
#: program serves a whole solve while its batch shrinks to the points still iterating.
FD_ROWS = 1024


def _one_step(p: Params, x: np.ndarray, opts: Options, rows_per_call: int = FD_ROWS):
    """One step from each row of ``x`` (N, 6: the ``FREE_VARIABLES``' values) by ``simulate``
    (in calls of ``rows_per_call``; 1: each row alone, scalar parameters): (outputs (N, 10):
    P_y, P_vx and the ``TARGETS``; valid (N,);
    status (N,); the parameters; the step's records, step axis dropped)."""
    n = x.shape[0]
    q = p._replace(angle_of_attack_rad=x[:, 2], push_force_bw=x[:, 3],
                   leg_damping_n_s_per_m=x[:, 4], leg_stiffness_n_per_m=x[:, 5])
    zero = np.zeros(n)
    start = State(zero, x[:, 0], x[:, 1], zero)
    parts = []
    if rows_per_call == 1:
        # one row at a time on the single runner's program, which compiles in about two
        # thirds of the batch program's time (no vmap to trace): a single gait's cold start
        for i in range(n):
            qs, ss = jax.tree_util.tree_map(
                lambda v: np.broadcast_to(np.asarray(v, float), (n,))[i], (q, start))
            run = simulate(qs, ss, 1, options=opts, check=False)
            parts.append(jax.tree_util.tree_map(lambda v: np.asarray(v)[:1],
                                                jax.device_get(run.records)))
    else:
        for a in range(0, n, rows_per_call):
            rows = np.minimum(np.arange(a, a + rows_per_call), n - 1)
            qs, ss = jax.tree_util.tree_map(lambda v: np.asarray(v, float)[rows], (q, start))
            run = simulate(qs, ss, 1, options=opts, check=False)
            parts.append(jax.tree_util.tree_map(
                lambda v: np.asarray(v)[: min(rows_per_call, n - a), 0],
                jax.device_get(run.records)))
    rec = jax.tree_util.tree_map(lambda *v: np.concatenate(v), *parts)
    tg = step_targets(rec)
    out = np.stack([rec.end.y_m, rec.end.vx_m_per_s] + [tg[t] for t in TARGETS], axis=1)
    valid = (rec.status == st.OK) & (rec.liftoff.vy_m_per_s > 0.0)
    return out, valid, rec.status, q, rec


def _fd_evaluate(p: Params, x: np.ndarray, fd_cols, u_all_scale, opts: Options,
                 rows_per_call: int = FD_ROWS, records: bool = False):
    """Outputs, their central-difference Jacobian (N, 10, 6; NaN in the columns not in
    ``fd_cols``), valid and status, all points and perturbations in one ``simulate`` call;
    with ``records``, also the points' own parameters and step records (``_one_step``'s)."""
    n, k = x.shape[0], len(fd_cols)
    h = FD_STEP * u_all_scale[:, fd_cols]                                   # (N, k)
    xs = [x]
    for sign in (1.0, -1.0):
        for i, j in enumerate(fd_cols):
            xp = x.copy()
            xp[:, j] += sign * h[:, i]
            xs.append(xp)
    reps = 1 + 2 * k
    pt = jax.tree_util.tree_map(lambda v: np.tile(np.asarray(v, float), reps), p)
    out, valid, code, q, rec = _one_step(pt, np.concatenate(xs, axis=0), opts, rows_per_call)
    out = out.reshape(reps, n, -1)
    valid = valid.reshape(reps, n)
    jac = np.full((n, out.shape[2], 6), np.nan)
    for i, j in enumerate(fd_cols):
        jac[:, :, j] = (out[1 + i] - out[1 + k + i]) / (2.0 * h[:, i, None])
    if records:
        own = lambda t: jax.tree_util.tree_map(lambda v: np.asarray(v)[:n], t)  # noqa: E731
        return out[0], jac, valid.all(axis=0), code[:n], own(q), own(rec)
    return out[0], jac, valid.all(axis=0), code[:n]


_metrics_jit = jax.jit(step_metrics)


#: The contact time's row among the outputs (P_y, P_vx, the ``TARGETS``).
_TC = 2 + TARGETS.index("contact_time_s")


def _placement_row(law, x, out, jfull, length):
    """The foot-placement law's residual L0 cos α − v τ/2 − K (v − v*) (N,) and its derivative
    with respect to the six candidates (N, 6); τ is the step's own contact time (the law reads
    the last one, which repeats in a steady gait)."""
    gain, aim = law
    v, a, tau = x[:, 1], x[:, 2], out[:, _TC]
    r = length * np.cos(a) - 0.5 * v * tau - gain * (v - aim)
    d = -0.5 * v[:, None] * np.nan_to_num(jfull[:, _TC, :])
    d[:, 1] -= 0.5 * tau + gain
    d[:, 2] -= length * np.sin(a)
    return r, d


def _solve(p, y0, v0, tv, shape, free, tnames, bounds, opts, iters, map_iters, tol,
           jacobian="fd", hold_energy=False, rows_per_call=FD_ROWS, law=(), stop_with=None):
    kernel = batch.batched_kernel(steady_kernel, options=opts) if jacobian == "exact" else None
    n = y0.shape[0]
    cols = [FREE_VARIABLES.index(f) for f in free]
    rows = [0, 1] + [2 + TARGETS.index(t) for t in tnames]
    tv = np.stack(tv, axis=1) if tnames else np.zeros((n, 0))
    base = np.stack([y0, v0, np.asarray(p.angle_of_attack_rad), np.asarray(p.push_force_bw),
                     np.asarray(p.leg_damping_n_s_per_m), np.asarray(p.leg_stiffness_n_per_m)], 1)
    u_all_scale, length, vs = _scales(p)
    u_scale = u_all_scale[:, cols]
    hold_energy = hold_energy and free[:2] == ("apex_height_m", "apex_speed_m_per_s")
    r_scale = np.concatenate([np.stack([length, vs * (vs if hold_energy else 1.0)], 1)]
                             + ([length[:, None]] if law else [])
                             + [np.where(np.abs(tv) > 0, np.abs(tv), 1.0)], axis=1)
    lim = dict((f, _bounds(f, p)) for f in free)
    lim.update({f: b for f, b in (bounds or {}).items() if f in lim})
    lower = np.array([lim[f][0] for f in free])
    upper = np.array([lim[f][1] for f in free])

    def full(u, idx=None):
        x = base.copy() if idx is None else base[idx]
        x[:, cols] = u
        return x

    # Newton needs the free variables' columns; the apex columns (the Floquet multipliers) are
    # differenced once, at the solution: a held apex height costs no rows per iteration
    fd_all = sorted(set(cols) | {0, 1})
    fd_cols = sorted(cols)

    def residual(u, idx=None):
        x = full(u, idx)
        sel = slice(None) if idx is None else idx
        if kernel is None:
            sub = jax.tree_util.tree_map(lambda v: np.asarray(v)[sel], p)
            out, jfull, valid, code = _fd_evaluate(sub, x, fd_cols, u_all_scale[sel], opts,
                                                   rows_per_call)
        else:
            jac, (out, valid, code) = jax.device_get(
                kernel(p, *[jnp.asarray(x[:, j]) for j in range(6)]))
            out = batch.columns(out)                                   # (N, 10)
            jfull = np.stack([batch.columns(row) for row in jac], axis=1)  # (N, 10, 6)
        r = out[:, rows] - np.concatenate([x[:, :2], tv[sel]], axis=1)
        jr = jfull[:, rows][:, :, cols] - _PERIODIC[rows][:, cols]
        if hold_energy:
            # the speed's periodicity row becomes "the energy of the start": consistent for
            # the discrete map, whose energy drifts by the integrator's error
            g = np.asarray(p.gravity_m_per_s2)[sel]
            r[:, 1] = g * (x[:, 0] - y0[sel]) + 0.5 * (x[:, 1] ** 2 - v0[sel] ** 2)
            de = np.zeros((x.shape[0], 6))
            de[:, 0], de[:, 1] = g, x[:, 1]
            jr[:, 1, :] = de[:, cols]
        if law:
            r_law, d_law = _placement_row((law[0][sel], law[1][sel]), x, out, jfull,
                                          length[sel])
            r = np.concatenate([r[:, :2], r_law[:, None], r[:, 2:]], axis=1)
            jr = np.concatenate([jr[:, :2], d_law[:, None, cols], jr[:, 2:]], axis=1)
        return r, jr, np.asarray(valid), (jfull[:, :2, :2], jr, np.asarray(code), x,
                                          jfull[:, (0, 1, _TC), :3])

    mi = map_iters if (free == ("apex_height_m", "apex_speed_m_per_s") and not tnames) else 0
    u0 = np.clip(base[:, cols], lower, upper)
    u, r, ok, aux, rn, it = damped_newton(residual, u0, u_scale, r_scale, iters=iters,
                                          map_iters=mi, tol=tol, max_step=0.2,
                                          bounds=(lower, upper), subset=kernel is None,
                                          stop_with=stop_with)
    if kernel is None and fd_cols == fd_all:
        _, _, _, q, rec = _one_step(p, aux[3], opts, rows_per_call)
    elif kernel is None:
        _, jfull, _, _, q, rec = _fd_evaluate(p, aux[3], fd_all, u_all_scale, opts,
                                              rows_per_call, records=True)
        aux = (jfull[:, :2, :2],) + tuple(aux[1:4]) + (jfull[:, (0, 1, _TC), :3],)
    if kernel is None:
        # padded to a bucket's size: the retries' batches of every size share a few programs
        size = batch.bucket_size(q.mass_kg.shape[0])
        met = jax.tree_util.tree_map(lambda v: np.asarray(v)[:q.mass_kg.shape[0]],
                                     jax.device_get(_metrics_jit(*batch.pad((q, rec), size))))
        led = rec.ledger
    else:
        met, led = jax.device_get(batch.batched_kernel(steady_step, options=opts)(
            p, *[jnp.asarray(aux[3][:, j]) for j in range(6)]))
    return _record(u, r, ok, aux + (met, led), rn, it, shape, free, tnames, tv, u_scale,
                   r_scale, lower, upper, tol, n, law, length)


def _reasons(free, u, ok, converged, jr, r, u_scale, r_scale, lower, upper):
    """The ``REASONS`` code of each element (flat)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        at_low = np.isclose(u, lower, rtol=1e-9, atol=1e-12)
        at_high = np.isclose(u, upper, rtol=1e-9, atol=1e-12)
        js = jr / r_scale[:, :, None] * u_scale[:, None, :]
        rs = r / r_scale
        grad = np.linalg.norm(np.einsum("nki,nk->ni", js, rs), axis=1)
        scale = np.linalg.norm(js, axis=(1, 2)) * np.linalg.norm(rs, axis=1)
        local_min = grad <= 1e-6 * scale
    reason = np.full(u.shape[0], STALLED)
    reason = np.where(local_min, UNREACHABLE, reason)
    reason = np.where((at_low | at_high).any(axis=1), AT_BOUND, reason)
    if "leg_damping_n_s_per_m" in free:
        j = free.index("leg_damping_n_s_per_m")
        reason = np.where(at_low[:, j] | at_high[:, j], BRAKING_CAPPED, reason)
    if "push_force_bw" in free:
        reason = np.where(at_high[:, free.index("push_force_bw")], PUSH_CAPPED, reason)
    reason = np.where(ok, reason, FALLS)
    return np.where(converged, OK, reason)


def _record(u, r, ok, aux, rn, it, shape, free, tnames, tv, u_scale, r_scale, lower, upper,
            tol, n, law=(), length=None) -> SteadyGait:
    jac, jr, code, x, j3, met, led = aux
    converged = ok & (rn <= tol)
    mult = floquet_multipliers(jac)
    mag = np.abs(mult[..., 0])
    reason = _reasons(free, u, ok, converged, jr, r, u_scale, r_scale, lower, upper)
    nan = lambda v: np.where(ok.reshape((-1,) + (1,) * (np.ndim(v) - 1)), v, np.nan)  # noqa
    met = jax.tree_util.tree_map(lambda v: nan(np.asarray(v, float)), met)
    led = jax.tree_util.tree_map(lambda v: nan(np.asarray(v, float)), led)
    controlled = np.full(mult.shape, np.nan + 0j)
    if "angle_of_attack_rad" in free:
        # ∂P/∂α; the angle that keeps P_y = y moves with the apex: dα/dx = −(∂P_y/∂x)/(∂P_y/∂α)
        ja = jr[:, :2, free.index("angle_of_attack_rad")]
        with np.errstate(invalid="ignore", divide="ignore"):
            closed = jac - ja[:, :, None] * jac[:, None, 0, :] / ja[:, 0, None, None]
        good = np.all(np.isfinite(closed), axis=(1, 2))
        controlled[good] = floquet_multipliers(closed[good])
    if law:
        controlled = _raibert_multipliers(j3, x, law, length)
    flat = [nan(u), tv, nan(x[:, 0]), nan(x[:, 1]), nan(jac), mult, nan(mag),
            converged & (mag < 1.0), np.where(ok, rn, np.inf), converged, it,
            np.where(ok, code, st.FALL), reason, np.array([REASONS[c] for c in reason]),
            controlled]
    m_leaves, m_def = jax.tree_util.tree_flatten(met)
    l_leaves, l_def = jax.tree_util.tree_flatten(led)
    outs = batch.unflatten(flat + m_leaves + l_leaves, shape)
    k = len(flat)
    v, t, y, vx, j, mu, mg, stable, res, conv, its, stat, rea, msg, ctl = outs[:k]
    return SteadyGait(free, v, tnames, t, y, vx,
                      jax.tree_util.tree_unflatten(m_def, outs[k:k + len(m_leaves)]),
                      jax.tree_util.tree_unflatten(l_def, outs[k + len(m_leaves):]),
                      j, mu, mg, stable, res, conv, its, stat, rea, msg, ctl)


def _raibert_multipliers(j3, x, law, length):
    """The multipliers (N, 3) of the closed loop under Raibert's placement: its state is the
    apex (y, v) and the last contact time τ, which the law reads; the landing angle
    α(v, τ) = arccos((v τ/2 + K (v − v*)) / L0), so that
    ∂(y', v', τ')/∂(y, v, τ) = J[:, :2] + J[:, α] ⊗ (0, ∂α/∂v, ∂α/∂τ) (J: ∂(P_y, P_vx, τ')/∂(y,
    v, α), the columns of the central differences)."""
    gain, _ = law
    v, a, n = x[:, 1], x[:, 2], x.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = length * np.sin(a)
        da = np.zeros((n, 3))
        # τ of the steady step: the law holds, so v τ/2 = L0 cos α − K (v − v*); use it
        tau = 2.0 * (length * np.cos(a) - gain * (v - law[1])) / v
        da[:, 1] = -(0.5 * tau + gain) / s
        da[:, 2] = -0.5 * v / s
        closed = np.zeros((n, 3, 3))
        closed[:, :, :2] = j3[:, :, :2]
        closed += j3[:, :, 2, None] * da[:, None, :]
    out = np.full((n, 3), np.nan + 0j)
    good = np.all(np.isfinite(closed), axis=(1, 2))
    if np.any(good):
        ev = np.linalg.eigvals(closed[good])
        order = np.argsort(-np.abs(ev), axis=1)
        out[good] = np.take_along_axis(ev, order, axis=1)
    return out


def _continue(params, guess, free, targets, bounds, opts, iters, map_iters, tol,
              jacobian="fd", fd_rows=None, placement=None) -> SteadyGait:
    """Solve along the first batch axis in order; slice i starts from slice i − 1's solution
    where that converged (the free values and the apex), else from the user's guess."""
    pa = as_arrays(params)
    leaves = jax.tree_util.tree_leaves((pa, guess, tuple(targets.values())))
    shape = np.broadcast_shapes(*[np.shape(v) for v in leaves])
    if not shape:
        return solve_gait(params, guess, free=free, targets=targets, bounds=bounds,
                          options=opts, iters=iters, map_iters=map_iters, tol=tol,
                          jacobian=jacobian, fd_rows=fd_rows, placement=placement)
    bc = lambda t: jax.tree_util.tree_map(lambda v: np.broadcast_to(np.asarray(v, float), shape),  # noqa
                                          t)
    pb, gb, tb = bc(pa), bc(guess), bc(targets)
    parts, prev = [], None
    for i in range(shape[0]):
        p_i = jax.tree_util.tree_map(lambda v: v[i], pb)
        g_i = jax.tree_util.tree_map(lambda v: np.array(v[i]), gb)
        if prev is not None:
            conv = prev.converged
            for f in free:
                val = np.where(conv, prev.value(f), np.asarray(getattr(p_i, f, np.nan)))
                if f == "apex_height_m":
                    g_i = g_i._replace(y_m=np.where(conv, prev.value(f), g_i.y_m))
                elif f == "apex_speed_m_per_s":
                    g_i = g_i._replace(vx_m_per_s=np.where(conv, prev.value(f), g_i.vx_m_per_s))
                else:
                    p_i = p_i._replace(**{f: val})
        prev = solve_gait(p_i, g_i, free=free, targets={k: v[i] for k, v in tb.items()},
                          bounds=bounds, options=opts, iters=iters, map_iters=map_iters, tol=tol,
                          jacobian=jacobian, fd_rows=fd_rows,
                          placement=None if placement is None else jax.tree_util.tree_map(
                              lambda v: np.broadcast_to(np.asarray(v, float), shape)[i],
                              placement))
        parts.append(prev)
    return SteadyGait(*[getattr(parts[0], f) if f in ("free", "targets") else
                        jax.tree_util.tree_map(lambda *xs: np.stack(xs), *[getattr(q, f)
                                                                           for q in parts])
                        for f in SteadyGait._fields])


def landing_height_guess(params: Params):
    """A starting apex height just above the touchdown height, L0 (cos β + 0.02)."""
    pa = as_arrays(params)
    return pa.leg_length_m * (jnp.cos(landing_angle_rad(pa)) + 0.02)


#: The free variables of a gait at a held speed (``solve_held_speed``): the foot placement
#: (the landing angle, deadbeat on the apex height), the apex speed, and one energy control.
HELD_SPEED_PUSH = ("apex_speed_m_per_s", "angle_of_attack_rad", "push_force_bw")
HELD_SPEED_BRAKING = ("apex_speed_m_per_s", "angle_of_attack_rad", "leg_damping_n_s_per_m")


def held_speed_options(params: Params, free, base: Options | None = None) -> Options:
    """``fd_options`` for these free variables, merged into ``base`` (a run's or sweep's own
    options: its integrator, step counts and landing mode kept; the push and leg-damping terms
    and the contact model they need switched on)."""
    import dataclasses

    from simsrc.engine.stance import SURFACE_MODELS

    fo = fd_options(params, free)
    if base is None:
        return fo
    return dataclasses.replace(
        base, push=base.push or fo.push, leg_damping=base.leg_damping or fo.leg_damping,
        surface_model=max(base.surface_model, fo.surface_model, key=SURFACE_MODELS.index),
        stance_steps=max(base.stance_steps, fo.stance_steps), flight_samples=0)


def solve_held_speed(params: Params, guess: State, target_speed_m_per_s, *,
                     options: Options | None = None, iters: int = 40,
                     fd_rows: int | None = None):
    """The steady gait of a runner that controls its gait to hold a speed (MODEL.md §11), batched.

    The foot placement holds the apex height of ``guess`` (the deadbeat landing angle: the angle
    of attack is solved so that the apex repeats) and an energy control holds the mean speed:
    first the push amplitude (positive work, concentric; ``HELD_SPEED_PUSH``, starting from
    ``params``' push); where it would have to be negative, i.e. the runner gains energy even
    without a push (downhill), the push is set to zero and the leg damping (braking: negative
    work, eccentric; ``HELD_SPEED_BRAKING``) is solved instead. Each solve starts from
    ``params`` and ``guess``; its failed points are solved again from the neutral point's
    landing angle, then from their nearest solved neighbour in the batch, and last from a higher
    apex (``_held_retry``), so that a lean, a stiff leg or a steep slope far from where the
    configured angle and apex were set still finds its gait. A gait found from a higher apex
    holds that apex, not the configured one (its ``apex_height_m`` says which).

    Returns:
        (the push solve, the braking solve or None, the mask (batch shape) of the elements whose
        answer is the braking solve). Each solve is a ``SteadyGait`` over the whole batch; the
        braking one is only meaningful where the mask is set: it solves only the points whose
        push went to zero, and elsewhere holds the push solve's records, its values NaN, not
        converged.
    """
    import dataclasses

    from simsrc.engine.stance import SURFACE_MODELS

    pa = as_arrays(params)
    pb = pa._replace(push_force_bw=np.zeros(np.shape(pa.push_force_bw)))
    # one program for both solves (the braking one's terms switched on in the push one's)
    opts, opts_b = (held_speed_options(pa, HELD_SPEED_PUSH, options),
                    held_speed_options(pb, HELD_SPEED_BRAKING, options))
    opts = opts_b = dataclasses.replace(
        opts, push=opts.push or opts_b.push, leg_damping=opts.leg_damping or opts_b.leg_damping,
        plastic=opts.plastic or opts_b.plastic,
        surface_model=max(opts.surface_model, opts_b.surface_model, key=SURFACE_MODELS.index),
        stance_steps=max(opts.stance_steps, opts_b.stance_steps))
    push = _held_solve(pa, guess, HELD_SPEED_PUSH, target_speed_m_per_s, opts, iters, fd_rows)
    with np.errstate(invalid="ignore"):
        at_zero = (~np.asarray(push.converged)) & np.isin(push.reason, (AT_BOUND, PUSH_CAPPED)) \
            & (np.asarray(push.value("push_force_bw")) <= 1e-9)
    if not np.any(at_zero):
        return push, None, at_zero
    # only the points whose push went to zero: the others have their answer (or their reason)
    shape = np.shape(at_zero)
    idx = np.flatnonzero(np.reshape(at_zero, -1))
    take = lambda t: jax.tree_util.tree_map(  # noqa: E731
        lambda v: np.broadcast_to(np.asarray(v, float), shape).reshape(-1)[idx], t)
    sub = _held_solve(take(pb), take(guess), HELD_SPEED_BRAKING, take(target_speed_m_per_s),
                      opts_b, iters, fd_rows)
    braking = _spread(sub, idx, push, shape)
    return push, braking, at_zero & np.asarray(braking.converged)


def _spread(sub: SteadyGait, idx, like: SteadyGait, shape) -> SteadyGait:
    """The flat solve ``sub`` of the elements ``idx`` as a gait of batch ``shape``: elsewhere
    ``like``'s records, its values NaN under ``sub``'s free names and not converged."""
    flat = _flat_gait(like, shape)
    blank = flat._replace(free=sub.free, values=np.full(np.shape(flat.values), np.nan),
                          converged=np.zeros(np.shape(flat.converged), bool))
    return _shaped_gait(_assign(blank, idx, sub, np.arange(idx.size)), shape)


#: How far above the neutral point's touchdown height a held-speed solve's last retry puts
#: the apex (``_held_retry``'s "raised" start): 5 cm, about 0.2 s of flight.
RAISED_APEX_ABOVE_TOUCHDOWN_M = 0.05


def neutral_point_angle(params: Params, speed_m_per_s):
    """An angle of attack (rad) that puts the foot at the neutral point: half the distance the
    body travels in a contact ahead of the hip, L0 sin β = v τ0 / 2 with β = π/2 − α − λ from
    the surface normal and τ0 = π √(m/k) (the leg spring's half period, about the contact time
    of a running step: 0.25 s for 70 kg on 11 kN/m against 0.237 s solved). A starting point for
    the landing angle that follows the lean and the leg's stiffness, where the configured angle
    (set for one runner) puts a leaning or stiff-legged runner's foot where it cannot run."""
    pa = as_arrays(params)
    tau0 = np.pi * np.sqrt(np.asarray(pa.mass_kg) / np.asarray(pa.leg_stiffness_n_per_m))
    s = np.clip(0.5 * np.asarray(speed_m_per_s) * tau0 / np.asarray(pa.leg_length_m), 0.0, 0.9)
    return 0.5 * np.pi - np.asarray(pa.lean_rad) - np.arcsin(s)


def _flat_gait(gait: SteadyGait, shape) -> SteadyGait:
    """``gait`` with its batch ``shape`` flattened to one axis (``_assign`` works on those)."""
    n = len(shape)
    return SteadyGait(**{f: (getattr(gait, f) if f in ("free", "targets") else
                             jax.tree_util.tree_map(
                                 lambda a: np.asarray(a).reshape((-1,) + np.shape(a)[n:]),
                                 getattr(gait, f)))
                         for f in SteadyGait._fields})


def _shaped_gait(gait: SteadyGait, shape) -> SteadyGait:
    """``_flat_gait`` undone."""
    return SteadyGait(**{f: (getattr(gait, f) if f in ("free", "targets") else
                             jax.tree_util.tree_map(
                                 lambda a: np.asarray(a).reshape(tuple(shape) + np.shape(a)[1:]),
                                 getattr(gait, f)))
                         for f in SteadyGait._fields})


def _seeded(pf, gf, tv, seed: str):
    """The start (parameters, apex) of the ``"neutral"`` or ``"raised"`` retry
    (``_held_retry``) of flat points ``pf``, ``gf`` at target speeds ``tv``."""
    pf = pf._replace(angle_of_attack_rad=neutral_point_angle(pf, tv))
    if seed == "raised":
        beta0 = 0.5 * np.pi - np.asarray(pf.angle_of_attack_rad) - np.asarray(pf.lean_rad)
        lifted = np.asarray(pf.leg_length_m) * np.cos(beta0) + RAISED_APEX_ABOVE_TOUCHDOWN_M
        gf = gf._replace(y_m=np.maximum(np.asarray(gf.y_m), lifted))
    return pf, gf


def _flat(tree, shape):
    """The leaves of ``tree`` as float arrays broadcast to the batch ``shape``, flattened."""
    return jax.tree_util.tree_map(
        lambda v: np.broadcast_to(np.asarray(v, float), shape).reshape(-1), tree)


def _take(gait: SteadyGait, rows) -> SteadyGait:
    """The ``rows`` of a flat (one batch axis) gait."""
    return gait._replace(**{f: jax.tree_util.tree_map(lambda a: np.asarray(a)[rows],
                                                      getattr(gait, f))
                            for f in SteadyGait._fields if f not in ("free", "targets")})


def _held_retry(pa, guess, gait, free, target, opts, iters, fd_rows, seed: str, solved=None):
    """``gait`` (a held-speed solve for ``free``) with its failed points solved again:

    - ``seed="neutral"``: from the neutral point's landing angle (``neutral_point_angle``);
    - ``seed="neighbours"``: from the gait of the nearest point of the batch that has one
      (``nearest_solved``; its apex speed and energy control, and its landing angle from the
      surface normal, β = π/2 − α − λ, kept across a change of lean);
    - ``seed="raised"``: from the neutral point, the held apex raised to
      ``RAISED_APEX_ABOVE_TOUCHDOWN_M`` above the neutral point's touchdown height where it is
      lower: a stiff leg (30-40 kN/m at 3.5 m/s) lands from the configured 0.92 m with less
      than 2 cm of flight and has no gait there; its gait is then at that higher apex (which the
      answer reports as its apex height).

    A point whose energy control went to its bound (zero push: the braking solve's) is left as
    it is, and one whose push was capped is retried from a neighbour only. A retried point takes the new answer where it converged, or where
    the old one failed by falling and the new one says more (e.g. the push at its bound, which
    sends a downhill point to the braking solve).

    ``solved``: this seed's solve of every point, done beforehand (flat; ``_held_solve``'s
    side-by-side starts), taken instead of solving the failed points again.
    """
    conv = np.asarray(gait.converged)
    shape = np.shape(conv)
    with np.errstate(invalid="ignore"):
        # a capped push may be another branch's: a neighbour's gait is tried for it too
        left = (AT_BOUND, PUSH_CAPPED) if seed == "neutral" else (AT_BOUND,)
        if seed == "raised":          # only where the held apex itself is the trouble
            left = (AT_BOUND,)
        retry = (~conv) & ~np.isin(gait.reason, left)
    if not np.any(retry) or (seed == "neighbours" and not np.any(conv)):
        return gait
    pf, gf, tv_all = _flat(pa, shape), _flat(guess, shape), _flat(target, shape)
    idx = np.flatnonzero(retry.reshape(-1))
    take = lambda t: jax.tree_util.tree_map(lambda v: v[idx], t)  # noqa: E731
    sub, g_sub, tv = take(pf), take(gf), tv_all[idx]
    flat_gait = _flat_gait(gait, shape)
    if seed in ("neutral", "raised") and solved is None:
        sub, g_sub = _seeded(sub, g_sub, tv, seed)
    elif seed == "neighbours":
        n = int(np.prod(shape, dtype=int))
        src = nearest_solved(pf, (tv_all,), np.flatnonzero(conv.reshape(-1)), idx, n)
        val = lambda name: np.asarray(flat_gait.value(name))[src]  # noqa: E731
        lean = np.asarray(pf.lean_rad)
        sub = sub._replace(angle_of_attack_rad=val("angle_of_attack_rad") + lean[src]
                           - lean[idx],
                           **{f: val(f) for f in free
                              if f not in ("apex_speed_m_per_s", "apex_height_m",
                                           "angle_of_attack_rad")})
        g_sub = g_sub._replace(vx_m_per_s=val("apex_speed_m_per_s"))
    if solved is not None:
        again = _take(solved, idx)
    else:
        again = solve_gait(sub, g_sub, free=free, targets={"speed_m_per_s": tv}, options=opts,
                           iters=iters, fd_rows=fd_rows)
    new_conv = np.asarray(again.converged).reshape(-1)[:idx.size]
    new_reason = np.asarray(again.reason).reshape(-1)[:idx.size]
    old_reason = np.asarray(flat_gait.reason)[idx]
    better = new_conv | ((old_reason == FALLS) & (new_reason != FALLS))
    if not better.any():
        return gait
    return _shaped_gait(_assign(flat_gait, idx[better], again, np.flatnonzero(better)), shape)


def _held_solve(pa, guess, free, target, opts, iters, fd_rows):
    """One held-speed solve for ``free`` from the given start, then from the neutral point,
    then from the nearest solved neighbour, then from a higher apex (``_held_retry``).

    A small batch (``SIDE_BY_SIDE``) solves its start and the neutral and raised retries' starts
    side by side in one solve, each retry's rows stopped as soon as their point's own start has
    converged; the retries then take those answers. The answer is the sequential one (each
    row's Newton is its own), in the time of the longest of the three rather than their sum."""
    shape = np.broadcast_shapes(*[np.shape(v) for v in
                                  jax.tree_util.tree_leaves((pa, guess, target))])
    n = int(np.prod(shape, dtype=int))
    solved = {}
    if SIDE_BY_SIDE * n * (1 + 2 * len(free)) <= (fd_rows or FD_ROWS) \
            and SIDE_BY_SIDE * n <= batch.BUCKET_MIN:
        pf, gf, tf = _flat(pa, shape), _flat(guess, shape), _flat(target, shape)
        starts = [(pf, gf)] + [_seeded(pf, gf, tf, seed) for seed in ("neutral", "raised")]
        cat = lambda *ts: jax.tree_util.tree_map(lambda *v: np.concatenate(v), *ts)  # noqa: E731
        lead = np.concatenate([np.full(n, -1), np.arange(n), np.arange(n)])
        both = solve_gait(cat(*[p for p, _ in starts]), cat(*[g for _, g in starts]), free=free,
                          targets={"speed_m_per_s": np.tile(tf, SIDE_BY_SIDE)}, options=opts,
                          iters=iters, fd_rows=fd_rows, stop_with=lead)
        gait = _shaped_gait(_take(both, slice(0, n)), shape)
        solved = {"neutral": _take(both, slice(n, 2 * n)),
                  "raised": _take(both, slice(2 * n, 3 * n))}
    else:
        gait = solve_gait(pa, guess, free=free, targets={"speed_m_per_s": target},
                          options=opts, iters=iters, fd_rows=fd_rows)
    for seed in ("neutral", "neighbours", "raised"):
        gait = _held_retry(pa, guess, gait, free, target, opts, iters, fd_rows, seed,
                           solved.get(seed))
    return gait


#: Starts per point solved side by side in a small held-speed batch (``_held_solve``): the
#: given one, the neutral point's and the raised apex's. Where all their finite-difference
#: rows fit in one ``simulate`` call (3 x 7 rows a point: 3 points in the explorer's 64), they
#: cost one call per iteration, as one start does.
SIDE_BY_SIDE = 3


#: The free variables of a gait under a foot-placement law (``solve_controlled``): the apex and
#: the landing angle the law chooses; the speed is the energy balance's.
CONTROLLED = ("apex_height_m", "apex_speed_m_per_s", "angle_of_attack_rad")
#: Closed-loop steps walked from the start before Newton (``controlled_walk``): with the
#: closed loop's multipliers about 0.3-0.6 (measured on the shipped configs), 25 steps bring
#: the state within about 1e-6 of the gait, where Newton converges in a few iterations.
CONTROLLED_STEPS = 25
#: The walk calls a runner "slowing to a stop" when its apex speed falls below this fraction
#: of the speed it aims at (Raibert's placement only brakes harder as the speed drops).
SLOWS_BELOW = 0.6
#: Rounds of solving a batch's unsolved points again from their nearest solved neighbour
#: (``_from_neighbours``).
NEIGHBOUR_ROUNDS = 2
#: A single runner with no gait from its start is solved again from these multiples of its
#: start's apex height (``_from_other_heights``), side by side.
SEED_HEIGHT_FACTORS = (0.97, 1.03)
#: The placed foot must land at least this far (in leg lengths) below the apex (the engine's
#: ``raibert`` landing mode uses the same margin).
LANDING_MARGIN = sw.LANDING_MARGIN


def placement_angle(params: Params, gain_s, aim_m_per_s, speed_m_per_s, contact_time_s):
    """The angle of attack (rad) of Raibert's law, L0 cos α = v τ/2 + K (v − v*)
    (``RaibertPlacement``), the foot kept between 0.95 L0 ahead of and 0.3 L0 behind the hip."""
    pa = as_arrays(params)
    c = (0.5 * np.asarray(speed_m_per_s) * np.asarray(contact_time_s)
         + np.asarray(gain_s) * (np.asarray(speed_m_per_s) - np.asarray(aim_m_per_s)))
    return np.arccos(np.clip(c / np.asarray(pa.leg_length_m), -0.3, 0.95))


def reachable_angle(params: Params, apex_height_m, angle_rad):
    """``angle_rad`` lowered where needed so that the foot, landing at β = π/2 − α − λ from the
    surface normal, touches down at least ``LANDING_MARGIN`` leg lengths below the apex; NaN
    where no angle does (the apex is within the margin of the surface)."""
    pa = as_arrays(params)
    h = np.asarray(apex_height_m) / np.asarray(pa.leg_length_m) - LANDING_MARGIN
    with np.errstate(invalid="ignore"):
        beta_min = np.where(h >= 1.0, 0.0, np.arccos(np.clip(h, -1.0, 1.0)))
        top = 0.5 * np.pi - np.asarray(pa.lean_rad) - beta_min
    return np.where(h > 0.0, np.minimum(angle_rad, top), np.nan)


def controlled_walk(params: Params, y, v, placement: RaibertPlacement, options: Options,
                    steps: int = CONTROLLED_STEPS, rows_per_call: int = FD_ROWS):
    """Walk the closed loop from the apex (y, v) (flat arrays (N,)) for ``steps`` steps: at each
    apex the law's angle (the last contact time; π√(m/k) before the first step), lowered where
    the foot could not land (``reachable_angle``).

    Returns:
        (y, v, α): the mean of the last two apexes reached and the law's angle there (a closed
        loop with a multiplier near −1 alternates between two apexes around the gait), and a
        reason per
        point: ``SLOWS`` (the speed fell below ``SLOWS_BELOW`` of the aim), ``NO_FLIGHT`` (the
        apex sank to where no foot placement lands, or the step failed, or the walk ended,
        with the foot placed lower than the law asked), ``FALLS`` (a step failed otherwise),
        or −1 (walked all the steps).
    """
    p = as_arrays(params)
    n = np.shape(y)[0]
    gain = np.broadcast_to(np.asarray(placement.gain_s, float), (n,))
    aim = np.broadcast_to(np.asarray(v if placement.speed_m_per_s is None
                                     else placement.speed_m_per_s, float), (n,))
    y, v = np.array(y, float), np.array(v, float)
    tau = np.pi * np.sqrt(np.asarray(p.mass_kg) / np.asarray(p.leg_stiffness_n_per_m)) * np.ones(n)
    alpha = placement_angle(p, gain, aim, v, tau)
    reason = np.full(n, -1)
    active = np.ones(n, bool)
    prev = (y.copy(), v.copy(), tau.copy())
    clamped_at = np.zeros(n, bool)       # the foot placed lower than the law asked, last step
    push, damping, k = (np.broadcast_to(np.asarray(getattr(p, f), float), (n,)) for f in
                        ("push_force_bw", "leg_damping_n_s_per_m", "leg_stiffness_n_per_m"))
    for _ in range(steps):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        law = placement_angle(p, gain, aim, v, tau)
        reach = reachable_angle(p, y, law)
        lost = ~np.isfinite(reach[idx])
        reason[idx[lost]] = NO_FLIGHT
        active[idx[lost]] = False
        idx = idx[~lost]
        if idx.size == 0:
            break
        alpha[idx] = reach[idx]
        clamped_at[idx] = reach[idx] < law[idx] - 1e-12
        x = np.stack([y[idx], v[idx], reach[idx], push[idx], damping[idx], k[idx]], axis=1)
        sub = jax.tree_util.tree_map(
            lambda a: np.broadcast_to(np.asarray(a, float), (n,))[idx], p)
        out, _, code, _, _ = _one_step(sub, x, options, rows_per_call)
        # a completed step carries on, even one that leaves the ground descending (a transient
        # from the user's start); the gait itself must lift off ascending (``solve_gait``)
        valid = (code == st.OK) & np.all(np.isfinite(out[:, :2]), axis=1)
        bad = ~valid
        clamped = reach[idx] < law[idx] - 1e-12
        reason[idx[bad]] = np.where(clamped[bad], NO_FLIGHT, FALLS)
        active[idx[bad]] = False
        good = idx[valid]
        for a, b in zip(prev, (y, v, tau)):
            a[good] = b[good]
        y[good], v[good], tau[good] = out[valid, 0], out[valid, 1], out[valid, _TC]
        slow = good[v[good] < SLOWS_BELOW * aim[good]]
        reason[slow] = SLOWS
        active[slow] = False
    # walked to the end but still placing the foot lower than the law asks: the law's own
    # gait would land the foot above the apex
    reason = np.where((reason == -1) & clamped_at, NO_FLIGHT, reason)
    y, v, tau = (0.5 * (a + b) for a, b in zip(prev, (y, v, tau)))
    law = reachable_angle(p, y, placement_angle(p, gain, aim, v, tau))
    alpha = np.where(np.isfinite(law), law, alpha)
    return y, v, alpha, reason


def solve_controlled(params: Params, guess: State, placement: RaibertPlacement, *,
                     options: Options | None = None, iters: int = 40,
                     fd_rows: int | None = None) -> SteadyGait:
    """The steady gait of a runner whose foot placement is Raibert's law (MODEL.md §11), its
    speed free (set by the energy balance: push against damping and the ground's losses), batched.

    First the closed loop is walked ``CONTROLLED_STEPS`` steps from ``guess`` with the
    parameters as given (``controlled_walk``); Newton (``solve_gait`` with ``free=CONTROLLED``
    and the law's equation) then starts from where the walk ended, and once more from the
    user's guess where that fails, and then from the gait of the nearest point of the batch that
    has one (``_from_neighbours``: a sweep's grid is solved by continuation where the walk from
    the config's start fails). A point with no gait whose walk slowed to a stop or lost its
    flight gets that reason (``SLOWS``, ``NO_FLIGHT``) rather than Newton's. A point's answer
    can therefore depend on the other points of its batch (a sweep's chunk) where the walk
    alone finds no gait; a point with a gait from the walk does not.

    Returns:
        ``SteadyGait`` (``controlled_multipliers`` (..., 3): the closed loop's).
    """
    from simsrc.engine.params import is_conservative

    pa = as_arrays(params)
    aim = guess.vx_m_per_s if placement.speed_m_per_s is None else placement.speed_m_per_s
    (p, (y0, v0, gain, aim)), shape = batch.flatten(
        pa, (guess.y_m, guess.vx_m_per_s, placement.gain_s, aim), padded=False)
    n_all = int(np.prod(shape, dtype=int))
    law = RaibertPlacement(gain, aim)
    opts = fd_options(p, CONTROLLED, options)
    rows = fd_rows or FD_ROWS
    hold = bool(is_conservative(p))
    y, v, alpha, walked = controlled_walk(p, y0, v0, law, opts, rows_per_call=rows)
    start = np.isfinite(y) & np.isfinite(alpha)
    y, v = np.where(start, y, y0), np.where(start, v, v0)
    tau0 = np.pi * np.sqrt(np.asarray(p.mass_kg) / np.asarray(p.leg_stiffness_n_per_m))
    law0 = placement_angle(p, gain, aim, v0, tau0)
    alpha = np.where(start, alpha, law0)
    gait = solve_gait(p._replace(angle_of_attack_rad=alpha), State(0.0 * y, y, v, 0.0 * y),
                      free=CONTROLLED, options=opts, iters=iters, fd_rows=rows, placement=law,
                      hold_energy=hold)
    retry = np.flatnonzero(~np.asarray(gait.converged))
    if retry.size:
        take = lambda a: np.asarray(a)[retry]  # noqa: E731
        sub = jax.tree_util.tree_map(take, p)
        reach = reachable_angle(sub, y0[retry], law0[retry])
        again = solve_gait(sub._replace(angle_of_attack_rad=np.where(np.isfinite(reach), reach,
                                                                     law0[retry])),
                           State(0.0 * y0[retry], y0[retry], v0[retry], 0.0 * y0[retry]),
                           free=CONTROLLED, options=opts, iters=iters, fd_rows=rows,
                           placement=RaibertPlacement(gain[retry], aim[retry]),
                           hold_energy=hold)
        better = np.asarray(again.converged)
        gait = _assign(gait, retry[better], again, better)
    gait = _from_neighbours(p, gait, RaibertPlacement(gain, aim), n_all, opts, iters, rows, hold)
    if n_all == 1 and not bool(np.asarray(gait.converged)[0]):
        gait = _from_other_heights(p, gait, y0, v0, law0, RaibertPlacement(gain, aim), opts,
                                   iters, rows, hold)
    reason = np.asarray(gait.reason).copy()
    named = (~np.asarray(gait.converged)) & np.isin(walked, (SLOWS, NO_FLIGHT))
    reason[named] = walked[named]
    gait = gait._replace(reason=reason, message=np.array([REASONS[int(c)] for c in reason]))
    cut = lambda a: np.asarray(a)[:n_all].reshape(tuple(shape) + np.shape(a)[1:])  # noqa: E731
    return SteadyGait(**{f: (getattr(gait, f) if f in ("free", "targets") else
                             jax.tree_util.tree_map(cut, getattr(gait, f)))
                         for f in SteadyGait._fields})


def nearest_solved(params: Params, extra, solved, unsolved, n_all: int):
    """For each index of ``unsolved``, the index of ``solved`` nearest in parameter space: the
    distance over every parameter (and each array of ``extra``) that varies among the first
    ``n_all`` elements of the flat batch, each scaled by its range there."""
    cols = [np.asarray(v, float)[:n_all] for v in jax.tree_util.tree_leaves((params, extra))
            if np.ndim(v)]
    cols = [c / np.ptp(c) for c in cols if np.ptp(c) > 0.0]
    if not cols:
        return np.full(len(unsolved), solved[0])
    from scipy.spatial import cKDTree   # memory O(points), not O(unsolved x solved)

    x = np.stack(cols, axis=1)
    _, nearest = cKDTree(x[solved]).query(x[unsolved])
    return solved[np.asarray(nearest, int)]


def _from_neighbours(p, gait: SteadyGait, law: RaibertPlacement, n_all, opts, iters, rows,
                     hold) -> SteadyGait:
    """Points of a batch with no gait yet, solved again from the gait of the nearest point that
    has one (``nearest_solved``): continuation across a sweep's grid. The closed-loop walk
    from the config's start can slow below ``SLOWS_BELOW`` or oscillate (a period-2 transient
    of a bouncy runner) although a gait exists, stable or not, a grid step away; Newton from
    that neighbour's apex and landing angle finds it. ``NEIGHBOUR_ROUNDS`` rounds, so that a
    point solved in one round can seed the next; each round is one batched ``solve_gait`` of
    the points still unsolved (the one program every solve shares)."""
    for _ in range(NEIGHBOUR_ROUNDS):
        conv = np.asarray(gait.converged)[:n_all]
        unsolved, solved = np.flatnonzero(~conv), np.flatnonzero(conv)
        if unsolved.size == 0 or solved.size == 0:
            break
        src = nearest_solved(p, (law.gain_s, law.speed_m_per_s), solved, unsolved, n_all)
        y, v, alpha = (np.asarray(gait.value(f))[src] for f in CONTROLLED)
        sub = jax.tree_util.tree_map(lambda a: np.asarray(a)[unsolved], p)
        again = solve_gait(sub._replace(angle_of_attack_rad=alpha),
                           State(0.0 * y, y, v, 0.0 * y), free=CONTROLLED, options=opts,
                           iters=iters, fd_rows=rows, hold_energy=hold,
                           placement=RaibertPlacement(np.asarray(law.gain_s)[unsolved],
                                                      np.asarray(law.speed_m_per_s)[unsolved]))
        better = np.asarray(again.converged)[:unsolved.size]
        if not better.any():
            break
        gait = _assign(gait, unsolved[better], again, np.flatnonzero(better))
    return gait


def _from_other_heights(p, gait: SteadyGait, y0, v0, law0, law: RaibertPlacement, opts, iters,
                        rows, hold) -> SteadyGait:
    """A single runner with no gait yet (it has no neighbours to continue from), solved again
    from apex heights ``SEED_HEIGHT_FACTORS`` × its start's, side by side in one
    ``solve_gait``; the first that converges is kept. The closed-loop walk from a start can
    slow to a stop although a gait exists (the sand config from 0.94 or 0.95 m: a gait at
    0.897 m, 3.30 m/s, found from 0.92 or 0.98 m)."""
    k = len(SEED_HEIGHT_FACTORS)
    sub = jax.tree_util.tree_map(lambda a: np.repeat(np.asarray(a)[:1], k), p)
    y = np.asarray(y0)[0] * np.asarray(SEED_HEIGHT_FACTORS)
    v = np.full(k, np.asarray(v0)[0])
    again = solve_gait(sub._replace(angle_of_attack_rad=np.full(k, np.asarray(law0)[0])),
                       State(0.0 * y, y, v, 0.0 * y), free=CONTROLLED, options=opts,
                       iters=iters, fd_rows=rows, hold_energy=hold,
                       placement=RaibertPlacement(np.full(k, np.asarray(law.gain_s)[0]),
                                                  np.full(k, np.asarray(law.speed_m_per_s)[0])))
    ok = np.flatnonzero(np.asarray(again.converged)[:k])
    return _assign(gait, np.array([0]), again, ok[:1]) if ok.size else gait


def controlled_run(params: Params, state: State, placement: RaibertPlacement, n_steps: int, *,
                   options: Options | None = None, trajectory: bool = False):
    """``n_steps`` steps from ``state`` under Raibert's foot placement (one runner: scalar
    parameters): at each apex the law's angle from the apex speed and the last contact time
    (π√(m/k) before the first step), lowered where the foot could not land
    (``reachable_angle``). Each step is one ``simulate`` call (the program every solve shares).

    Returns:
        an ``engine.simulate.Run`` like ``simulate``'s (records on the step axis, the trajectory
        per step, times from each step's start); a run whose step fails ends with that step.
    """
    from simsrc.engine.simulate import Run

    p = as_arrays(params)
    if any(np.ndim(v) for v in jax.tree_util.tree_leaves((p, state))):
        raise SimsrcInputError("controlled_run: one runner at a time (scalar parameters)")
    opts = fd_options(p, CONTROLLED, options)
    aim = state.vx_m_per_s if placement.speed_m_per_s is None else placement.speed_m_per_s
    tau = float(np.pi * np.sqrt(p.mass_kg / p.leg_stiffness_n_per_m))
    runs, s = [], state
    for _ in range(int(n_steps)):
        law = placement_angle(p, placement.gain_s, aim, s.vx_m_per_s, tau)
        alpha = reachable_angle(p, s.y_m, law)
        if not np.isfinite(alpha):
            alpha = law
        run = simulate(p._replace(angle_of_attack_rad=float(alpha)), s, 1, options=opts,
                       trajectory=trajectory, check=False)
        run = jax.device_get(run)
        runs.append(run)
        if int(np.asarray(run.records.status)[0]) != st.OK:
            break
        s = jax.tree_util.tree_map(lambda v: float(np.asarray(v)), run.final_state)
        tau = float(np.asarray(run.records.contact_time_s)[0])
    cat = lambda *v: np.concatenate([np.asarray(a) for a in v], axis=0)  # noqa: E731
    records = jax.tree_util.tree_map(cat, *[r.records for r in runs])
    traj = (jax.tree_util.tree_map(cat, *[r.trajectory for r in runs]) if trajectory else None)
    return Run(records, traj, runs[-1].final_state, opts, None)


def _assign(gait: SteadyGait, where, other: SteadyGait, pick) -> SteadyGait:
    """``gait`` (flat) with its elements ``where`` replaced by ``other``'s elements ``pick``."""
    def put(a, b):
        a = np.array(a, copy=True)
        a[where] = np.asarray(b)[pick]
        return a
    fields = {f: (getattr(gait, f) if f in ("free", "targets") else
                  jax.tree_util.tree_map(put, getattr(gait, f), getattr(other, f)))
              for f in SteadyGait._fields}
    return SteadyGait(**fields)


def energy_hint(gait: SteadyGait, params: Params) -> str:
    """Why a free-speed gait cannot exist when one side of the energy balance is missing: a
    sentence starting with a newline and two spaces (for ``simsrc run`` and ``simsrc explore``),
    or "" when it has targets or both sides are present (``gait``: a scalar ``SteadyGait``)."""
    from simsrc.engine.params import conservation_breakers

    if gait.targets:
        return ""
    breakers = {name for name, _, _ in conservation_breakers(params)}
    losses = breakers & {"leg_damping_n_s_per_m", "surface_damping_n_s_per_m",
                         "surface_restitution"}
    if "push_force_bw" in breakers and not losses and "slope_rad" not in breakers:
        return ("\n  the push adds energy every step and nothing takes it away (no leg or "
                "surface damping, an elastic surface, level ground), so no speed is steady: "
                "give the leg damping (leg_damping_ratio), or hold a speed with --target-speed")
    if losses and "push_force_bw" not in breakers and "slope_rad" not in breakers:
        return ("\n  the runner loses energy every step and nothing puts it back (no push), so "
                "it slows to a stop: give it a push (push_force_bw), or hold a speed with "
                "--target-speed")
    return ""
