"""Fixed-step integrators for the stance phase, on PyTree states.

* ``rk4_step``: the classical 4th-order Runge-Kutta method, for the non-stiff cases (rigid
  ground, or a compliant surface with no damper in series, whose contact point is algebraic).
* The additive (IMEX) Runge-Kutta method ARK3(2)4L[2]SA of Kennedy & Carpenter (2003, Appl
  Numer Math 44:139), 3rd order, whose coefficients are below, is used by ``stance.damped_model``
  when a damper sits in series with a compliant surface: the body is explicit, the contact point
  implicit (L-stable, stiffly accurate). That contact point relaxes with a time constant far
  shorter than the stance on firm ground, where an explicit method would need tiny steps.
  Coefficients as tabulated in diffrax's ``KenCarp3``.

States are PyTrees (NamedTuples of batch-contiguous arrays): under ``vmap`` each component stays
a contiguous vector, which measured 10x faster on CPU than one stacked (batch, n) array.
"""
from __future__ import annotations

import jax

ARK_GAMMA = 1767732205903 / 4055673282236
ARK_B = (1471266399579 / 7840856788654, -4482444167858 / 7529755066697,
         11266239266428 / 11593286722821, ARK_GAMMA)
ARK_A_EXPLICIT = (
    (),
    (2 * ARK_GAMMA,),
    (5535828885825 / 10492691773637, 788022342437 / 10882634858940),
    (6485989280629 / 16251701735622, -4246266847089 / 9704473918619,
     10755448449292 / 10357097424841),
)
ARK_A_IMPLICIT = (  # strictly lower part; the diagonal is ARK_GAMMA from stage 2 on
    (),
    (ARK_GAMMA,),
    (2746238789719 / 10658868560708, -640167445237 / 6845629431997),
    ARK_B[:3],
)


def axpy(y, h, terms):
    """y + h Σ a_i k_i for PyTrees, ``terms`` a sequence of (a_i, k_i)."""
    def comb(base, *ks):
        out = base
        for (a, _), k in zip(terms, ks):
            out = out + (h * a) * k
        return out
    return jax.tree_util.tree_map(comb, y, *[k for _, k in terms])


def rk4_step(f, y, h, k1=None):
    """One classical RK4 step of ``y' = f(y)`` on a PyTree; ``k1`` = f(y) if already known."""
    k1 = f(y) if k1 is None else k1
    k2 = f(axpy(y, h, [(0.5, k1)]))
    k3 = f(axpy(y, h, [(0.5, k2)]))
    k4 = f(axpy(y, h, [(1.0, k3)]))
    return axpy(y, h, [(1 / 6, k1), (1 / 3, k2), (1 / 3, k3), (1 / 6, k4)])


def erk_step(f, y, h, a, b, k1=None):
    """One explicit Runge-Kutta step with tableau (a, b); zero coefficients are skipped."""
    ks = [f(y) if k1 is None else k1]
    for i in range(1, len(b)):
        ks.append(f(axpy(y, h, [(aij, ks[j]) for j, aij in enumerate(a[i]) if aij != 0.0])))
    return axpy(y, h, [(bj, k) for bj, k in zip(b, ks) if bj != 0.0])


def dop853_step(f, y, h, k1=None):
    """One fixed step of the 8th-order Dormand-Prince method (12 stages, ``dop853_tableau``)."""
    from simsrc.engine import dop853_tableau as tab
    return erk_step(f, y, h, tab.A, tab.B, k1)


METHODS = {"dop853": dop853_step, "rk4": rk4_step}
