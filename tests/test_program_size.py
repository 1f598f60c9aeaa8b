"""Compile cost, guarded without timing it: the size of the lowered programs.

XLA's compile time and memory grow with the size of the traced program (issue "Answers in
seconds"), so each kernel's operation count in its lowered StableHLO must stay under a bound.
Lowering only, no compile: a few seconds. The bounds are the counts measured when this test was
written (``python benchmarks/bench_compile.py --ops-only``, the same kernels) plus ~15 %
headroom; a change that makes a program much larger must either shrink it again or raise the
bound here on purpose, with the new measurement.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_compile import kernel, op_count  # noqa: E402  (the benchmark's kernels, the same programs)

# variant of benchmarks/bench_compile.py: (measured ops, bound). Measured 2026-12-01 (commit
# 915bf2e) with `python benchmarks/bench_compile.py --ops-only --only rigid elastic damped
# jacfwd_rigid_push`.
BOUNDS = {
    "rigid": (7966, 9200),                   # canonical SLIP
    "elastic": (15767, 18100),               # firm ground: the algebraic contact
    "damped": (6610, 7600),                  # sand: ARK3 IMEX
    "jacfwd_rigid_push": (15150, 17400),     # the gait solvers' forward-mode Jacobian
    # measured 2026-12-03 (commit after 435f70a), `... --ops-only --only pendulum
    # pendulum_aimed deadbeat deadbeat_speed`: the feedback landing modes (MODEL.md §11)
    "pendulum": (17757, 20400),              # two swinging legs
    "pendulum_aimed": (17806, 20500),        # ... their hip aimed by Raibert's law
    "deadbeat": (16769, 19300),              # the step differentiated inside the step
    "deadbeat_speed": (28014, 32200),        # ... along the angle and the energy control
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_program_size_within_bound(name):
    fn, args = kernel(name)
    ops = op_count(fn.trace(*args).lower().as_text())
    measured, bound = BOUNDS[name]
    assert ops <= bound, (f"{name}: the lowered program has {ops} ops, over its bound {bound} "
                          f"(measured {measured}); re-measure with "
                          f"`python benchmarks/bench_compile.py --ops-only`")


def test_quick_program_after_xla_within_bound():
    """XLA's own program (after its passes) of the damped model for one step, compiled "quick"
    as ``simsrc run``'s steady solve and the explorer's: its instruction count sets the compile
    time and, from a warm cache, the time to load it (XLA rebuilds it from the cache's proto).
    28,300 instructions while ``_status`` checked each record leaf on its own (XLA fused that
    chain of checks into every masked record field); 12,633 with one concatenated check
    (jax 0.10.2; ``python benchmarks/bench_compile.py --profile quick --steps 1 --only
    damped``). The bound leaves 20 % headroom for other XLA versions."""
    import bench_compile

    from simsrc.engine.step import COMPILE_PROFILES

    bench_compile.N_STEPS = 1
    try:
        fn, args = kernel("damped")
        compiled = fn.trace(*args).lower().compile(COMPILE_PROFILES["quick"])
    finally:
        bench_compile.N_STEPS = 3
    hlo = sum(" = " in ln for ln in compiled.as_text().splitlines())
    assert hlo <= 15_200, (f"XLA's quick one-step damped program has {hlo} instructions, over "
                           f"its bound 15,200 (measured 12,633)")
