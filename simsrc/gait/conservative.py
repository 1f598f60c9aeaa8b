"""Conservative periodic gaits: fixed points of the 1-D apex map at fixed energy.

With no damping, no push, an elastic surface and level ground, the specific energy
e = g y + v_x²/2 is conserved (MODEL.md §9), so at fixed e the apex map is one-dimensional:
y → P(y) with v_x = √(2 (e − g y)) (``apex_at_energy``). A gait is a root of f(y) = P(y) − y.

- Bracketing: a scan of ``grid_points`` heights over the admissible range, from the touchdown
  height L0 cos β up to the height e/g where v_x = 0, quadratically spaced,
  y_i = y_min + (y_max − y_min) ((i + ½)/n)², denser at the bottom where running gaits sit and
  where f has a square-root singularity.
- Refinement: safeguarded Newton, y ← y − f/f′ with f′ from one ``jvp``; a step that leaves the
  bracket is replaced by bisection.
- Floquet multiplier λ = P′(y*) = 1 + f′(y*); the other multiplier of the 2-D map is exactly 1
  (the neutral energy direction) and is not reported. With several roots the lowest one with
  P′ < 1 (the only kind that can be stable) is taken; ``n_fixed_points`` counts the sign changes
  the scan saw.

Each scan point and Newton iteration is one call of a batched kernel (``simsrc.engine.batch``).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import batch
from simsrc.engine import status as st
from simsrc.engine.frame import gravity_m_per_s2, landing_angle_rad
from simsrc.engine.params import Params, conservation_breakers
from simsrc.engine.step import Options
from simsrc.errors import SimsrcInputError
from simsrc.gait.apex_map import apex_at_energy, apex_map, gait_options


class Gait1D(NamedTuple):
    """A conservative periodic gait at fixed energy (NumPy arrays of the batch shape).

    Attributes:
        apex_height_m, apex_speed_m_per_s: the fixed point (apex state); NaN if none found.
        multiplier: Floquet multiplier λ = dP/dy of the 1-D apex map at fixed energy.
        stable: converged and |λ| < 1.
        residual_m: |P(y*) − y*|.
        converged: the residual is at most the tolerance.
        n_fixed_points: sign changes of P(y) − y seen by the scan (0: no gait found).
        status: step status at the fixed point (``simsrc.status``; FALL when none was found).
    """

    apex_height_m: np.ndarray
    apex_speed_m_per_s: np.ndarray
    multiplier: np.ndarray
    stable: np.ndarray
    residual_m: np.ndarray
    converged: np.ndarray
    n_fixed_points: np.ndarray
    status: np.ndarray


def _map_1d(p: Params, energy, y, options):
    """f(y) = P(y) − y at fixed energy, f'(y) (one jvp), valid, status."""
    def f(yy):
        nxt, valid, code = apex_map(p, apex_at_energy(p, yy, energy), options)
        return nxt.y_m - yy, (valid, code)
    val, der, (valid, code) = jax.jvp(f, (y,), (jnp.ones_like(y),), has_aux=True)
    return val, der, valid & jnp.isfinite(val) & jnp.isfinite(der), code


def _check_conservative(params: Params):
    """Raise ``SimsrcInputError`` naming the first (concrete) parameter that breaks energy
    conservation, which the 1-D map at fixed energy relies on."""
    for name, shown, allowed in conservation_breakers(params)[:1]:
        raise SimsrcInputError(
            f"find_gait_1d needs a conservative runner: `{name}` must be {allowed}, got "
            f"{shown:g}; use find_gait or solve_push_for_speed for a runner with losses")


def find_gait_1d(params: Params, energy_j_per_kg, *, options: Options | None = None,
                 grid_points: int = 32, newton_iters: int = 12,
                 tol_m: float = 1e-11) -> Gait1D:
    """Conservative periodic gaits at a fixed specific energy, batched over parameter sets.

    Args:
        params: parameters (scalars or arrays of one batch shape); must be conservative
            (no leg damping, no push, elastic undamped surface) on level ground, otherwise energy
            is not conserved and the 1-D map is not the gait's map.
        energy_j_per_kg: specific energy e = g y + v_x²/2 (``specific_energy_j_per_kg``);
            Seyfarth et al. 2002: 5 m/s at 1 m apex, e = 12.5 + 9.81 J/kg.
        options: step options; default ``gait_options(params)``.
        grid_points: heights scanned to bracket the fixed points (one batched step each).
        newton_iters: at most this many safeguarded Newton iterations (one step + jvp each).
        tol_m: residual |P(y) − y| accepted as converged.

    Returns:
        ``Gait1D`` of NumPy arrays of the batch shape.
    """
    _check_conservative(params)
    opts = gait_options(params, options)
    kernel = batch.batched_kernel(_map_1d, options=opts)
    (p, (energy,)), shape = batch.flatten(params, (energy_j_per_kg,))
    gy = -np.asarray(gravity_m_per_s2(p)[1])
    y_min = np.asarray(p.leg_length_m * jnp.cos(landing_angle_rad(p)))
    y_max = energy / gy
    e_dev = jnp.asarray(energy)

    def evaluate(y):
        return batch.host(*kernel(p, e_dev, jnp.asarray(y)))

    a, b, kind, count = _bracket(evaluate, y_min, y_max, grid_points)
    found = kind > 0
    best_y, best_f, best_d, best_code = _refine(evaluate, a, b, found, newton_iters, tol_m)
    converged = found & (best_f <= tol_m)
    lam = 1.0 + best_d
    y_star = np.where(found, best_y, np.nan)
    with np.errstate(invalid="ignore"):
        speed = np.sqrt(2.0 * (energy - gy * y_star))
    out = Gait1D(apex_height_m=y_star, apex_speed_m_per_s=speed,
                 multiplier=np.where(found, lam, np.nan), stable=converged & (np.abs(lam) < 1.0),
                 residual_m=np.where(found, best_f, np.nan), converged=converged,
                 n_fixed_points=count, status=np.where(found, best_code, st.FALL))
    return Gait1D(*batch.unflatten(out, shape))


def _bracket(evaluate, y_min, y_max, grid_points):
    """Scan ``grid_points`` heights for a sign change of f, preferring f: + → − (P' < 1).

    Returns (a: the f > 0 side, b: the f <= 0 side, kind: 0 none, 1 a − → + change, 2 a + → −
    change, count: sign changes seen), each (N,).
    """
    n = y_min.shape[0]
    prev_y = prev_f = np.full(n, np.nan)
    a, b = np.full(n, np.nan), np.full(n, np.nan)
    kind, count = np.zeros(n, int), np.zeros(n, int)
    for i in range(grid_points):
        y = y_min + (y_max - y_min) * ((i + 0.5) / grid_points) ** 2
        f, _, ok, _ = evaluate(y)
        change = ok & np.isfinite(prev_f) & (np.sign(f) != np.sign(prev_f))
        down = change & (prev_f > 0)
        take = (down & (kind < 2)) | (change & (kind == 0))
        a = np.where(take, np.where(f > 0, y, prev_y), a)
        b = np.where(take, np.where(f > 0, prev_y, y), b)
        kind = np.where(take, np.where(down, 2, 1), kind)
        count += change
        prev_y, prev_f = np.where(ok, y, np.nan), np.where(ok, f, np.nan)
    return a, b, kind, count


def _refine(evaluate, a, b, found, newton_iters, tol_m):
    """Safeguarded Newton inside the brackets [a, b] (bisection where a Newton step leaves
    them). Returns the best point seen: (y, |f|, f', status), each (N,)."""
    n = a.shape[0]
    y = 0.5 * (a + b)
    best_y, best_f, best_d = np.full(n, np.nan), np.full(n, np.inf), np.full(n, np.nan)
    best_code = np.full(n, st.FALL)
    for _ in range(newton_iters):
        if np.all(~found | (best_f <= tol_m)):
            break
        f, d, ok, code = evaluate(y)
        better = ok & (np.abs(f) < best_f)
        best_y, best_f = np.where(better, y, best_y), np.where(better, np.abs(f), best_f)
        best_d, best_code = np.where(better, d, best_d), np.where(better, code, best_code)
        a, b = np.where(ok & (f > 0), y, a), np.where(ok & (f <= 0), y, b)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = y - f / d
        inside = ok & np.isfinite(newton) & (newton > lo) & (newton < hi)
        y = np.where(inside, newton, 0.5 * (a + b))
    return best_y, best_f, best_d, best_code
