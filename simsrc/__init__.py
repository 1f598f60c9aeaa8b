"""simsrc: a JAX spring-mass (SLIP) model of running with a compliant ground and an energy ledger.

Physics: docs/physics.md (the equations) and ../shared/MODEL.md (the specification).

float64 is switched on at import: the engine's accuracy targets (1e-8 relative against an
independent reference) need it. JAX's persistent compilation cache is switched on too
(``~/.cache/simsrc/jax``; ``SIMSRC_COMPILE_CACHE`` moves it, ``SIMSRC_NO_COMPILE_CACHE=1``
turns it off). float32 inputs still run in float32 (about 1e-6 accuracy, fine
for coarse sweeps only).
"""
import os

import jax

jax.config.update("jax_enable_x64", True)
if not os.environ.get("SIMSRC_NO_COMPILE_CACHE"):
    # Compiling the engine takes seconds; JAX's persistent cache makes every later process
    # (the CLI, the tests, a sweep resumed) load it instead. Opt out: SIMSRC_NO_COMPILE_CACHE=1.
    _cache = os.environ.get("SIMSRC_COMPILE_CACHE",
                            os.path.join(os.path.expanduser("~"), ".cache", "simsrc", "jax"))
    jax.config.update("jax_compilation_cache_dir", _cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)

from simsrc.engine import status  # noqa: E402
from simsrc.errors import SimsrcInputError  # noqa: E402
from simsrc.engine.ledger import Ledger, mechanical_j  # noqa: E402
from simsrc.engine.params import (Params, State, apex, canonical_params, check_params,  # noqa: E402
                                  make_params)
from simsrc.engine.simulate import Run, choose_surface_model, simulate  # noqa: E402
from simsrc.engine.step import Options, StepRecord, Trajectory  # noqa: E402
from simsrc.engine.surface import SURFACE_PRESETS  # noqa: E402
from simsrc.engine.swing import LANDING_MODES, Swing  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "LANDING_MODES", "Ledger", "Options", "Params", "Run", "SURFACE_PRESETS", "SimsrcInputError", "State",
    "StepRecord", "Trajectory", "apex", "canonical_params", "check_params", "choose_surface_model",
    "make_params",
    "Swing", "mechanical_j", "simulate", "status",
]
