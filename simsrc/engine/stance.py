"""Stance: the leg on the ground from touchdown to liftoff (docs/physics.md §2).

The stance state ``SY`` holds the COM position and velocity, the surface sink and the running
integrals of the energy ledger. Three models of the contact point, chosen statically:

* ``"rigid"``: z ≡ 0, RK4.
* ``"algebraic"``: a compliant elastic-plastic surface with no damper in series. z solves the
  normal force balance at every instant (Newton; differentiated by the implicit-function
  theorem), RK4. Never stiff, whatever the surface stiffness.
* ``"damped"``: a damper in series with a compliant surface. z is a state, integrated by the
  IMEX method ARK3 (``integrators.py``) with z implicit. Covers every case (it reduces to the
  algebraic contact without dampers and to z ≡ 0 on rigid ground), at 3rd order.

Each model provides ``evaluate(Y, aux) -> Eval`` and ``step(Y, aux, h) -> (Y, aux, Eval at
start)``. ``aux`` holds what is not integrated: the peak surface force so far (algebraic), or
the deepest sink and the sink rate (damped).

``Features`` switches terms off statically when their parameters are zero for the whole batch
(no push, no leg damping), so the classical SLIP runs at the speed of the classical SLIP.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from simsrc.engine.integrators import (ARK_A_EXPLICIT, ARK_A_IMPLICIT, ARK_B, ARK_GAMMA, METHODS,
                                axpy)
from simsrc.engine.frame import gravity_m_per_s2
from simsrc.engine.leg import leg_force_n, push_force_and_slope_n, push_force_n
from simsrc.engine.surface import compliance_times_force_m, unloaded_force, unloaded_force_slope


class SY(NamedTuple):
    """Stance state: COM (m, m/s), sink z (m) and ledger integrals (J).

    Fields a model does not integrate are ``None`` (an empty PyTree node), so they cost
    nothing: the classical SLIP integrates four numbers, not nine.
    """

    x: jax.Array
    y: jax.Array
    vx: jax.Array
    vy: jax.Array
    z: jax.Array
    w_leg_damping: jax.Array
    w_push_positive: jax.Array
    w_push_negative: jax.Array
    w_surface_damping: jax.Array


class Features(NamedTuple):
    """Static switches: terms that are zero for the whole batch are not computed."""

    push: bool = True
    leg_damping: bool = True


class Eval(NamedTuple):
    """Derivative and forces at one instant of stance."""

    dy: SY
    leg_force_n: jax.Array
    normal_force_n: jax.Array      # ground reaction force normal to the surface (on the body)
    horizontal_force_n: jax.Array  # along the surface, forward positive
    sink_m: jax.Array
    leg_length_m: jax.Array


def initial_state(td_state, surface_model: str, feats: Features) -> SY:
    """Stance state at touchdown, with ``None`` in the fields this configuration never uses."""
    x, y, vx, vy = td_state
    zero = jnp.zeros_like(x)
    return SY(x, y, vx, vy,
              z=None if surface_model == "rigid" else zero,
              w_leg_damping=zero if feats.leg_damping else None,
              w_push_positive=zero if feats.push else None,
              w_push_negative=zero if feats.push else None,
              w_surface_damping=zero if surface_model == "damped" else None)


def sink(Y: SY):
    """The surface sink z of a stance state (0.0 on rigid ground)."""
    return 0.0 if Y.z is None else Y.z


def _scaled(dy, h):
    """dY/dτ = h dY/dt: the explicit methods step in scaled time τ = t/h with unit steps.

    With a per-element step size h (each runner of a batch has its own stance time), XLA on CPU
    fused a unit-step method with h folded into the derivative 4x better than the same method
    with h in every stage combination (benchmarks/README.md).
    """
    return jax.tree_util.tree_map(lambda a: a * h, dy)


def _sg(tree):
    return jax.tree_util.tree_map(jax.lax.stop_gradient, tree)


def _push(p, sin_phi, feats):
    return push_force_n(p, sin_phi) if feats.push else 0.0


def _damping(p, feats):
    return p.leg_damping_n_s_per_m if feats.leg_damping else 0.0


def _eval(p, Y: SY, x_f, zdot, feats: Features) -> Eval:
    """Forces and derivative at state Y with sink Y.z and sink rate ``zdot``."""
    rx = Y.x - x_f
    ry = Y.y + sink(Y)
    length = jnp.sqrt(rx * rx + ry * ry)
    inv_l = 1.0 / length
    push = _push(p, rx * inv_l, feats)
    need_rate = feats.push or feats.leg_damping
    ldot = (rx * Y.vx + ry * (Y.vy + zdot)) * inv_l if need_rate else 0.0
    c_leg = _damping(p, feats)
    force = leg_force_n(p, length, ldot if feats.leg_damping else None,
                        push if feats.push else None)
    gx, gy = gravity_m_per_s2(p)
    fx = force * rx * inv_l
    fy = force * ry * inv_l
    inv_m = 1.0 / p.mass_kg
    power = push * ldot
    zero = jnp.zeros_like(length)
    dy = SY(Y.vx, Y.vy, fx * inv_m + gx, fy * inv_m + gy,
            None if Y.z is None else zdot + zero,
            None if Y.w_leg_damping is None else c_leg * ldot * ldot,
            None if Y.w_push_positive is None else jnp.maximum(power, 0.0),
            None if Y.w_push_negative is None else jnp.minimum(power, 0.0),
            None if Y.w_surface_damping is None else p.surface_damping_n_s_per_m * zdot * zdot)
    return Eval(dy, force, fy, fx, sink(Y) + zero, length)


# ----------------------------------------------------------------------------------- rigid

def rigid_model(p, x_f, feats, method="dop853"):
    """Rigid ground: z ≡ 0, explicit Runge-Kutta (``method``)."""
    integrate = METHODS[method]

    def evaluate(Y, aux):
        return _eval(p, Y, x_f, 0.0, feats)

    def step(Y, aux, h):
        ev = evaluate(Y, aux)
        y_new = integrate(lambda y: _scaled(evaluate(y, aux).dy, h), Y, 1.0, k1=_scaled(ev.dy, h))
        return y_new, aux, ev

    return evaluate, step, jnp.zeros_like(p.mass_kg)


# ------------------------------------------------------------------------------- algebraic

def _normal_force_partials(p, rx, ry, feats):
    """F_n = F cos ψ (N) for a leg vector (rx, ry) with no leg damper, and ∂F_n/∂rx, ∂F_n/∂ry.

    F = k (L0 − L) + F_act(sin φ), L = √(rx² + ry²), sin φ = rx/L, cos ψ = ry/L. Closed-form
    partials keep the contact solve free of nested autodiff (which made the gradient's compile
    take minutes).
    """
    length = jnp.sqrt(rx * rx + ry * ry)
    inv_l = 1.0 / length
    inv_l3 = inv_l * inv_l * inv_l
    push, slope = push_force_and_slope_n(p, rx * inv_l) if feats.push else (None, None)
    force = leg_force_n(p, length, push_n=push)
    dforce_drx = -p.leg_stiffness_n_per_m * rx * inv_l
    dforce_dry = -p.leg_stiffness_n_per_m * ry * inv_l
    if feats.push:
        dforce_drx = dforce_drx + slope * ry * ry * inv_l3      # d(rx/L)/drx = ry²/L³
        dforce_dry = dforce_dry - slope * rx * ry * inv_l3      # d(rx/L)/dry = −rx ry/L³
    cos_psi = ry * inv_l
    normal = force * cos_psi
    dn_drx = dforce_drx * cos_psi - force * ry * rx * inv_l3    # d(ry/L)/drx = −rx ry/L³
    dn_dry = dforce_dry * cos_psi + force * rx * rx * inv_l3    # d(ry/L)/dry = rx²/L³
    return normal, dn_drx, dn_dry


def _sink_residual_and_slope(p, rx, y, z, peak_n, feats):
    """g(z) = z − C·U(F_n(z), F_peak) and dg/dz, with dF_n/dz = ∂F_n/∂ry."""
    c = p.surface_compliance_m_per_n
    r = p.surface_restitution
    normal, _, dn_dry = _normal_force_partials(p, rx, y + z, feats)
    du = unloaded_force_slope(normal, peak_n, r)
    return z - c * unloaded_force(normal, peak_n, r), 1.0 - c * du * dn_dry


def solve_sink(p, q, peak_n, x_f, z_guess, feats, iters=3):
    """Sink z (m) of the massless contact point: z = C·U(F cos ψ(z), F_peak) (Newton).

    ``iters`` Newton steps run without gradient from ``z_guess``; one more step carries the
    gradient, which gives exactly the implicit-function derivative at convergence. Needs no
    leg damper (the algebraic model). Returns (z, ż) with ż by the implicit-function theorem
    along the body's velocity: ż = C U' (∂F_n/∂rx vx + ∂F_n/∂ry vy) / (1 − C U' ∂F_n/∂ry).
    """
    ps, qs, fs = _sg((p, q, peak_n))
    rx_s = qs[0] - x_f

    def newton(_, z):
        g, dg = _sink_residual_and_slope(ps, rx_s, qs[1], z, fs, feats)
        return z - g / dg

    z = jax.lax.stop_gradient(jax.lax.fori_loop(0, iters, newton, jax.lax.stop_gradient(z_guess)))
    _, dg = _sink_residual_and_slope(ps, rx_s, qs[1], z, fs, feats)
    g, _ = _sink_residual_and_slope(p, q[0] - x_f, q[1], z, peak_n, feats)
    z = z - g / dg
    # ż along the motion (differentiable)
    c = p.surface_compliance_m_per_n
    r = p.surface_restitution
    normal, dn_drx, dn_dry = _normal_force_partials(p, q[0] - x_f, q[1] + z, feats)
    du = unloaded_force_slope(normal, peak_n, r)
    zdot = c * du * (dn_drx * q[2] + dn_dry * q[3]) / (1.0 - c * du * dn_dry)
    return z, zdot


def algebraic_model(p, x_f, feats, newton_iters=3, method="dop853"):
    """Compliant surface with no damper in series: z algebraic, explicit Runge-Kutta."""
    integrate = METHODS[method]

    def evaluate(Y, peak_n):
        q = (Y.x, Y.y, Y.vx, Y.vy)
        z, zdot = solve_sink(p, q, peak_n, x_f, Y.z, feats, newton_iters)
        return _eval(p, Y._replace(z=z), x_f, zdot, feats)

    def step(Y, peak_n, h):
        ev = evaluate(Y, peak_n)
        peak_new = jnp.maximum(peak_n, ev.normal_force_n)
        y_new = integrate(lambda y: _scaled(evaluate(y, peak_new).dy, h),
                          Y._replace(z=ev.sink_m), 1.0, k1=_scaled(ev.dy, h))
        return y_new, peak_new, ev

    return evaluate, step, jnp.zeros_like(p.mass_kg)


# ---------------------------------------------------------------------------------- damped

def _normal_parts(p, Y, z, x_f, feats):
    rx = Y.x - x_f
    ry = Y.y + z
    length = jnp.sqrt(rx * rx + ry * ry)
    cos_psi = ry / length
    ldot_body = (rx * Y.vx + ry * Y.vy) / length
    c_leg = _damping(p, feats)
    f_n0 = leg_force_n(p, length, ldot_body if feats.leg_damping else None,
                       push_force_n(p, rx / length) if feats.push else None) * cos_psi
    c_eff = p.surface_damping_n_s_per_m + c_leg * cos_psi * cos_psi
    return f_n0, c_eff


def _stage_residual(p, Y, z, base, hg, zmax, x_f, feats):
    """C c_eff (z − base) − hγ (C F_n0 − C F_e(z)): implicit stage of the contact point."""
    c = p.surface_compliance_m_per_n
    f_n0, c_eff = _normal_parts(p, Y, z, x_f, feats)
    return c * c_eff * (z - base) - hg * (
        c * f_n0 - compliance_times_force_m(z, zmax, p.surface_restitution))


def initial_sink_rate(p, Y, x_f, feats):
    """ż at touchdown (z = 0): F_n0 / c_eff, or 0 without a damper or on rigid ground."""
    f_n0, c_eff = _normal_parts(p, Y, 0.0, x_f, feats)
    ok = (c_eff > 0) & (p.surface_compliance_m_per_n > 0)
    return jnp.where(ok, jnp.maximum(f_n0, 0.0) / jnp.where(ok, c_eff, 1.0), 0.0)


def _solve_stage(p, Y, base, hg, zmax, x_f, feats, iters):
    ps, Ys, bs, hs, zs = _sg((p, Y, base, hg, zmax))
    one = jnp.ones_like(bs)

    def newton(_, z):
        val, der = jax.jvp(lambda zz: _stage_residual(ps, Ys, zz, bs, hs, zs, x_f, feats),
                           (z,), (one,))
        return z - val / der

    z = jax.lax.stop_gradient(jax.lax.fori_loop(0, iters, newton, bs))
    _, der = jax.jvp(lambda zz: _stage_residual(ps, Ys, zz, bs, hs, zs, x_f, feats),
                     (z,), (one,))
    return z - _stage_residual(p, Y, z, base, hg, zmax, x_f, feats) / der


def damped_model(p, x_f, feats, newton_iters=4):
    """A damper in series with a compliant surface: ARK3 IMEX, contact point implicit."""

    def evaluate(Y, aux):
        return _eval(p, Y, x_f, aux[1], feats)

    def step(Y, aux, h):
        zmax, zdot = aux
        ev1 = _eval(p, Y, x_f, zdot, feats)
        fe = [ev1.dy._replace(z=jnp.zeros_like(zdot))]
        zd = [zdot]
        hg = h * ARK_GAMMA
        for i in range(1, 4):
            q = axpy(Y, h, list(zip(ARK_A_EXPLICIT[i], fe)))
            base = Y.z + h * sum(a * v for a, v in zip(ARK_A_IMPLICIT[i], zd))
            z_i = _solve_stage(p, q, base, hg, zmax, x_f, feats, newton_iters)
            zd_i = (z_i - base) / hg
            ev = _eval(p, q._replace(z=z_i), x_f, zd_i, feats)
            fe.append(ev.dy._replace(z=jnp.zeros_like(zdot)))
            zd.append(zd_i)
        y_new = axpy(Y, h, list(zip(ARK_B, fe)))._replace(z=z_i)
        return y_new, (jnp.maximum(zmax, z_i), zd_i), ev1

    zero = jnp.zeros_like(p.mass_kg)
    return evaluate, step, (zero, zero)


# -------------------------------------------------------------------------------- choosing

SURFACE_MODELS = ("rigid", "algebraic", "damped")


def make_model(p, x_f, surface_model: str, feats: Features, newton_iters: int,
               method: str = "dop853"):
    """(evaluate, step, aux0) of the named contact model (``SURFACE_MODELS``).

    ``method`` is the explicit integrator of the rigid and algebraic models (``"dop853"`` or
    ``"rk4"``); the damped model always uses ARK3.
    """
    if surface_model == "rigid":
        return rigid_model(p, x_f, feats, method)
    if surface_model == "algebraic":
        return algebraic_model(p, x_f, feats, newton_iters, method)
    if surface_model == "damped":
        return damped_model(p, x_f, feats, newton_iters + 1)
    raise ValueError(f"surface_model must be one of {SURFACE_MODELS}, got {surface_model!r}")
