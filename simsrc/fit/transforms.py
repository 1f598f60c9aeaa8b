"""Bounds on fitted parameters as smooth changes of variable (docs/fitting.md, "Transforms").

The least-squares solver works on unconstrained internal values u; the model sees the
natural (SI) value θ = T(u):

- ``"log"``   (lower bound only):   θ = lower + exp(u)                 (positivity, lower = 0)
- ``"logit"`` (both bounds):        θ = lower + (upper − lower)·σ(u),  σ(u) = 1/(1 + e^{−u})
- ``"none"``:                       θ = u

so that every trial point of the solver is a valid parameter set, and a bound is approached
only as u → ±∞. Uncertainties are mapped back to natural units by the delta method with
dθ/du (``derivative``).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np


class Bound(NamedTuple):
    """One fitted parameter: its name (natural, SI units in the name) and its range.

    Attributes:
        name: parameter name, e.g. ``"leg_stiffness_n_per_m"``.
        lower: lower bound in natural units (``-inf`` for none).
        upper: upper bound in natural units (``inf`` for none).
    """

    name: str
    lower: float = 0.0
    upper: float = math.inf

    @property
    def kind(self) -> str:
        """``"logit"`` (two finite bounds), ``"log"`` (a lower bound) or ``"none"``."""
        if math.isfinite(self.lower) and math.isfinite(self.upper):
            return "logit"
        if math.isfinite(self.lower):
            return "log"
        return "none"


def to_natural(bound: Bound, u):
    """θ = T(u) (jnp, differentiable; works on scalars and arrays)."""
    kind = bound.kind
    if kind == "log":
        return bound.lower + jnp.exp(u)
    if kind == "logit":
        return bound.lower + (bound.upper - bound.lower) * (0.5 * (jnp.tanh(0.5 * u) + 1.0))
    return u + 0.0


def to_internal(bound: Bound, theta) -> np.ndarray:
    """u = T⁻¹(θ) (NumPy); θ is clipped 1e-9 of the range inside its bounds first."""
    theta = np.asarray(theta, dtype=float)
    kind = bound.kind
    if kind == "log":
        return np.log(np.maximum(theta - bound.lower, 1e-300))
    if kind == "logit":
        span = bound.upper - bound.lower
        frac = np.clip((theta - bound.lower) / span, 1e-9, 1.0 - 1e-9)
        return np.log(frac) - np.log1p(-frac)
    return theta


def derivative(bound: Bound, u) -> np.ndarray:
    """dθ/du at u (NumPy), for the delta method."""
    u = np.asarray(u, dtype=float)
    kind = bound.kind
    if kind == "log":
        return np.exp(u)
    if kind == "logit":
        s = 0.5 * (np.tanh(0.5 * u) + 1.0)
        return (bound.upper - bound.lower) * s * (1.0 - s)
    return np.ones_like(u)


def natural_values(bounds: tuple[Bound, ...], u) -> np.ndarray:
    """θ for a (..., p) array of internal values (NumPy)."""
    u = np.asarray(u, dtype=float)
    return np.stack([np.asarray(to_natural(b, u[..., i])) for i, b in enumerate(bounds)], axis=-1)


def internal_values(bounds: tuple[Bound, ...], theta) -> np.ndarray:
    """u for a (..., p) array of natural values (NumPy)."""
    theta = np.asarray(theta, dtype=float)
    return np.stack([to_internal(b, theta[..., i]) for i, b in enumerate(bounds)], axis=-1)


def derivatives(bounds: tuple[Bound, ...], u) -> np.ndarray:
    """dθ/du for a (..., p) array of internal values (NumPy)."""
    u = np.asarray(u, dtype=float)
    return np.stack([derivative(b, u[..., i]) for i, b in enumerate(bounds)], axis=-1)
