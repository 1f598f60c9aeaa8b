"""Stored programs: a warm start skips JAX's tracing as well as XLA's compile.

JAX's persistent compile cache (set up in ``simsrc.engine``) stores what XLA compiled, but
every new process still *traces* the Python code into a program before it can look that up,
and for the batched stance scan that takes longer than the simulation itself: 15-30 s of a
warm ``simsrc run`` (benchmarks/README.md, "Stored programs"). Here the traced program is
stored too, with ``jax.export`` (StableHLO, serialised with flatbuffers), in a folder beside the
compile cache (``<compile cache>-export``); a later process reads it in milliseconds and hands
it to XLA, whose cache then supplies the executable.

A stored program is keyed by everything that shapes it: the name of the function and its static
arguments, the shapes and dtypes of its inputs, the float64 switch, the JAX version, the
backend, and a hash of every source file of the package (an edited law never runs from an
old program). A program that cannot be read, was written by another version, or does not
accept the arguments is ignored and rebuilt: a stale or foreign cache never breaks a run.

Used only where it is safe: concrete inputs, on one device or split along a named mesh (a
sweep's chunk on several CPU devices; the split is in the key). Under an outer ``jit``,
``vmap`` or ``grad`` the caller's own trace is used, so gradients are unaffected. ``SIMSRC_NO_COMPILE_CACHE``
turns it off with the compile cache, ``SIMSRC_NO_STORED_PROGRAMS=1`` on its own.

A stored program is compiled with the XLA options of its ``Options.compile_profile``
(``compiler_options``; ``"quick"`` for the explorer's programs); where programs are not stored,
and on a jaxlib that does not know those options, with XLA's defaults.

A program built for the first time (not in the store) is announced on the ``simsrc.compile``
logger at INFO level, with what it is and, once its first call returns, how long the trace and
compile took: the ``simsrc`` command shows these lines on stderr ("compiling the damped-ground
model (push, leg damping; ...), once", "compiled in 20 s"), a library user sees them only with
logging configured.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import pathlib
import sys
import tempfile
import time

import jax

_PACKAGE = pathlib.Path(__file__).parents[1]     # simsrc/
_LOADED: dict[str, object] = {}     # key -> jitted call of the stored program, this process
_SCANNED: set[str] = set()     # simsrc modules whose NamedTuples ``_register`` has registered
#: where a first-time compile is announced (INFO); the command line prints it on stderr
LOG = logging.getLogger("simsrc.compile")


def folder() -> str | None:
    """Where stored programs live, or None when they are switched off."""
    if os.environ.get("SIMSRC_NO_COMPILE_CACHE") or os.environ.get("SIMSRC_NO_STORED_PROGRAMS"):
        return None
    cache = jax.config.jax_compilation_cache_dir
    return None if not cache else str(cache).rstrip("/\\") + "-export"


@functools.lru_cache(maxsize=1)
def source_hash() -> str:
    """Hash of the package's source files (paths and contents): the engine and every layer
    whose kernels are stored (the gait solvers', the fits')."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _register():
    """Let ``jax.export`` serialise simsrc's NamedTuples: every one defined in a simsrc module
    imported so far (the engine's inputs and records, a fit's data and results, ...), each
    under a name that is the same in every process. A module imported later is scanned on the
    next call. A class left out made every export of a program that takes or returns it fail,
    and the program was then traced twice on every run and never stored: the curve fits'
    ``ForceCurve`` did until 2026-12-03 (``python experiments/fit_fukuchi.py`` took 88 s warm,
    benchmarks/README.md, "Stored programs")."""
    from simsrc.engine import ledger, liftoff, params, step, swing  # noqa: F401  (the engine's)
    for name, module in list(sys.modules.items()):
        if not name.startswith("simsrc.") or name in _SCANNED or module is None:
            continue
        _SCANNED.add(name)
        for cls in list(vars(module).values()):
            if (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
                    and cls.__module__ == name):
                try:
                    jax.export.register_namedtuple_serialization(
                        cls, serialized_name=f"simsrc.{name}.{cls.__qualname__}")
                except ValueError:      # registered already (a module reloaded)
                    pass


def usable(args) -> bool:
    """True where a stored program may stand in for tracing: concrete leaves, each on one device
    or split along a named mesh (a sweep's chunk on several CPU devices, ``sweep.run._place``;
    the split is part of the key)."""
    for leaf in jax.tree_util.tree_leaves(args):
        if isinstance(leaf, jax.core.Tracer):
            return False
        sharding = getattr(leaf, "sharding", None)
        if (sharding is not None and len(sharding.device_set) != 1
                and not isinstance(sharding, jax.sharding.NamedSharding)):
            return False
    return True


def _placement(leaf) -> tuple:
    """How a leaf is laid out across devices, for the key: (device count, partition spec, mesh
    axes) of a split leaf; () on one device (the key of every earlier stored program)."""
    sharding = getattr(leaf, "sharding", None)
    if sharding is None or len(sharding.device_set) == 1:
        return ()
    return (len(sharding.device_set), str(getattr(sharding, "spec", "")),
            str(dict(getattr(getattr(sharding, "mesh", None), "shape", {}))))


def _options_in(static):
    """The engine's ``Options`` among a program's static arguments, or None."""
    return next((s for s in (static if isinstance(static, tuple) else (static,))
                 if hasattr(s, "surface_model")), None)


def compiler_options(static) -> dict:
    """XLA compiler options of a program with these static arguments: those of its
    ``Options.compile_profile`` (``simsrc.engine.step.COMPILE_PROFILES``), none otherwise."""
    from simsrc.engine.step import COMPILE_PROFILES

    options = _options_in(static)
    return dict(COMPILE_PROFILES[getattr(options, "compile_profile", "optimized")])


def key(name: str, static, args) -> str:
    """The stored program's key: function, static arguments, input signature, versions."""
    leaves, tree = jax.tree_util.tree_flatten(args)
    sig = [(tuple(getattr(v, "shape", ())), str(getattr(v, "dtype", type(v).__name__)))
           + _placement(v) for v in leaves]
    text = repr((name, static, str(tree), sig, jax.config.jax_enable_x64, jax.__version__,
                 jax.default_backend(), source_hash()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def call(name: str, static, fn, *args):
    """``fn(*args)`` (``fn`` jitted, its static arguments already bound and described by
    ``static``) through a stored program when one exists, storing it otherwise."""
    where = folder()
    if where is None or not usable(args):
        return fn(*args)
    k = key(name, static, args)
    runner = _LOADED.get(k)
    started = None
    if runner is None:
        options = compiler_options(static)
        runner = _load(where, k, options)
        if runner is None:
            started = time.perf_counter()
            LOG.info("compiling %s, once (tens of seconds on a laptop; later runs read it from "
                     "%s)", describe(name, static, args), where)
            # a program that cannot be exported (host callbacks, say) is traced as usual, and
            # remembered as such so that it is not exported again on every call
            runner = _store(where, k, fn, args, options) or fn
        _LOADED[k] = runner
    if runner is fn:
        return _timed(fn, args, started)
    try:
        return _timed(runner, args, started)
    except Exception:               # noqa: BLE001 - a program that does not fit: trace anew
        _LOADED[k] = fn
        _discard(os.path.join(where, k + ".jaxexport"))
        return fn(*args)


def _timed(fn, args, started):
    """``fn(*args)``; after a first-time build (``started`` set), its time on ``LOG``."""
    out = fn(*args)
    if started is not None:
        jax.block_until_ready(out)
        LOG.info("compiled in %.0f s", time.perf_counter() - started)
    return out


def describe(name: str, static, args) -> str:
    """A program in words: ``the damped-ground model (push, leg damping; 10 steps, 1
    runner)`` for ``simulate``'s, ``the kernel steady_kernel (batch of 64)`` for a solver's."""
    options = _options_in(static)
    leaves = jax.tree_util.tree_leaves(args)
    shape = tuple(getattr(leaves[0], "shape", ())) if leaves and name != "run" else ()
    rows = int(shape[0]) if shape else 1
    if options is None:
        return f"the kernel {name.rpartition('.')[2]} (batch of {rows})"
    ground = {"rigid": "rigid-ground", "algebraic": "compliant-ground",
              "damped": "damped-ground"}.get(options.surface_model,
                                             f"{options.surface_model}-ground")
    parts = [w for w, on in (("push", getattr(options, "push", False)),
                             ("leg damping", getattr(options, "leg_damping", False)),
                             ("sand-like ground", getattr(options, "plastic", False))) if on]
    parts = parts or ["no push, no damping"]
    if getattr(options, "landing", "fixed") != "fixed":
        parts.append(f"{options.landing} landing")
    if getattr(options, "compile_profile", "optimized") != "optimized":
        parts.append(f"{options.compile_profile} compile")
    steps = static[0] if isinstance(static, tuple) and isinstance(static[0], int) else None
    count = f"{steps} step{'s' if steps != 1 else ''}, " if steps is not None else ""
    who = "1 runner" if rows == 1 else f"batch of {rows}"
    return f"the {ground} model ({', '.join(parts)}; {count}{who})"


def _jit(exported, options: dict):
    """The stored program, jitted with the XLA compiler ``options``; where this jaxlib does not
    know one of them (an older XLA: "No such compile option"), with XLA's defaults instead."""
    plain = jax.jit(exported.call)
    if not options:
        return plain
    tuned = jax.jit(exported.call, compiler_options=options)
    known = [True]

    def call(*args):
        if known[0]:
            try:
                return tuned(*args)
            except Exception as e:      # noqa: BLE001 - only an unknown option falls back
                if "compile option" not in str(e):
                    raise
                known[0] = False
                LOG.info("this XLA does not take the compile options %s: compiling with its "
                         "defaults", sorted(options))
        return plain(*args)
    return call


def _load(where: str, k: str, options: dict):
    path = os.path.join(where, k + ".jaxexport")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        _register()
        return _jit(jax.export.deserialize(bytearray(data)), options)
    except Exception:               # noqa: BLE001 - unreadable or foreign: rebuilt by _store
        _discard(path)
        return None


def _store(where: str, k: str, fn, args, options: dict):
    try:
        _register()
        exported = jax.export.export(fn)(*args)
        data = exported.serialize()
    except Exception as e:          # noqa: BLE001 - not exportable: the caller traces instead
        LOG.debug("not stored (traced on every run): %s", e)
        return None
    tmp = None
    try:
        os.makedirs(where, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(where, k + ".jaxexport"))
    except OSError:                 # a read-only or full disk: run without storing
        if tmp is not None:
            _discard(tmp)
    return _jit(exported, options)


def _discard(path: str):
    try:
        os.remove(path)
    except OSError:
        pass
