"""simsrc: a JAX spring-mass (SLIP) model of running with a compliant ground and an energy ledger.

Physics: docs/physics.md (the equations) and ../shared/MODEL.md (the specification).

float64 is switched on when the engine is first imported (``simsrc.engine``, on first use of a
public name: ``import simsrc`` alone imports no JAX and changes nothing in the process): the
engine's accuracy targets (1e-8 relative against an independent reference) need it, so a
process that uses the engine runs JAX in float64 from then on (arrays it creates itself
default to float64; give dtypes explicitly where float32 matters). A process that chose its
precision keeps it: with ``JAX_ENABLE_X64`` set in the environment, or ``SIMSRC_FLOAT64=0``,
simsrc leaves JAX's setting alone, and the engine runs in float32 where that is off (about 1e-7
relative on the canonical apex; the steady solvers' and fits' tolerances assume float64). JAX's persistent compilation
cache is switched on there too, at ``~/.cache/simsrc/jax``, unless the process already chose a
cache of its own (then that one is used); ``SIMSRC_COMPILE_CACHE`` names the folder,
``SIMSRC_NO_COMPILE_CACHE=1`` turns it off. float32 inputs still run in float32 (about 1e-6
accuracy, fine for coarse sweeps only).
"""
import importlib

# name -> module of the engine that holds it (None: the name is an engine module); imported on first use (module ``__getattr__``), so
# that ``import simsrc`` and ``simsrc --help`` do not import JAX (which takes a second or more)
_PUBLIC = {
    "status": None, "SimsrcInputError": "simsrc.errors",
    "Ledger": "simsrc.engine.ledger", "mechanical_j": "simsrc.engine.ledger",
    "Params": "simsrc.engine.params", "State": "simsrc.engine.params",
    "apex": "simsrc.engine.params", "canonical_params": "simsrc.engine.params",
    "check_params": "simsrc.engine.params", "make_params": "simsrc.engine.params",
    "Run": "simsrc.engine.simulate", "choose_surface_model": "simsrc.engine.simulate",
    "simulate": "simsrc.engine.simulate", "Options": "simsrc.engine.step",
    "StepRecord": "simsrc.engine.step", "Trajectory": "simsrc.engine.step",
    "SURFACE_PRESETS": "simsrc.engine.surface", "LANDING_MODES": "simsrc.engine.swing",
    "Swing": "simsrc.engine.swing",
}

__version__ = "0.1.0"

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'simsrc' has no attribute {name!r}")
    if _PUBLIC[name] is None:                 # a module: simsrc.status
        value = importlib.import_module(f"simsrc.engine.{name}")
    else:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
