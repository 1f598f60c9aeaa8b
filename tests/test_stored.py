"""Stored programs (``simsrc.engine.stored``): a warm process skips tracing, and gets the same
answer, bit for bit, as a process that traced; a damaged or foreign stored program is rebuilt,
never a failure."""
from __future__ import annotations

import jax
import numpy as np
import pytest

import simsrc
from simsrc.engine import stored

FOLDER = stored.folder      # the real one (the fixture below replaces it)


def _run():
    # the canonical SLIP, 2 steps: a cheap program
    out = simsrc.simulate(simsrc.canonical_params(), simsrc.apex(1.0, 5.0), n_steps=2)
    return jax.device_get((out.records, out.final_state))


def _same(a, b):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh folder of stored programs and an empty table of loaded ones."""
    monkeypatch.setattr(stored, "folder", lambda: str(tmp_path))
    monkeypatch.setattr(stored, "_LOADED", {})
    return tmp_path


def test_a_stored_program_gives_the_traced_answer_and_is_read_back(store, monkeypatch):
    monkeypatch.setattr(stored, "folder", lambda: None)       # switched off: traced
    traced = _run()
    assert not list(store.glob("*"))
    monkeypatch.setattr(stored, "folder", lambda: str(store))
    first = _run()                                 # exported, stored, then run
    files = list(store.glob("*.jaxexport"))
    assert len(files) == 1
    _same(first, traced)

    # a new process: nothing loaded yet; the program must come from the file, not a new trace
    stored._LOADED.clear()

    def no_export(*args):
        raise AssertionError("the stored program was not used")
    monkeypatch.setattr(stored, "_store", no_export)
    _same(_run(), traced)


def test_a_damaged_stored_program_is_rebuilt(store):
    reference = _run()
    (path,) = store.glob("*.jaxexport")
    path.write_bytes(b"not a program")
    stored._LOADED.clear()
    _same(_run(), reference)
    assert path.read_bytes() != b"not a program"


def test_the_key_names_what_shapes_the_program():
    p = simsrc.canonical_params()
    a = stored.key("run", (2, "opts"), (np.zeros(8), np.zeros(8)))
    assert a == stored.key("run", (2, "opts"), (np.ones(8), np.ones(8)))       # values: no
    assert a != stored.key("run", (3, "opts"), (np.zeros(8), np.zeros(8)))      # static
    assert a != stored.key("run", (2, "opts"), (np.zeros(16), np.zeros(8)))     # shapes
    assert a != stored.key("run", (2, "opts"), (np.zeros(8, np.float32), np.zeros(8)))
    assert a != stored.key("run", (2, "opts"), ((np.zeros(8),), np.zeros(8)))   # structure
    assert stored.usable((p, np.zeros(3)))


def test_the_key_names_how_the_inputs_are_split_across_devices():
    """A chunk split across two CPU devices (``simsrc sweep --devices 2``) has a stored program
    of its own: its key differs from the one-device key of the same shapes, and from a split
    along another mesh. (A stand-in leaf: this process has one device.)"""
    from types import SimpleNamespace

    def split(n_devices, spec="PartitionSpec('points',)"):
        sharding = SimpleNamespace(device_set=set(range(n_devices)), spec=spec,
                                   mesh=SimpleNamespace(shape={"points": n_devices}))
        return SimpleNamespace(shape=(8,), dtype=np.dtype(np.float64), sharding=sharding)

    one = stored.key("run", (2, "opts"), (np.zeros(8),))
    two = stored.key("run", (2, "opts"), (split(2),))
    assert len({one, two, stored.key("run", (2, "opts"), (split(4),)),
                stored.key("run", (2, "opts"), (split(2, "PartitionSpec()"),))}) == 4
    assert one == stored.key("run", (2, "opts"), (split(1),))   # one device: the plain key


def test_a_traced_call_is_not_served_from_the_store(store):
    # under jit, grad or eval_shape the caller's trace is used: the stored program is never
    # consulted (eval_shape traces without compiling, so this test costs a trace only)
    def f(k):
        p = simsrc.canonical_params()._replace(leg_stiffness_n_per_m=k)
        return simsrc.simulate(p, simsrc.apex(1.0, 5.0), n_steps=1,
                               check=False).records.end.y_m[0]
    assert jax.eval_shape(f, 20e3).shape == ()
    assert not list(store.glob("*.jaxexport"))


def _package_named_tuples():
    """Every NamedTuple class defined in a module of the package (all of them imported)."""
    import importlib
    import pkgutil
    for info in pkgutil.walk_packages(simsrc.__path__, "simsrc."):
        if ".__main__" not in info.name:
            importlib.import_module(info.name)
    import sys
    return sorted({cls for name, m in list(sys.modules.items())
                   if name.startswith("simsrc.") and m is not None
                   for cls in vars(m).values()
                   if isinstance(cls, type) and issubclass(cls, tuple)
                   and hasattr(cls, "_fields") and cls.__module__ == name},
                  key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_every_named_tuple_of_the_package_can_be_stored():
    """A program that takes or returns one of the package's NamedTuples must serialise: one
    that does not is traced twice on every run and never stored (the curve fits' data,
    ``ForceCurve``, was missing from a hand-kept list until 2026-12-03). Each class goes
    through an export of the identity, serialised and read back."""
    classes = _package_named_tuples()
    assert len(classes) > 20                   # Params, State, the records, the fits' data, ...
    stored._register()
    failed = []
    for cls in classes:
        value = cls(*[np.float64(i) for i in range(len(cls._fields))])
        try:
            exported = jax.export.export(jax.jit(lambda v: v))(value)
            back = jax.export.deserialize(exported.serialize())
        except Exception as e:      # noqa: BLE001 - collected, reported below
            failed.append(f"{cls.__module__}.{cls.__qualname__}: {e}")
            continue
        assert type(back.call(value)) is cls
    assert not failed, failed


def _scaled_curve(k, curve):
    # a kernel at module level (batched_kernel stores only those: a name the same in every run)
    return curve._replace(vertical_bw=curve.vertical_bw * k)


def test_a_fit_kernel_is_stored_and_read_back(store, monkeypatch):
    """The curve fits' kernel takes the measured curve (``ForceCurve``) as an input: its program
    is written to the store on the first call and served from it on the next."""
    from simsrc.engine import batch
    from simsrc.fit.force import ForceCurve

    curve = ForceCurve(*[np.arange(4.0) + i for i in range(len(ForceCurve._fields))])
    call = batch.batched_kernel(_scaled_curve)
    rows = jax.tree_util.tree_map(lambda v: np.stack([v, v]), curve)
    first = call(np.array([1.0, 2.0]), rows)
    assert len(list(store.glob("*.jaxexport"))) == 1
    # a new process: the program must come from the file, not a new export (a file that does
    # not read back would be discarded and exported again)
    stored._LOADED.clear()

    def no_export(*args):
        raise AssertionError("the stored program was not used")
    monkeypatch.setattr(stored, "_store", no_export)
    again = call(np.array([1.0, 2.0]), rows)
    _same(first, again)
    np.testing.assert_array_equal(np.asarray(again.vertical_bw)[1], 2.0 * np.asarray(
        curve.vertical_bw))


def test_the_source_hash_follows_the_package_source(tmp_path, monkeypatch):
    (tmp_path / "engine").mkdir()
    for name in ("a.py", "engine/b.py"):
        (tmp_path / name).write_text("x = 1\n")
    monkeypatch.setattr(stored, "_PACKAGE", tmp_path)
    stored.source_hash.cache_clear()
    try:
        before = stored.source_hash()
        (tmp_path / "engine" / "b.py").write_text("x = 2\n")
        stored.source_hash.cache_clear()
        assert stored.source_hash() != before
    finally:
        monkeypatch.undo()
        stored.source_hash.cache_clear()


def test_stored_programs_are_switched_off_with_the_compile_cache(monkeypatch):
    monkeypatch.delenv("SIMSRC_NO_STORED_PROGRAMS", raising=False)
    monkeypatch.delenv("SIMSRC_NO_COMPILE_CACHE", raising=False)
    assert FOLDER() == str(jax.config.jax_compilation_cache_dir).rstrip("/") + "-export"
    monkeypatch.setenv("SIMSRC_NO_STORED_PROGRAMS", "1")
    assert FOLDER() is None
    monkeypatch.delenv("SIMSRC_NO_STORED_PROGRAMS")
    monkeypatch.setenv("SIMSRC_NO_COMPILE_CACHE", "1")
    assert FOLDER() is None


def test_a_first_build_is_announced_and_timed_and_a_read_back_is_silent(store, caplog):
    """The notes `simsrc` prints on stderr while a model compiles (issue "the newcomer's path":
    say what compiles, once): a program built for the first time is named, with its features,
    and its build time follows; one read back from the store says nothing."""
    import logging
    with caplog.at_level(logging.INFO, logger="simsrc.compile"):
        _run()
    notes = [r.getMessage() for r in caplog.records if r.name == "simsrc.compile"]
    assert len(notes) == 2, notes
    assert notes[0].startswith("compiling the rigid-ground model (no push, no damping; "
                               "2 steps, 1 runner), once")
    assert notes[1].startswith("compiled in ") and notes[1].endswith(" s")
    caplog.clear()
    stored._LOADED.clear()                                       # a new process
    with caplog.at_level(logging.INFO, logger="simsrc.compile"):
        _run()
    assert not [r for r in caplog.records if r.name == "simsrc.compile"]


def test_the_command_line_prints_the_notes_on_stderr(monkeypatch, capsys):
    import logging
    from simsrc.cli import main as cli_main
    log = logging.getLogger("simsrc")
    monkeypatch.setattr(log, "handlers", [])
    monkeypatch.delenv("SIMSRC_QUIET", raising=False)
    cli_main._show_progress_notes()
    cli_main._show_progress_notes()                 # once per process, not twice
    stored.LOG.info("compiling the x model, once")
    assert capsys.readouterr().err == "simsrc: compiling the x model, once\n"
    monkeypatch.setattr(log, "handlers", [])
    monkeypatch.setenv("SIMSRC_QUIET", "1")
    cli_main._show_progress_notes()
    stored.LOG.info("compiling the y model, once")
    assert "y model" not in capsys.readouterr().err


def test_a_process_keeps_the_compile_cache_it_chose(tmp_path):
    """`import simsrc` and its first use do not move a cache the user's process already chose
    (issue "the newcomer's path"); a process with none gets simsrc's."""
    import os
    import subprocess
    import sys
    mine = str(tmp_path / "mine")
    code = ("import jax\n{set}import simsrc\nsimsrc.canonical_params()\n"
            "print(jax.config.jax_compilation_cache_dir)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("SIMSRC_COMPILE_CACHE", "SIMSRC_NO_COMPILE_CACHE")}
    chosen = subprocess.run(
        [sys.executable, "-c", code.format(
            set=f"jax.config.update('jax_compilation_cache_dir', {mine!r})\n")],
        capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert chosen == mine
    env["SIMSRC_COMPILE_CACHE"] = str(tmp_path / "named")
    named = subprocess.run([sys.executable, "-c", code.format(set="")], capture_output=True,
                           text=True, env=env, check=True).stdout.strip()
    assert named == str(tmp_path / "named")


@pytest.mark.slow   # four subprocesses that import JAX (about 18 s); CI runs it
def test_a_process_keeps_the_precision_it_chose(tmp_path):
    """float64 is switched on at the engine's first use unless the process chose (issue "the
    newcomer's path"): ``JAX_ENABLE_X64`` in the environment or ``SIMSRC_FLOAT64=0`` keep JAX's
    setting; the command line is simsrc's own process and always runs in float64."""
    import os
    import subprocess
    import sys
    code = ("import jax\nimport simsrc\nsimsrc.canonical_params()\n"
            "print(jax.config.jax_enable_x64)\n")
    base = {k: v for k, v in os.environ.items() if k not in ("JAX_ENABLE_X64", "SIMSRC_FLOAT64")}

    def x64(**env):
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**base, **env}, check=True).stdout.strip()

    assert x64() == "True"
    assert x64(SIMSRC_FLOAT64="0") == "False"
    assert x64(JAX_ENABLE_X64="0") == "False"
    cli = ("import jax, sys\nfrom simsrc.cli import main\nmain._show_progress_notes()\n"
           "import simsrc.engine\nprint(jax.config.jax_enable_x64)\n")
    out = subprocess.run([sys.executable, "-c", cli], capture_output=True, text=True,
                         env={**base, "SIMSRC_FLOAT64": "0", "JAX_ENABLE_X64": "0"}, check=True)
    assert out.stdout.strip() == "True"


def test_a_quick_compile_gives_the_optimized_answer(store, monkeypatch):
    """``Options(compile_profile="quick")`` (the explorer's) is its own stored program, jitted
    with the profile's XLA options (which this XLA accepts: no fall back to its defaults), and
    its numbers are the optimized program's to rounding."""
    from simsrc.engine.step import COMPILE_PROFILES, Options

    given = []
    jit = stored._jit
    monkeypatch.setattr(stored, "_jit", lambda exported, options: (given.append(options),
                                                                  jit(exported, options))[1])

    assert stored.compiler_options((2, Options(compile_profile="quick"))) == \
        COMPILE_PROFILES["quick"] != {}
    with pytest.raises(ValueError, match="compile_profile"):
        Options(compile_profile="fastest")
    p, s = simsrc.canonical_params(), simsrc.apex(1.0, 5.0)
    runs = {}
    for profile in ("optimized", "quick"):
        opts = Options(compile_profile=profile)
        out = simsrc.simulate(p, s, n_steps=2, options=opts)
        runs[profile] = jax.device_get((out.records.end, out.records.contact_time_s))
    assert {} in given and COMPILE_PROFILES["quick"] in given
    for a, b in zip(jax.tree_util.tree_leaves(runs["quick"]),
                    jax.tree_util.tree_leaves(runs["optimized"])):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


def test_an_unknown_compile_option_falls_back_to_xla_defaults(store, monkeypatch, caplog):
    """An older jaxlib refuses an option it does not know: the program then compiles with XLA's
    defaults instead of failing."""
    import logging

    from simsrc.engine import step
    from simsrc.engine.step import Options

    monkeypatch.setitem(step.COMPILE_PROFILES, "quick", {"xla_no_such_option_in_any_xla": 1})
    with caplog.at_level(logging.INFO, logger="simsrc.compile"):
        out = simsrc.simulate(simsrc.canonical_params(), simsrc.apex(1.0, 5.0), n_steps=2,
                              options=Options(compile_profile="quick"))
    assert any("does not take the compile options" in r.getMessage() for r in caplog.records)
    _same(jax.device_get(out.final_state), _run()[1])


def test_every_state_a_landing_mode_carries_can_be_stored():
    """A program whose input holds a landing mode's carried state (the pendulum's ``Swing``,
    Raibert's ``Placement``, the deadbeat ``Deadbeat`` and ``HeldDeadbeat``, the aimed hip's
    ``AimedSwing``) exports, serialises and reads back: without its registration the export
    failed and such runs were traced again in every
    process, silently."""
    import jax.numpy as jnp

    from simsrc.engine import swing

    stored._register()
    for state in (swing.Swing(0.1, 0.2, 0.3, 0.4), swing.Placement(0.25, 0.1, 3.5),
                  swing.Deadbeat(1.2, 0.95), swing.HeldDeadbeat(1.2, 0.3, 0.95, 3.5),
                  swing.AimedSwing(swing.Swing(0.1, 0.2, 0.3, 0.4),
                                   swing.Placement(0.25, 0.1, 3.5))):
        x = jax.tree_util.tree_map(jnp.asarray, state)
        exp = jax.export.export(jax.jit(lambda t: jax.tree_util.tree_map(lambda v: 2 * v, t)))(x)
        back = jax.export.deserialize(exp.serialize())
        out = back.call(x)
        assert type(out) is type(state)
        np.testing.assert_array_equal(np.asarray(jax.tree_util.tree_leaves(out)),
                                      2 * np.asarray(jax.tree_util.tree_leaves(state)))


def test_a_single_runner_pads_its_steps_to_a_shared_program(store):
    """A single runner's 3 and 4 steps run on one program (5 steps, ``batch.step_bucket``) and
    keep their own steps: records and final state as the batched run of exactly that many
    steps (another program, unpadded) gives them, also where the run fails on its way (60°:
    BACKWARDS at the third step, the final state the last good one)."""
    from simsrc.engine.batch import step_bucket

    assert [step_bucket(n) for n in (1, 2, 3, 4, 5, 6, 10, 11, 20, 21, 99, 100, 101)] == \
        [1, 2, 5, 5, 5, 10, 10, 20, 20, 50, 100, 100, 200]
    for n, angle, new_programs in ((3, 68.0, 1), (4, 60.0, 0)):
        p = simsrc.canonical_params(angle_of_attack_deg=angle)
        before = len(list(store.glob("*")))
        one = simsrc.simulate(p, simsrc.apex(1.0, 5.0), n)
        assert len(list(store.glob("*"))) == before + new_programs
        batch = simsrc.simulate(jax.tree_util.tree_map(lambda v: np.full(1, v), p),
                                simsrc.apex(np.ones(1), np.full(1, 5.0)), n)
        a, b = jax.device_get((one.records, one.final_state)), jax.device_get(
            (batch.records, batch.final_state))
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
            assert np.shape(x) == np.shape(y)[1:]
            np.testing.assert_allclose(np.asarray(x), np.asarray(y)[0], rtol=1e-9, atol=1e-9)
    assert np.asarray(one.records.status).tolist() == [0, 0, 3, 3]
