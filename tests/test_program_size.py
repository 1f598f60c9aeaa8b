"""Compile cost, guarded without timing it: the size of the lowered programs.

XLA's compile time and memory grow with the size of the traced program (issue "Answers in
seconds"), so each kernel's operation count in its lowered StableHLO must stay under a bound.
Lowering only, no compile: a few seconds. The bounds are the counts measured when this test was
written (``python benchmarks/bench_compile.py --ops-only``, the same kernels) plus ~15 %
headroom; a change that makes a program much larger must either shrink it again or raise the
bound here on purpose, with the new measurement.
"""
import re

import jax
import jax.numpy as jnp
import pytest

import simsrc
from simsrc.engine.params import as_arrays
from simsrc.engine.simulate import default_options
from simsrc.engine.step import step

BATCH = 64

# variant: (make_params keywords, measured ops, bound). Measured 2026-12-01 on wt-speed (commit
# 915bf2e) with `python benchmarks/bench_compile.py --ops-only --only rigid elastic damped
# jacfwd_rigid_push` (its variants of the same names; "firm" is its "elastic").
BOUNDS = {
    "rigid": (dict(), 7966, 9200),                                       # canonical SLIP
    "firm": (dict(surface="firm"), 15767, 18100),                       # algebraic contact
    "damped": (dict(surface="sand"), 6610, 7600),                        # ARK3 IMEX
    "jacfwd_rigid_push": (dict(push_force_bw=0.5), 15150, 17400),        # the gait solvers'
}


def op_count(text: str) -> int:
    return sum(1 for line in text.splitlines() if re.search(r'(= stablehlo\.|"stablehlo\.)', line))


def _batch(p):
    pb = jax.tree_util.tree_map(lambda v: jnp.full((BATCH,), v, float), as_arrays(p))
    sb = jax.tree_util.tree_map(lambda v: jnp.full((BATCH,), v, float),
                                as_arrays(simsrc.apex(1.0, 5.0)))
    return pb, sb


def _lowered(name):
    p = simsrc.canonical_params(**BOUNDS[name][0])
    opts = default_options(p)
    pb, sb = _batch(p)
    if name.startswith("jacfwd"):
        def one(q, y, vx, push):
            def f(yy, vv, aa):
                s = simsrc.State(jnp.zeros_like(yy), yy, vv, jnp.zeros_like(yy))
                nxt, rec, _ = step(q._replace(push_force_bw=aa), s, opts)
                out = (nxt.y_m, nxt.vx_m_per_s)
                return out, (out, rec.status)
            return jax.jacfwd(f, argnums=(0, 1, 2), has_aux=True)(y, vx, push)
        return jax.jit(jax.vmap(one)).trace(pb, sb.y_m, sb.vx_m_per_s, pb.push_force_bw).lower()

    def run(q, s):
        out = simsrc.simulate(q, s, 3, options=opts, check=False)
        return out.records, out.final_state
    return jax.jit(run).trace(pb, sb).lower()


@pytest.mark.parametrize("name", list(BOUNDS))
def test_program_size_within_bound(name):
    ops = op_count(_lowered(name).as_text())
    measured, bound = BOUNDS[name][1:]
    assert ops <= bound, (f"{name}: the lowered program has {ops} ops, over its bound {bound} "
                          f"(measured {measured}); re-measure with "
                          f"`python benchmarks/bench_compile.py --ops-only`")
