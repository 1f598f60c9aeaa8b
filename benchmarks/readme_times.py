"""How long each example command of the README takes on this machine, cold and warm.

For each command of README.md's ```bash blocks (parsed by tests/readme_commands.py, the parser
tests/test_readme.py uses), run as written in a new process:

- **cold**: with empty compile caches: a fresh folder for JAX's compile cache
  (``SIMSRC_COMPILE_CACHE``; the stored traced programs of simsrc/engine/stored.py go beside it,
  ``<that folder>-export``, so they start empty too) and for the tests' cache
  (``SIMSRC_TEST_COMPILE_CACHE``);
- **warm**: the same command again right after, with the caches the cold run filled.

Each run measures the wall time and the peak resident memory of the command (GNU time's ``%e``
and ``%M``: the largest process among the command and the children it waited for) and the
1-minute load average at its end (on a 2-core machine: about 1 is the command alone, more is
other jobs sharing the cores). The commands run from the root of a throwaway copy of the
checkout's tracked files (in a temporary folder, ``TMPDIR`` there too), so what they write
(``run.png``, ``firm_vs_sand.gif``, ``runs/``, the figures) never touches the checkout. Before
each run the results caches of the copy (``runs/``, ``figures/.cache/``) are emptied, so the warm
run computes again; only the compile caches carry over.

Not run: ``pip install`` (it changes the environment), ``simsrc explore`` (a server; its start is
timed by benchmarks/bench_explore.py). ``jupyter notebook X.ipynb`` is timed by executing X with
nbclient in a python3 kernel (what tests/test_notebooks.py runs), without Jupyter's server.
``--skip-slow`` leaves out what takes several minutes (the full ``simsrc figures``, the
engine/gait/fit benchmarks, the notebooks, the test run).

Run (with --skip-slow, 22 commands: 36 min on this project's 2-core machine, 2026-12-02, load
2-6; the slow ones add about 30 min without the full ``simsrc figures`` and the test run). It
prints each row as it goes and writes the table only with --out, merged into FILE's rows by
command; ``--until HH:MM`` (UTC) starts no command after that time and stops one still running::

    python benchmarks/readme_times.py --skip-slow --until 08:50 --out benchmarks/readme_times.md
    python benchmarks/readme_times.py --only "simsrc gait" --only e9_ --out benchmarks/readme_times.md
    python benchmarks/readme_times.py --list        # the commands and what would be run
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from readme_commands import Command, argv, readme_commands  # noqa: E402

TIMEOUT_S = 1200    # one run; a command still running then is stopped and reported so

# command prefixes never run here, and why
NOT_RUN = {
    ("pip",): "installs into the environment",
    ("simsrc", "explore"): "a server: its start is timed by benchmarks/bench_explore.py",
}
# command prefixes that take several minutes (left out by --skip-slow); ("simsrc", "figures")
# matches only the plain command
SLOW = (("simsrc", "figures"), ("python", "benchmarks/bench_engine.py"),
        ("python", "benchmarks/bench_gaits.py"), ("python", "benchmarks/bench_fit.py"),
        ("jupyter",), ("python", "-m", "pytest"))

NOTEBOOK = ("import sys, nbformat, nbclient\n"
            "nb = nbformat.read(sys.argv[1], as_version=4)\n"
            "nbclient.NotebookClient(nb, timeout=600, kernel_name='python3',\n"
            "                        resources={'metadata': {'path': '.'}}).execute()\n")


class Run(NamedTuple):
    """One timed run: wall time (s), peak RSS (MB), 1-minute load at its end; ``note`` says
    why there is no time (failed, stopped)."""

    seconds: float | None
    peak_mb: float | None
    load: float
    note: str = ""


def why_not_run(words) -> str:
    for prefix, reason in NOT_RUN.items():
        if tuple(words[:len(prefix)]) == prefix:
            return reason
    return ""


def is_slow(words) -> bool:
    return any(tuple(words) == p if p == ("simsrc", "figures") else
               tuple(words[:len(p)]) == p for p in SLOW)


def command_argv(words) -> list[str]:
    """What runs: the command as written (``simsrc`` as ``python -m simsrc``), a notebook by
    nbclient."""
    if words[0] == "jupyter":
        return [sys.executable, "-c", NOTEBOOK, words[-1]]
    return argv(words)


def throwaway_copy(where: Path) -> Path:
    """The checkout's tracked files (as they are in the work tree) copied into ``where``."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src, dst = ROOT / name, where / name
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return where


def timed(words, copy: Path, caches: Path, tmp: Path, timeout: float) -> Run:
    """Run ``words`` from the copy's root with the compile caches in ``caches``; its time and
    peak memory by GNU time."""
    for results in (copy / "runs", copy / "figures" / ".cache"):
        shutil.rmtree(results, ignore_errors=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("SIMSRC_NO_COMPILE_CACHE", "SIMSRC_NO_STORED_PROGRAMS")}
    env.update(PYTHONPATH=str(copy), MPLBACKEND="Agg", TMPDIR=str(tmp),
               SIMSRC_COMPILE_CACHE=str(caches / "jax"),
               SIMSRC_TEST_COMPILE_CACHE=str(caches / "jax-tests"))
    report = tmp / "time.txt"
    cmd = ["/usr/bin/time", "-f", "%e %M", "-o", str(report), *command_argv(words)]
    log = tmp / "output.txt"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)      # the command's whole process group
            proc.wait()
            return Run(None, None, os.getloadavg()[0], f"stopped after {timeout:.0f} s")
    load = os.getloadavg()[0]
    if proc.returncode != 0:
        print(f"  `{shlex.join(words)}` exited with {proc.returncode}:\n"
              + log.read_text()[-2000:], file=sys.stderr)
        return Run(None, None, load, f"failed (exit {proc.returncode})")
    seconds, kb = report.read_text().split()[-2:]
    return Run(float(seconds), int(kb) / 1024, load)


def measure(command: Command, copy: Path, timeout) -> tuple[Run, Run | None]:
    """The cold run (empty compile caches) and, if it succeeded, the warm one; ``timeout()``
    gives each run's limit in seconds when it starts."""
    with tempfile.TemporaryDirectory(prefix="readme-times-") as tmp:
        tmp = Path(tmp)
        caches = tmp / "caches"
        cold = timed(command.words, copy, caches, tmp, timeout())
        if cold.seconds is None:
            return cold, None
        return cold, timed(command.words, copy, caches, tmp, timeout())


# ----------------------------------------------------------------------------- the table

HEADER = ("| command | cold s | cold MB | warm s | warm MB | load (cold/warm) |\n"
          "|---|---:|---:|---:|---:|---|\n")


def row(command: Command, cold: Run, warm: Run | None) -> str:
    def cells(r: Run | None) -> list[str]:
        if r is None:
            return ["-", "-"]
        if r.seconds is None:
            return [r.note, "-"]
        return [f"{r.seconds:.1f}", f"{r.peak_mb:.0f}"]
    loads = "/".join(f"{r.load:.1f}" for r in (cold, warm) if r is not None)
    return "| " + " | ".join([f"`{command.text}`", *cells(cold), *cells(warm), loads]) + " |\n"


def write_table(path: Path, rows: dict[str, str], order: list[str], run_line: str) -> None:
    """``path``'s table with ``rows`` (command text -> row) replacing or adding rows, in the
    README's order; ``run_line`` (when and how this invocation ran) added to the list of runs
    that measured the rows; a ``## Notes`` section written by hand at the end is kept."""
    old, runs, notes = {}, [], ""
    if path.exists():
        text = path.read_text()
        if "\n## Notes" in text:
            text, notes = text.split("\n## Notes", 1)
            notes = "\n## Notes" + notes
        for line in text.splitlines(keepends=True):
            if line.startswith("| `"):
                old[line[3:line.index("`", 3)]] = line   # a row added by hand may say more
            elif line.startswith("- ") and line != run_line:
                runs.append(line)
    old.update(rows)
    text = (
        "# The README's example commands, cold and warm\n\n"
        "Written by benchmarks/readme_times.py (its docstring says what is measured). Cold: empty "
        "compile caches (JAX's and simsrc's stored programs); warm: the same command right "
        "after. Peak memory: the largest process (GNU time, %M). Load: the 1-minute load "
        "average at the end of each run (about 1 is the command alone on the 2 cores; other "
        f"jobs shared the machine). Machine: {platform.node() or 'this one'}, "
        f"{os.cpu_count()} cores.\n\nThe runs that measured these rows:\n\n"
        + "".join(runs) + run_line + "\n"
        + HEADER + "".join(old[c] for c in order if c in old)
        + "".join(v for k, v in old.items() if k not in order) + notes)
    path.write_text(text)


# ----------------------------------------------------------------------------- main

def chosen(commands: list[Command], only: list[str], skip_slow: bool):
    """(command, reason it is not run or "") for each README command ``--only`` keeps."""
    out = []
    for c in commands:
        if only and not any(s in c.text for s in only):
            continue
        reason = why_not_run(c.words)
        if not reason and skip_slow and is_slow(c.words):
            reason = "slow (--skip-slow)"
        out.append((c, reason))
    return out


def main(args=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", default=[], metavar="SUBSTRING",
                    help="only the commands containing SUBSTRING (repeatable: any of them)")
    ap.add_argument("--skip-slow", action="store_true",
                    help="leave out what takes several minutes (full figures, bench_engine, "
                         "bench_gaits, bench_fit, notebooks, the test run)")
    ap.add_argument("--out", type=Path, metavar="FILE",
                    help="write the markdown table into FILE (rows of other commands kept)")
    ap.add_argument("--until", metavar="HH:MM",
                    help="start no command after this UTC time, and stop a run still going then")
    ap.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds, each run")
    ap.add_argument("--list", action="store_true", help="list the commands and stop")
    a = ap.parse_args(args)
    invocation = shlex.join(["python", "benchmarks/readme_times.py", *(args or sys.argv[1:])])

    commands = readme_commands((ROOT / "README.md").read_text())
    plan = chosen(commands, a.only, a.skip_slow)
    if a.list:
        for c, reason in plan:
            print(f"{'skip' if reason else 'run '}  {c.text}" + (f"   ({reason})" if reason else ""))
        return 0
    end = None
    if a.until:
        h, m = map(int, a.until.split(":"))
        end = dt.datetime.now(dt.timezone.utc).replace(hour=h, minute=m, second=0, microsecond=0)

    def timeout() -> float:
        """Seconds a run starting now may take: --timeout, or less to stop by --until."""
        if end is None:
            return a.timeout
        return min(a.timeout, (end - dt.datetime.now(dt.timezone.utc)).total_seconds())

    rows: dict[str, str] = {}
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run_line = f"- `{invocation}`, started {started} (load {os.getloadavg()[0]:.1f})\n"
    with tempfile.TemporaryDirectory(prefix="readme-times-copy-") as where:
        copy = throwaway_copy(Path(where))
        for c, reason in plan:
            if reason:
                print(f"skip  {c.text}  ({reason})", flush=True)
                continue
            if timeout() < 60:
                print(f"stop  {a.until} UTC reached: {c.text} and the rest not run", flush=True)
                break
            print(f"run   {c.text}  (load {os.getloadavg()[0]:.1f}) ...", flush=True)
            cold, warm = measure(c, copy, timeout)
            rows[c.text] = row(c, cold, warm)
            print("      " + rows[c.text], end="", flush=True)
            if a.out:
                write_table(a.out, rows, [x.text for x in commands], run_line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
