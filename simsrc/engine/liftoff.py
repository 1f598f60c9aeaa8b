"""Stance from touchdown to liftoff with a fixed number of steps and a root-found liftoff.

Two passes, both of fixed shape (so ``vmap`` and ``scan`` stay cheap):

1. **Search** (``search_steps`` RK4 steps, not differentiated) over a time budget that scales
   with the period of the series spring, ``horizon_factor · 2π √(m (1/k + C))``. The first
   sample where the leg force is negative brackets liftoff; a cubic through the neighbouring
   samples estimates its time. This pass also decides the failures (no liftoff within the
   budget, a fall).
2. **Final** (``stance_steps`` steps of the accurate method): equal steps from touchdown to the
   estimated liftoff (the damped model's first few graded, ``stance_path``), the last one
   re-sized by Newton's method so that the leg force is zero at its end. Its samples are the
   stance part of the dense trajectory and feed the peaks.

Gradients: only the last Newton update carries a gradient, h ← h − F(h)/Ḟ with Ḟ the rate of
the leg force along the flow at the end of the step. At convergence (F = 0) this is the
implicit-function-theorem derivative of the liftoff time, dt_lo/dθ = −(∂F/∂θ)/(dF/dt), and the
liftoff state follows it to first order: y_lo = y(h) + ẏ · (h_new − h).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine.stance import SY, Eval


class StancePath(NamedTuple):
    """The final pass of a stance: samples (n + 1, incl. touchdown and liftoff) and outcome."""

    t_s: jax.Array        # (n+1,) time since touchdown
    y: SY                 # stance states, leaves of shape (n+1,)
    ev: Eval              # forces and derivatives at the samples (leaves with leading n+1)
    aux_end: object       # contact-model aux at liftoff
    contact_time_s: jax.Array
    found: jax.Array      # liftoff found within the horizon
    fell: jax.Array       # the COM reached the surface before liftoff


def _march(step, y0, aux0, h, n, keep=True):
    """``n`` steps of size h (a scalar, or an array of n sizes). Returns (outs, y_end, aux_end);
    outs are (states, aux, evals) at each step's start if ``keep`` else (F, y, ż) there."""
    def body(carry, hh):
        y, aux = carry
        y_new, aux_new, ev = step(y, aux, hh)
        if keep:
            out = (y, aux, ev._replace(dy=None))
        else:
            out = (ev.leg_force_n, y.y, jnp.zeros_like(y.y) if ev.dy.z is None else ev.dy.z)
        return (y_new, aux_new), out

    hs = jnp.broadcast_to(h, (n,)) if jnp.ndim(h) == 0 else h
    (y_end, aux_end), outs = jax.lax.scan(body, (y0, aux0), hs)
    return outs, y_end, aux_end


def _cubic_root(f, j):
    """Fractional index in [j-1, j] where the cubic through 4 samples around j crosses zero."""
    n = f.shape[0]
    i0 = jnp.clip(j - 2, 0, n - 4)
    fw = jax.lax.dynamic_slice(f, (i0,), (4,))
    nodes = i0 + jnp.arange(4)

    def poly(s):
        out = 0.0
        for a in range(4):
            term = fw[a]
            for b in range(4):
                if a != b:
                    term = term * (s - nodes[b]) / (nodes[a] - nodes[b])
            out = out + term
        return out

    f0, f1 = f[j - 1], f[j]
    s = (j - 1) + f0 / jnp.where(f0 > f1, f0 - f1, 1.0)

    def newton(_, s):
        val, der = jax.jvp(poly, (s,), (jnp.ones_like(s),))
        return jnp.clip(s - val / jnp.where(der < 0, der, -1.0), j - 1.0, j * 1.0)

    # a loop, not unrolled: the polynomial is traced once (the program is 4x smaller here)
    s = jax.lax.fori_loop(0, 4, newton, s)
    return s


def search_liftoff(evaluate, step, y0, aux0, horizon_s, n):
    """Coarse pass: (t_liftoff, t_deepest, found, fell). Not differentiated.

    ``t_deepest`` estimates when the surface stops sinking (ż turns negative), where an
    elastic-plastic surface switches from loading to unloading; 0 on rigid ground.
    """
    dt = horizon_s / n
    (forces, heights, rates), y_end, aux_end = _march(step, y0, aux0, dt, n, keep=False)
    ev_end = evaluate(y_end, aux_end)
    force = jnp.concatenate([forces, ev_end.leg_force_n[None]])
    height = jnp.concatenate([heights, y_end.y[None]])
    rate = jnp.concatenate([rates, jnp.zeros_like(rates[:1]) if ev_end.dy.z is None
                            else ev_end.dy.z[None]])
    negative = force[1:] < 0.0
    found = jnp.any(negative)
    j = jnp.argmax(negative) + 1                      # first sample with F < 0
    idx = jnp.arange(n + 1)
    fell = jnp.any((height <= 0.0) & ((idx <= j) | ~found))
    t_est = jnp.where(found, _cubic_root(force, j) * dt, horizon_s)
    unloading = (rate[1:] < 0.0) & (idx[1:] <= j)
    jp = jnp.argmax(unloading) + 1
    t_deep = jnp.where(jnp.any(unloading), _cubic_root(rate, jp) * dt, 0.0)
    return t_est, jnp.clip(t_deep, 0.0, t_est), found, fell


def _stack_last(stacked, last):
    return jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b[None]], axis=0),
                                  stacked, last)


def _resize_last_step(step, evaluate, cond, y_last, aux_last, h0, iters):
    """Re-size one step from (y_last, aux_last) so that ``cond(evaluate(y_end))`` is zero.

    Newton's method on the step size h with the rate of ``cond`` along the flow at the step's
    end (equal to d cond/dh up to the method's O(h^p) error). Only the last update carries a
    gradient: at convergence that is the implicit-function-theorem derivative of the event time,
    dt/dθ = −(∂cond/∂θ)/(d cond/dt), and the end state follows it to first order,
    y_end = y(h) + ẏ (h_new − h). Returns (h_new, y_end, aux_end, eval at the step's start).
    """
    def end(hh, yy, aa):
        y1, a1, ev0 = step(yy, aa, hh)
        ev1 = evaluate(y1, a1)
        return cond(ev1), (y1, a1, ev0, ev1)

    def newton(_, carry):
        # the exact derivative of the condition in the step size (the flow rate along the
        # step's end differs from it by the method's O(h^p) error, which showed in gradients
        # at the 1e-6 level), by a jvp through the step: one trace serves value and rate
        h, _ = carry
        val, rate = jax.jvp(lambda hh: end(hh, ys_, as_)[0], (h,), (jnp.ones_like(h),))
        return h - val / jnp.where(rate < 0, rate, -1.0), rate

    ys_, as_ = jax.lax.stop_gradient((y_last, aux_last))
    h0 = jax.lax.stop_gradient(h0)
    h, rate = jax.lax.stop_gradient(
        jax.lax.fori_loop(0, iters, newton, (h0, jnp.full_like(h0, -1.0))))
    # the differentiated update. Its rate is the one of the last iteration, at the previous
    # iterate: the iterations have converged, so it differs from the rate at h by O(Δh), and
    # its own gradient does not matter (stopped, which keeps the gradient exact); not
    # re-evaluating it keeps the traced program one step-derivative smaller
    val, (y1, a1, ev_start, ev1) = end(h, y_last, aux_last)
    h_new = h - val / jnp.where(rate < 0, rate, -1.0)
    y_end = jax.tree_util.tree_map(lambda a, d: a + d * (h_new - h), y1, ev1.dy)
    return h_new, y_end, a1, ev_start


def step_fractions(n, grade):
    """Fractions of the segment (n,) taken by its n steps: equal, or with the first ``grade``
    steps graded, 1/2^grade, ..., 1/4, 1/2 of the others (they sum to 1)."""
    grade = max(0, min(int(grade), n - 2))
    w = np.concatenate([2.0 ** -np.arange(grade, 0, -1), np.ones(n - grade)])
    return w / w.sum()


def _segment(evaluate, step, cond, y0, aux0, t_end_est, n, iters, grade=0):
    """n steps from y0 to the event ``cond = 0`` near ``t_end_est``: equal steps, or the first
    ``grade`` of them graded (``step_fractions``; ``stance_path``).

    Returns (sample times from the segment start (n,), states (n,), evals (n,), duration,
    end state, end aux); the samples include the start and exclude the end.
    """
    if grade:
        # (the fractions in the stance's own precision: NumPy's float64 would lift float32)
        dtype = jnp.result_type(t_end_est)
        w = step_fractions(n, grade)
        hs, h_last = t_end_est * w[:-1].astype(dtype), t_end_est * w[-1].astype(dtype)
        t = t_end_est * np.concatenate([[0.0], np.cumsum(w[:-1])]).astype(dtype)
        t_last = t[-1]
    else:
        hs = h_last = t_end_est / n
        t = jnp.arange(n) * hs
        t_last = (n - 1) * hs
    (ys, auxs, evs), y_last, aux_last = _march(step, y0, aux0, hs, n - 1)
    h, y_end, aux_end, ev_last = _resize_last_step(step, evaluate, cond, y_last, aux_last,
                                                   h_last, iters)
    y = _stack_last(ys, y_last)
    ev = _stack_last(evs, ev_last._replace(dy=None))
    return t, y, ev, t_last + h, y_end, aux_end


def _leg_force(ev):
    return ev.leg_force_n


def _sink_rate(ev):
    return ev.dy.z


def stance_path(evaluate, search_step, step, y0, aux0, horizon_s, search_steps, stance_steps,
                event_iters, split=False, grade=0):
    """Both passes; see the module docstring. Returns a ``StancePath``.

    With ``grade`` the first ``grade`` steps of the final pass are graded (1/2^grade, ...,
    1/2 of the others): a contact point that is a stiff state (the damped model) starts at
    rest and meets the surface's slow manifold within a fraction of a millisecond, and equal
    steps across that layer misplace the damper's rate in the first step: the leg-damping loss
    of the built-in runner was 0.6 J (0.8 %) too large at 40 equal steps (docs/numerics.md).

    With ``split`` (an elastic-plastic surface whose contact point is algebraic) the final pass
    runs in two segments: to the end of loading (ż = 0, where the surface switches to its
    stiffer unloading branch, a kink in the force law) and on to liftoff, each ending on its
    event, so that no step straddles the kink and the peak sink is exact.
    """
    t_est, t_switch, found, fell = jax.lax.stop_gradient(
        search_liftoff(evaluate, search_step, y0, aux0, horizon_s, search_steps))
    if split:
        t_switch = jnp.where((t_switch > 0.05 * t_est) & (t_switch < 0.95 * t_est), t_switch,
                             0.5 * t_est)
        na = stance_steps // 2
        # ż has a kink at its zero (slope ×r past it), so Newton converges only linearly
        # there: two more iterations than for liftoff.
        ta, ya, eva, dur_a, y_p, aux_p = _segment(evaluate, step, _sink_rate, y0, aux0,
                                                  t_switch, na, event_iters + 2)
        tb, yb, evb, dur_b, y_lo, aux_lo = _segment(evaluate, step, _leg_force, y_p, aux_p,
                                                    t_est - t_switch, stance_steps - na,
                                                    event_iters)
        t_s = jnp.concatenate([ta, dur_a + tb])
        ys = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), ya, yb)
        evs = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), eva, evb)
        t_c = dur_a + dur_b
    else:
        t_s, ys, evs, t_c, y_lo, aux_lo = _segment(evaluate, step, _leg_force, y0, aux0, t_est,
                                                   stance_steps, event_iters, grade)
    ev_lo = evaluate(y_lo, aux_lo)
    t = jnp.concatenate([t_s, t_c[None]])
    y = _stack_last(ys, y_lo)
    ev = _stack_last(evs, ev_lo._replace(dy=None))
    return StancePath(t, y, ev, aux_lo, t_c, found, fell)
