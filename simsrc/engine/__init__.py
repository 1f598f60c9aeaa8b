"""The physics: pure JAX functions of one parameter PyTree (``Params``) and one state.

``frame`` (gravity on a slope, the landing angle) and ``surface`` (the ground's law and presets)
-> ``params`` (the table of every parameter's unit, default and bounds; the default runner and
the canonical case) -> ``leg``, ``flight``, ``swing`` (the laws) -> ``stance``, ``integrators``,
``liftoff`` (one contact phase) -> ``step``, ``ledger`` (one apex-to-apex step and its energy
account) -> ``simulate`` (the checked, batched entry point). Each law is written in one place.
Imports no I/O, plotting or config code and never prints (MODEL.md §2-§7).
"""
import os

import jax

# float64 (the accuracy targets need it) and the persistent compile cache, set here so that
# every path into the physics sets them: ``import simsrc`` itself imports no JAX. A process
# that already chose its own compile cache (``jax.config.update("jax_compilation_cache_dir",
# ...)`` before its first use of simsrc) keeps it, unless SIMSRC_COMPILE_CACHE names one.
# Opt out: SIMSRC_FLOAT64=0, or JAX_ENABLE_X64 set in the environment (the process chose its
# precision): the engine then runs in the process's precision (float32: about 1e-7 relative on
# the canonical apex, fine for coarse sweeps; the steady solvers' and fits' tolerances assume
# float64).
if os.environ.get("SIMSRC_FLOAT64", "1") != "0" and "JAX_ENABLE_X64" not in os.environ:
    jax.config.update("jax_enable_x64", True)
if not os.environ.get("SIMSRC_NO_COMPILE_CACHE") and (
        os.environ.get("SIMSRC_COMPILE_CACHE") or not jax.config.jax_compilation_cache_dir):
    # Compiling the engine takes seconds; JAX's persistent cache makes every later process
    # (the CLI, the tests, a sweep resumed) load it instead. Opt out: SIMSRC_NO_COMPILE_CACHE=1.
    _cache = os.environ.get("SIMSRC_COMPILE_CACHE",
                            os.path.join(os.path.expanduser("~"), ".cache", "simsrc", "jax"))
    jax.config.update("jax_compilation_cache_dir", _cache)
    # 0.1 s, not JAX's 1 s: small whole programs (a run's metrics, ~0.5 s to compile) are
    # cached too, while single eager ops (~0.02 s each) still are not (benchmarks/README.md)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)
