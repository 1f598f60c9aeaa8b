"""Local polynomial interpolation of stance samples: peaks and crossings between samples.

The stance is sampled at about ten points; a quantity's peak (force, compression) or a crossing
(the COM passing over the foot) falls between samples. A degree-6 polynomial through the seven
samples around it (Newton divided differences) recovers it to about 1e-7 relative for these
smooth signals, at no cost in right-hand-side evaluations.

The polynomial and its derivatives come from a Horner recurrence on the Newton form (no
autodiff, no linear solve: a batched 7x7 ``linalg.solve`` hung XLA's CPU backend for batches
above a few thousand).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

WINDOW = 7


def _windows(t, values, centers):
    """Seven consecutive samples around each center: (t_windows (q, 7), v_windows (q, 7)).

    ``values`` has shape (n, q) and ``centers`` shape (q,) (one window per column).
    """
    n = t.shape[0]
    tws, vws = [], []
    for j in range(values.shape[1]):
        start = jnp.clip(centers[j] - WINDOW // 2, 0, n - WINDOW)
        tws.append(jax.lax.dynamic_slice(t, (start,), (WINDOW,)))
        vws.append(jax.lax.dynamic_slice(values[:, j], (start,), (WINDOW,)))
    return jnp.stack(tws), jnp.stack(vws)


def _divided_differences(nodes, vals):
    """Newton-form coefficients, vectorised over leading axes; nodes, vals: (..., 7)."""
    coef = [vals[..., i] for i in range(WINDOW)]
    for level in range(1, WINDOW):
        for i in range(WINDOW - 1, level - 1, -1):
            coef[i] = (coef[i] - coef[i - 1]) / (nodes[..., i] - nodes[..., i - level])
    return coef


def _horner(nodes, coef, x):
    """(p, p', p'') of the Newton-form polynomial at x."""
    p = coef[-1]
    d1 = jnp.zeros_like(p)
    d2 = jnp.zeros_like(p)
    for i in range(WINDOW - 2, -1, -1):
        dx = x - nodes[..., i]
        d2 = d2 * dx + 2.0 * d1
        d1 = d1 * dx + p
        p = p * dx + coef[i]
    return p, d1, d2


def local_maxima(t, values, iters=3):
    """Maxima of the columns of ``values`` (n, q) sampled at t (n,), each refined by a local
    degree-6 polynomial around its largest sample. Needs n >= 7. Returns (q,)."""
    centers = jnp.argmax(values, axis=0)
    tw, vw = _windows(t, values, centers)
    t_best = jnp.take_along_axis(tw, jnp.clip(centers - jnp.clip(
        centers - WINDOW // 2, 0, t.shape[0] - WINDOW), 0, WINDOW - 1)[:, None], axis=1)[:, 0]
    scale = (tw[:, -1] - tw[:, 0]) / (WINDOW - 1)
    nodes = (tw - t_best[:, None]) / scale[:, None]
    coef = _divided_differences(nodes, vw)
    x = jnp.zeros_like(scale)
    for _ in range(iters):
        _, d1, d2 = _horner(nodes, coef, x)
        x = jnp.clip(x - d1 / jnp.where(d2 < 0, d2, -1.0), nodes[:, 0], nodes[:, -1])
    peak, _, _ = _horner(nodes, coef, x)
    return jnp.maximum(peak, jnp.max(values, axis=0))


def local_crossing(t, f, others, index, iters=4):
    """Time where samples f(t) cross zero between ``index``-1 and ``index``, and the columns of
    ``others`` (n, q) interpolated there. Returns (t_cross, values (q,))."""
    stacked = jnp.concatenate([f[:, None], others], axis=1)
    q = stacked.shape[1]
    tw, vw = _windows(t, stacked, jnp.full((q,), index))
    t0 = t[index - 1]
    scale = t[index] - t0
    nodes = (tw - t0) / scale
    coef = _divided_differences(nodes, vw)
    f0, f1 = f[index - 1], f[index]
    x = f0 / jnp.where(f0 != f1, f0 - f1, 1.0)
    fnodes, fcoef = nodes[0], [c[0] for c in coef]
    for _ in range(iters):
        val, der, _ = _horner(fnodes, fcoef, x)
        x = jnp.clip(x - val / jnp.where(der != 0, der, 1.0), -0.5, 1.5)
    vals, _, _ = _horner(nodes[1:], [c[1:] for c in coef], x)
    return t0 + x * scale, vals
