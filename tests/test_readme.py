"""Every command of the README runs (the newcomer's path), in a smoke form.

README.md is parsed (tests/readme_commands.py, shared with benchmarks/readme_times.py): each
command of its ```bash blocks (a trailing ``# comment`` removed, ``a && b`` split into two) and its
```python snippet become one test each, named by the command, so a changed README changes the
tests. ``RULES`` maps each command's first words to its smoke form: quick, yet on the command's
own path (``simsrc sweep X`` -> ``simsrc check X``, a script -> its ``--help``/``--describe``,
...). A README command that no rule covers fails ``test_readme_command``: a new command needs a
smoke form here. Every file a command names (configs, scripts) must exist.

The slow part (``-m slow``) runs ``REAL_COMMANDS`` for real: the commands whose path no other
test runs, and one of each kind where the README has several; shrunk where the README's would
take minutes (the sweep's grid cut to 2 x 2 points, a script in its smoke mode), each writing
into the test's temporary folder (outputs rewritten with ``--out``/``--plot``, TMPDIR set
there), so the checkout stays clean.

Measured on this project's 2-core machine (other jobs running), ``python -m pytest -q -p
no:cacheprovider -n 0 tests/test_readme.py``: 16-27 s (31 tests; no compiling: each smoke form
is one process that imports and parses, about 2-4 s, and all the checks share one
`simsrc check`); the slow part, ``-m slow``: 4.9 min from an empty compile cache (9 tests:
fit_fukuchi.py 141 s, calibrate_sand.py --smoke 59 s, the sand run 20 s, the sweep on Dask 19 s,
`simsrc figures --list` 18 s, stability_map.py --smoke 15 s, the snippet 11 s, the rest 9 s).
"""
from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Callable, NamedTuple

import pytest
from readme_commands import Command, argv, readme_blocks, readme_commands

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TIMEOUT_S = 120        # a smoke form (a --help, a check, a --describe)
SLOW_TIMEOUT_S = 900   # a real command, from an empty compile cache


# ----------------------------------------------------------------------------- the README

PYTHON_SNIPPET = "python snippet (README)"


def readme_python() -> str:
    blocks = readme_blocks(README.read_text(), "python")
    assert len(blocks) == 1, "the README has one ```python snippet; update this test if not"
    return blocks[0]


COMMANDS = readme_commands(README.read_text())


# ----------------------------------------------------------------------------- running

def environment(tmp_path: Path | None = None) -> dict:
    """This checkout's package; temporary files in ``tmp_path``; no display."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return env if tmp_path is None else dict(env, TMPDIR=str(tmp_path))


def run(words, tmp_path: Path, timeout: float = TIMEOUT_S):
    """Run a command from the checkout's root with this checkout's package; temporary files
    (and smoke outputs that go to the temporary directory) land in ``tmp_path``. Asserts exit
    code 0, with the end of stderr in the message."""
    proc = subprocess.run(argv(words), cwd=ROOT, env=environment(tmp_path), capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"`{shlex.join(words)}` exited with {proc.returncode}\n--- stderr (end) ---\n"
        f"{proc.stderr[-3000:]}\n--- stdout (end) ---\n{proc.stdout[-1000:]}")
    return proc


def positional(words) -> list[str]:
    """The arguments after the command that are not options or option values (simsrc
    subcommands: ``--set``, ``--target-speed``, ``--plot``, ``-o``, ... take one value)."""
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif w.startswith("-"):
            skip = "=" not in w and w not in FLAGS
        else:
            out.append(w)
    return out


FLAGS = {"--smoke", "--force", "--resume", "--overwrite", "--no-browser", "--no-figures",
         "--no-progress", "--per-step", "--help", "-e", "-q"}


def option_values(words, name: str) -> list[str]:
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == name]


def replace_option(words, names, value) -> list[str]:
    """``words`` with the value of the option ``names`` replaced (added if absent)."""
    words = list(words)
    for i, w in enumerate(words[:-1]):
        if w in names:
            words[i + 1] = value
            return words
    return words + [names[0], value]


def inputs(words) -> list[str]:
    """The files a command reads: its config and script arguments."""
    return [w for w in words if w.endswith((".toml", ".py")) and w not in
            option_values(words, "-o") + option_values(words, "--out")
            + option_values(words, "--plot")]


def shrunk_sweep(config: str, tmp_path: Path) -> Path:
    """A copy of a sweep config with every axis cut to its first two values (2^n points)."""
    from simsrc.config.dump import toml_value

    data = tomllib.loads((ROOT / config).read_text())
    for name, axis in data["sweep"].items():
        if isinstance(axis, dict):
            data["sweep"][name] = dict(axis, num=min(2, axis["num"]))
        else:
            data["sweep"][name] = list(axis)[:2]
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for table, body in data.items():
        if isinstance(body, dict):
            lines += [f"[{table}]"] + [f"{k} = {toml_value(v)}" for k, v in body.items()]
    path = tmp_path / Path(config).name
    path.write_text("\n".join(lines) + "\n")
    return path


# ----------------------------------------------------------------------------- smoke rules

class Rule(NamedTuple):
    """How to smoke-test a command: ``smoke(words, tmp_path)`` runs the quick form (default
    test run); ``real(words, tmp_path)``, if given, the real (possibly shrunk) command (slow).
    ``skip``: a reason the command is not run at all."""

    smoke: Callable | None = None
    real: Callable | None = None
    skip: str = ""


def check_forms(words) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`simsrc run/sweep/fit/animate CONFIG... [--set K=V]` -> (the configs, the --set
    options) of its `simsrc check`; the built-in runner is configs/default.toml."""
    configs = [w for w in positional(words[2:]) if w.endswith(".toml")] or ["configs/default.toml"]
    sets = [x for v in option_values(words, "--set") for x in ("--set", v)]
    return tuple(configs), tuple(sets)


@functools.cache
def checked(sets: tuple[str, ...]) -> subprocess.CompletedProcess:
    """One `simsrc check` of every config that the README's commands with these --set options
    name (a check costs 4 s, mostly the import, so the commands share it)."""
    configs = []
    for c in COMMANDS:
        rule = rule_for(c.words)
        if rule is not None and rule.smoke is _check and check_forms(c.words)[1] == sets:
            configs += [x for x in check_forms(c.words)[0] if x not in configs]
    return subprocess.run(argv(["simsrc", "check", *configs, *sets]), cwd=ROOT,
                          env=environment(), capture_output=True, text=True, timeout=TIMEOUT_S)


def _check(words, tmp_path):
    """`simsrc run/sweep/fit/animate CONFIG... [--set K=V]` -> `simsrc check CONFIG...`
    with the same --set (run once for all commands, ``checked``)."""
    configs, sets = check_forms(words)
    proc = checked(sets)
    for config in configs:
        assert f"ok  {config}:" in proc.stdout, (
            f"`simsrc check {config} {shlex.join(sets)}` did not pass:\n"
            + "\n".join(line for line in proc.stderr.splitlines() if config in line)
            + f"\n--- stderr (end) ---\n{proc.stderr[-2000:]}")


def _help(words, tmp_path):
    """The command's ``--help`` (its parser, its imports)."""
    out = run([*words[:2], "--help"], tmp_path).stdout   # `simsrc CMD` or `python SCRIPT`
    assert "usage:" in out


def _real_run(words, tmp_path):
    """`simsrc run ...` as written, a plot into tmp_path."""
    if "--plot" in words:
        words = replace_option(words, ("--plot",), str(tmp_path / "run.png"))
    out = run(words, tmp_path, SLOW_TIMEOUT_S).stdout
    assert "steady gait" in out, out[-2000:]
    if "--plot" in words:
        assert (tmp_path / "run.png").stat().st_size > 0


def _real_sweep(words, tmp_path):
    """The sweep on its config's grid cut to 2 per axis, into tmp_path; with --scheduler
    local, on one Dask worker."""
    config = positional(words[2:])[0]
    small = shrunk_sweep(config, tmp_path)
    rest = list(words[3:])
    if "--scheduler" in rest:
        rest += ["--workers", "1"]
    out = tmp_path / "out"
    run(["simsrc", "sweep", str(small), *rest, "--out", str(out), "--no-progress"], tmp_path,
        SLOW_TIMEOUT_S)
    assert (out / "results.nc").exists() and (out / "results.csv").exists()


def _figures_list(words, tmp_path):
    """Plain `simsrc figures` -> `simsrc figures --list`: every experiment script found and
    asked for its --describe (rebuilding every figure at full size takes an hour, or reads
    figures/.cache, which a fresh checkout does not have)."""
    out = run(["simsrc", "figures", "--list"], tmp_path).stdout
    assert "e1_springs" in out, out


def _real_explore(words, tmp_path):
    """`simsrc explore --no-browser` on a free port: the page is served; then stopped."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(argv([*words, "--no-browser", "--port", str(port)]), cwd=ROOT,
                            env=environment(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"simsrc explore stopped: {proc.stderr.read()[-3000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    assert r.status == 200 and b"<html" in r.read().lower()
                    break
            except OSError:
                assert time.monotonic() < deadline, "simsrc explore served no page in 120 s"
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def _script(words, tmp_path):
    """`python experiments/X.py [...]`: an experiment of experiments/common.py's pattern ->
    its ``--describe``; a script with its own parser -> ``--help``; a script without one
    (fit_fukuchi.py) -> imported (its imports resolve, it has a main)."""
    script = words[1]
    text = (ROOT / script).read_text()
    if re.fullmatch(r"e\d+_\w+\.py", Path(script).name):   # what `simsrc figures` runs
        out = run(["python", script, "--describe"], tmp_path).stdout
        assert '"question"' in out, out
    elif "argparse" in text:
        _help(words, tmp_path)
    else:
        code = ("import importlib.util, sys; s = importlib.util.spec_from_file_location('m', "
                f"{str(ROOT / script)!r}); m = importlib.util.module_from_spec(s); "
                "s.loader.exec_module(m); assert callable(m.main)")
        run(["python", "-c", code], tmp_path)


def _real_script(words, tmp_path):
    """`python experiments/X.py` for real, outputs into tmp_path: ``--smoke`` where the
    script has it (``--out`` into tmp_path; stability_map.py's smoke figure goes to the
    temporary folder, tmp_path too); a script that writes only into figures/ of its checkout
    (fit_fukuchi.py) runs from a copy in tmp_path/experiments, so it writes into
    tmp_path/figures. Either way a figure is drawn."""
    script = words[1]
    text = (ROOT / script).read_text()
    if "--smoke" in text:
        words = list(words) + (["--smoke"] if "--smoke" not in words else [])
        out = tmp_path / ("stability_map.png" if "stability_map" in script else "figures")
        run(replace_option(words, ("--out",), str(out)), tmp_path, SLOW_TIMEOUT_S)
    else:
        (tmp_path / "experiments").mkdir()
        (tmp_path / "figures").mkdir()
        copy = tmp_path / "experiments" / Path(script).name
        shutil.copy(ROOT / script, copy)
        run(["python", str(copy), *words[2:]], tmp_path, SLOW_TIMEOUT_S)
    assert any(tmp_path.rglob("*.png")), f"`{shlex.join(words)}` drew no figure"


def _pytest_collect(words, tmp_path):
    """`python -m pytest -q` -> the same collection only (``--collect-only``): every test
    module imports; running them all is the test run itself."""
    out = run([*words, "--collect-only", "-p", "no:cacheprovider", "-n", "0"], tmp_path,
              SLOW_TIMEOUT_S).stdout
    assert "tests collected" in out or "selected" in out, out[-2000:]


def _snippet(words, tmp_path):
    """The README's python snippet, executed as written; then it shows what it says: the
    steady gait converged, its 5 steps all completed and repeat one another (the same contact
    time to 1e-6 s: the hand-built runner is the built-in one, started on its steady apex), and
    the ledger closes to the damped contact model's accuracy (|residual| < 2 J of the leg's
    88 J peak; docs/numerics.md)."""
    code = readme_python()
    code += ("\nimport numpy as np\nr = np.asarray(out.records.ledger.residual_j)\n"
             "t = np.asarray(out.records.contact_time_s)\n"
             "assert bool(gait.converged), gait.message\n"
             "assert r.shape == (5,) and np.all(np.asarray(out.records.status) == 0)\n"
             "assert np.ptp(t) < 1e-6, t\n"
             "assert np.all(np.abs(r) < 2.0), r\n")
    run(["python", "-c", code], tmp_path, SLOW_TIMEOUT_S)


PIP = "installs into the environment; the tests run from the installed checkout already"

# command prefix -> rule; the longest matching prefix wins
RULES: dict[tuple[str, ...], Rule] = {
    ("pip", "install"): Rule(skip=PIP),
    # Jupyter's own server is not a dependency; tests/test_notebooks.py executes the notebook
    # the command opens (nbclient, slow) and checks that the committed file is clean
    ("jupyter", "notebook"): Rule(skip="opens Jupyter; tests/test_notebooks.py executes the "
                                  "notebook (nbclient)"),
    ("python", "-m", "pytest"): Rule(real=_pytest_collect),
    ("simsrc", "run"): Rule(smoke=_check, real=_real_run),
    ("simsrc", "sweep"): Rule(smoke=_check, real=_real_sweep),
    ("simsrc", "gait"): Rule(smoke=_help),
    ("simsrc", "fit"): Rule(smoke=_check),
    ("simsrc", "animate"): Rule(smoke=_check),
    ("simsrc", "figures"): Rule(smoke=_help, real=_figures_list),
    ("simsrc", "explore"): Rule(smoke=_help, real=_real_explore),
    ("python", "experiments/"): Rule(smoke=_script, real=_real_script),
    ("python", "benchmarks/"): Rule(smoke=_help),
    (PYTHON_SNIPPET,): Rule(real=_snippet),
}

# the README commands that also run for real (slow), with their rule's ``real``: those whose
# path no other test runs, and one of each kind where the README has several (4.9 min from an
# empty compile cache, see the module docstring). The others' real paths run elsewhere:
# `simsrc run` (test_cli.py::test_run_builtin_default), --plot (test_run_plot), `simsrc gait`
# (test_cli.py, slow), the steady and plain sweeps (test_sweep.py), `simsrc fit`
# (test_fit_cli.py), `simsrc animate` (test_animate.py), e2 in smoke mode and
# `simsrc figures --only` (test_experiments.py, slow).
REAL_COMMANDS = (
    "simsrc run configs/human.toml --set surface=sand --target-speed 3.5",  # --set, held speed
    "simsrc sweep configs/canonical_stability_grid.toml --scheduler local",  # on Dask
    "python experiments/stability_map.py",
    "python experiments/calibrate_sand.py",
    "python experiments/fit_fukuchi.py",
    "python -m pytest -q",
    "simsrc figures",
    "simsrc explore",
    PYTHON_SNIPPET,
)


def rule_for(words) -> Rule | None:
    """The rule of the longest prefix of ``words`` in RULES (a prefix ending in ``/`` matches
    a path in that folder)."""
    best = None
    for prefix, rule in RULES.items():
        n = len(prefix)
        head = list(words[:n])
        if len(head) < n:
            continue
        if prefix[-1].endswith("/"):
            ok = tuple(head[:-1]) == prefix[:-1] and head[-1].startswith(prefix[-1])
        else:
            ok = tuple(head) == prefix
        if ok and (best is None or n > best[0]):
            best = (n, rule)
    return best[1] if best else None


ALL = COMMANDS + [Command((PYTHON_SNIPPET,), PYTHON_SNIPPET)]
REAL = [c for c in ALL if c.text in REAL_COMMANDS]


# ----------------------------------------------------------------------------- the tests

def test_the_readme_has_commands():
    """The parser finds the README's commands (a changed fence would otherwise pass
    silently)."""
    assert len(COMMANDS) >= 20
    assert any(c.words[:2] == ("simsrc", "sweep") for c in COMMANDS)
    assert "simsrc" in readme_python()


def test_the_real_commands_are_readme_commands():
    """Each command picked to run for real is still in the README and has a real form."""
    texts = {c.text: c for c in ALL}
    for text in REAL_COMMANDS:
        assert text in texts, f"`{text}` is no longer a README command: update REAL_COMMANDS"
        assert rule_for(texts[text].words).real is not None, f"`{text}` has no real form"


@pytest.mark.parametrize("command", ALL, ids=[c.text for c in ALL])
def test_readme_command(command, tmp_path):
    """The command's files exist, a rule covers it, and its smoke form succeeds."""
    for path in inputs(command.words):
        assert (ROOT / path).is_file(), f"`{command.text}` names {path}, which does not exist"
    rule = rule_for(command.words)
    assert rule is not None, (f"no smoke rule for the README command `{command.text}`: add one "
                              "to RULES in tests/test_readme.py")
    if rule.skip:
        pytest.skip(rule.skip)
    if rule.smoke is None:
        assert command.text in REAL_COMMANDS, f"`{command.text}` has neither smoke nor real run"
        pytest.skip("runs only for real (test_readme_command_for_real, marked slow)")
    rule.smoke(command.words, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("command", REAL, ids=[c.text for c in REAL])
def test_readme_command_for_real(command, tmp_path):
    """The command itself, shrunk where it would take minutes, outputs into tmp_path."""
    rule_for(command.words).real(command.words, tmp_path)
