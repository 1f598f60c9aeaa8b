"""The apex-to-apex map P, its derivatives, the energy of an apex and Floquet multipliers.

A periodic gait is a fixed point of the step map P: apex → next apex (MODEL.md §9). The map is
``simsrc.engine.step.step`` itself (``apex_map``); its exact derivatives come from forward-mode
autodiff (``jax.jvp`` / ``jax.jacfwd``), whose event-time derivatives follow the
implicit-function theorem (engine/liftoff.py). The model is invariant to shifts in x, so the
reduced state is the apex (y, v_x) (v_y = 0 at an apex).

- Specific energy of an apex at x = 0: e = g y cos θ + v_x²/2 (J/kg). With no losses and no
  push e is conserved, and at fixed e the apex speed follows from the height,
  v_x = √(2 (e − g y cos θ)).
- Floquet multipliers: the eigenvalues λ of ∂P/∂(y, v_x) at the fixed point; the gait is
  stable when every |λ| < 1. For a 2×2 Jacobian [[a, b], [c, d]]:
  λ = (a + d)/2 ± √(((a − d)/2)² + b c).

The solvers need an explicit ``Options`` (the surface model cannot be chosen from traced
parameters); ``gait_options`` takes it from ``simulate.default_options`` on the concrete
parameters.
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import status as st
from simsrc.engine.frame import potential_energy_j
from simsrc.engine.params import Params, State
from simsrc.engine.simulate import default_options
from simsrc.engine.step import Options, step


def specific_energy_j_per_kg(params: Params, height_m, speed_m_per_s):
    """Specific mechanical energy e = g y cos θ + v²/2 of an apex at x = 0 (J/kg)."""
    return (potential_energy_j(params, 1.0, 0.0, height_m)
            + 0.5 * jnp.asarray(speed_m_per_s) ** 2)


def apex_at_energy(params: Params, height_m, energy_j_per_kg) -> State:
    """The apex at x = 0 and height ``height_m`` with specific energy ``energy_j_per_kg``
    (v_x = √(2 (e − g y)); NaN where e < g y)."""
    vx = jnp.sqrt(2.0 * (energy_j_per_kg - potential_energy_j(params, 1.0, 0.0, height_m)))
    return State(jnp.zeros_like(vx), height_m + jnp.zeros_like(vx), vx, jnp.zeros_like(vx))


def apex_map(p: Params, state: State, options: Options):
    """One step of the apex map: (next apex state, valid, status). Pure: ``jit``/``vmap``/``jvp``.

    ``valid`` is False when the step failed or the body left the ground descending (the step
    then ends at liftoff, not at an apex, so the result is not a point of the apex map).
    """
    nxt, rec, _ = step(p, state, options)
    valid = (rec.status == st.OK) & (rec.liftoff.vy_m_per_s > 0.0)
    return nxt, valid, rec.status


def map_jacobian(p: Params, y, vx, push, options, wrt_push=False):
    """P(y, v_x; A) = (next apex y, v_x), its Jacobian ∂P/∂(y, v_x) (and ∂P/∂A if
    ``wrt_push``) as nested tuples of scalars, valid, status.

    Scalars in, a tuple of scalars out: under ``vmap``, slicing a stacked (N, 2) input inside
    the kernel made the batched derivative run ~300 times slower per element on CPU.
    """
    def f(yy, vv, aa):
        q = p._replace(push_force_bw=aa)
        nxt, valid, code = apex_map(q, State(jnp.zeros_like(yy), yy, vv, jnp.zeros_like(yy)),
                                    options)
        out = (nxt.y_m, nxt.vx_m_per_s)
        return out, (out, valid, code)
    argnums = (0, 1, 2) if wrt_push else (0, 1)
    jac, (val, valid, code) = jax.jacfwd(f, argnums=argnums, has_aux=True)(y, vx, push)
    return val, jac, valid, code


def floquet_multipliers(jacobian):
    """Eigenvalues of 2×2 matrices (..., 2, 2), largest modulus first, complex (closed form)."""
    jacobian = np.asarray(jacobian)
    a, b = jacobian[..., 0, 0], jacobian[..., 0, 1]
    c, d = jacobian[..., 1, 0], jacobian[..., 1, 1]
    half_tr = 0.5 * (a + d)
    disc = np.sqrt((0.5 * (a - d)) ** 2 + b * c + 0j)
    l1, l2 = half_tr + disc, half_tr - disc
    swap = np.abs(l2) > np.abs(l1)
    return np.stack([np.where(swap, l2, l1), np.where(swap, l1, l2)], axis=-1)


def gait_options(params: Params, options: Options | None = None, **overrides) -> Options:
    """Options for the gait solvers: ``default_options`` on the concrete parameters (the
    cheapest exact surface model), no dense trajectory, plus ``overrides``."""
    opts = default_options(params) if options is None else options
    return dataclasses.replace(opts, flight_samples=0, **overrides)
