"""What a fit may vary, how the fitted values enter one simulated step, and the batched evaluator.

A fit varies some fields of ``Params`` (by name) and the start state of one simulated step
(apex to apex, ``simsrc.engine.step.step``): the apex height, written as the drop from the apex to
the touchdown height (``apex_drop_m`` > 0; the touchdown height is L0 cos β), and the apex
speed. Everything else comes from the base ``Params`` (``simsrc.make_params``). Fields are
always used by name, so ``Params`` may gain fields.

``evaluator`` turns ``fn(*u_scalars, base, data, static=...) -> (r, J)`` into the host function
of ``levenberg_marquardt``: one jitted, vmapped kernel per (function, static options), batches
padded to a multiple of 8 so that a single fit and a few starts share one compiled kernel
(``simsrc.engine.batch``, which the gait solvers use too).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import batch
from simsrc.engine.params import Params, State
from simsrc.errors import SimsrcInputError
from simsrc.fit.transforms import Bound
from simsrc.engine.frame import landing_angle_rad

#: Every parameter a fit can vary, with its range (natural SI units). The transform follows
#: from the range (``Bound.kind``): log for a lower bound, scaled logit for two bounds.
PARAMETERS: dict[str, Bound] = {b.name: b for b in (
    Bound("leg_stiffness_n_per_m", 0.0, math.inf),
    Bound("angle_of_attack_rad", math.radians(30.0), math.radians(90.0)),
    Bound("push_force_bw", 0.0, 2.0),
    Bound("apex_drop_m", 0.0, math.inf),
    Bound("apex_speed_m_per_s", 0.0, math.inf),
    Bound("surface_stiffness_n_per_m", 0.0, math.inf),
    Bound("leg_length_m", 0.0, math.inf),
)}

#: Short names accepted in configs and on the command line.
ALIASES = {
    "leg_stiffness": "leg_stiffness_n_per_m", "angle_of_attack": "angle_of_attack_rad",
    "push_force": "push_force_bw", "apex_drop": "apex_drop_m", "apex_speed": "apex_speed_m_per_s",
    "surface_stiffness": "surface_stiffness_n_per_m", "leg_length": "leg_length_m",
}


def resolve_free(names, allowed, where: str = "") -> tuple[Bound, ...]:
    """The ``Bound``s of the named parameters (long or short names), checked against
    ``allowed``; raises ``SimsrcInputError`` naming the bad one and what is allowed."""
    out = []
    for name in names:
        full = ALIASES.get(name, name)
        if full not in allowed:
            loc = f" in {where}" if where else ""
            raise SimsrcInputError(
                f"cannot fit {name!r}{loc}; allowed: "
                + ", ".join(k for k, v in ALIASES.items() if v in allowed))
        if full in [b.name for b in out]:
            raise SimsrcInputError(f"{name!r} is listed twice in the fitted parameters{' in ' + where if where else ''}")
        out.append(PARAMETERS[full])
    if not out:
        raise SimsrcInputError(f"no parameters to fit{' in ' + where if where else ''}")
    return tuple(out)


def apply(names: tuple[str, ...], values, base: Params, speed_m_per_s) -> tuple[Params, State]:
    """The ``Params`` and the apex start ``State`` of one step with the fitted ``values``.

    ``values`` are natural values in the order of ``names``; ``apex_drop_m`` sets the apex
    height above the touchdown height L0 cos β (β = 90° − α − λ), ``apex_speed_m_per_s`` the
    apex speed (else ``speed_m_per_s``), ``surface_stiffness_n_per_m`` the compliance 1/k_s.
    """
    given = dict(zip(names, values))
    fields = {k: v for k, v in given.items() if k in Params._fields}
    if "surface_stiffness_n_per_m" in given:
        fields["surface_compliance_m_per_n"] = 1.0 / given["surface_stiffness_n_per_m"]
    p = base._replace(**fields)
    beta = landing_angle_rad(p)
    drop = given.get("apex_drop_m", 0.02)
    speed = given.get("apex_speed_m_per_s", speed_m_per_s)
    zero = jnp.zeros_like(jnp.asarray(drop))
    return p, State(zero, p.leg_length_m * jnp.cos(beta) + drop, speed + zero, zero)


def evaluator(fn, static, base: Params, data, n_params: int):
    """A host function ``u (N, p) -> (r (N, m), J (N, m, p))`` for ``levenberg_marquardt``.

    ``base`` and ``data`` already have the batch axis (N,), padded here; ``fn`` returns r as an
    array (m,) or a tuple of scalars and J as a tuple over parameters (of arrays (m,) or of
    tuples of scalars); both are stacked here, outside the kernel (see fit/solver.py's
    docstring).
    """
    kernel = batch.batched_kernel(fn, static=static)
    n_rows = jax.tree_util.tree_leaves(data)[0].shape[0]

    def evaluate(u):
        u = np.asarray(u, dtype=float)
        # padded to batch.fit_rows: fits of other batch sizes share the program
        r, jac = batch.call_padded(kernel, n_rows, *[u[:, i] for i in range(n_params)],
                                   base, data)
        return batch.columns(r), np.stack([batch.columns(c) for c in jac], axis=-1)
    return evaluate
