"""Memory estimates of a run or sweep, checked against the machine before anything is allocated.

A config can ask for more memory than any machine has: a ``[numerics]`` stance of 10^9 steps,
a sweep axis of 10^12 values, a chunk of 10^12 points. Left alone, numpy or XLA try to allocate
it and the process is killed (or fails with an allocation error after minutes of work). These
estimates let ``load`` and ``sweep`` refuse such a config at once, saying how much it would
need and how much memory the machine has available. They are upper bounds, not measurements:

- working memory of one point for one step (JAX, while a chunk runs): ``BYTES_PER_POINT_STEP``
  at the default 10 + 12 stance and search steps (the upper bound the sweep has long sized its
  chunks with), assumed to grow in proportion with ``stance_steps + search_steps`` beyond them
  (an assumption on the safe side, not a measurement);
- results of one point on disk (``result_bytes_per_point``): one float64 per metric (plus
  status) per step when ``[output] per_step`` and one per summary, twice (the chunk files and
  results.nc), and results.csv's row of summaries (about ``CSV_CHARS`` characters per number).
  They are checked against the free space of the disk the results go to, not against memory:
  the sweep assembles its results block by block from the chunk files
  (``simsrc.sweep.results``), so its memory does not grow with its points (the 10^6-point
  benchmark peaks at 1.47 GiB, as the 10^4-point one at 1.35 GiB; benchmarks/README.md).
"""
from __future__ import annotations

import os

from simsrc.errors import SimsrcInputError

BYTES_PER_POINT_STEP = 20_000    # working memory of one point for one step, default numerics
DEFAULT_INTEGRATION_STEPS = 22   # stance_steps + search_steps of Options() (10 + 12)
MEMORY_FRACTION = 0.25           # of the available memory, for the (two) chunks in flight
DISK_FRACTION = 0.9              # of the free disk space, for a sweep's result files
CSV_CHARS = 24                   # characters of one number in results.csv (17 digits, sign,
                                 # exponent, separator): an upper bound
N_SUMMARIES = 80                 # per-point variables of a sweep (mean_<metric>, status, ...):
                                 # an upper bound on metrics.summary's count


def available_memory_bytes() -> int:
    """Memory this process can still use (bytes): the kernel's ``MemAvailable`` (free memory
    plus the caches it would give back), capped by a cgroup v2 limit when there is one; the
    free pages where ``/proc`` is missing; 4 GiB when the system says nothing."""
    found = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            found = 4 << 30
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current") as f:
            used = int(f.read().strip())
        if limit != "max":
            found = min(found, max(int(limit) - used, 0))
    except (OSError, ValueError):
        pass
    return found


def gib(n_bytes: float) -> str:
    """Bytes in words: ``"72 GiB"``, ``"7.3e+03 TiB"``."""
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes / 1024:.3g} KiB"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def stance_steps_or_most(stance_steps: int | None) -> int:
    """A config's ``stance_steps`` for the memory estimate: its own, or where it has none (the
    contact model chooses, ``simsrc.engine.simulate.auto_stance_steps``) the most it chooses."""
    from simsrc.engine.simulate import MOST_AUTO_STANCE_STEPS

    return MOST_AUTO_STANCE_STEPS if stance_steps is None else int(stance_steps)


def bytes_per_point_step(stance_steps: int, search_steps: int) -> float:
    """Working memory (bytes) of one point for one step with these ``[numerics]`` steps."""
    scale = max(1.0, (stance_steps + search_steps) / DEFAULT_INTEGRATION_STEPS)
    return BYTES_PER_POINT_STEP * scale


def result_bytes_per_point(n_steps: int, per_step: bool, n_metrics: int) -> float:
    """Disk (bytes) of one point's results: chunk files and results.nc, and results.csv."""
    values = N_SUMMARIES + ((n_metrics + 1) * n_steps if per_step else 0)
    return 8.0 * 2 * values + CSV_CHARS * N_SUMMARIES


def available_disk_bytes(folder: str = ".") -> int:
    """Free space (bytes) of the disk that holds ``folder``, or its nearest existing parent."""
    import shutil

    path = os.path.abspath(folder)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 1 << 62      # the system says nothing: do not refuse on a guess


def check_working_memory(n_points: int, n_steps: int, stance_steps: int, search_steps: int,
                         where: str, what: str) -> None:
    """Refuse ``n_points`` points of ``n_steps`` steps in flight at once that would need more
    than ``MEMORY_FRACTION`` of the available memory (``what``: the thing that is too large, in
    words, e.g. ``"--chunk-size 10^12"``).

    Raises:
        SimsrcInputError: naming ``where``, ``what``, the estimate and the available memory.
    """
    need = float(n_points) * n_steps * bytes_per_point_step(stance_steps, search_steps)
    free = available_memory_bytes()
    if need > MEMORY_FRACTION * free:
        each = gib(need / max(n_points * n_steps, 1))
        raise SimsrcInputError(
            f"{what} in {where} needs about {gib(need)} of working memory "
            f"({_count(n_points, 'point')} x {_count(n_steps, 'step')} x {each} per point and "
            f"step with stance_steps = {stance_steps}, search_steps = {search_steps}); this "
            f"machine has "
            f"{gib(free)} available and a run may use a quarter of it "
            f"({gib(MEMORY_FRACTION * free)})")


def check_results_size(n_points: int, n_steps: int, per_step: bool, n_metrics: int,
                       where: str, what: str, at_least: bool = False, folder: str = ".") -> None:
    """Refuse a sweep whose result files would need more than ``DISK_FRACTION`` of the free
    space of the disk that holds ``folder`` (the working directory by default, where
    ``runs/NAME`` goes; ``at_least``: ``n_points`` is a lower bound of the grid, e.g. one axis
    checked before the others are read, and the message says so).

    Raises:
        SimsrcInputError: naming ``where``, ``what``, the grid size and the estimate.
    """
    need = float(n_points) * result_bytes_per_point(n_steps, per_step, n_metrics)
    free = available_disk_bytes(folder)
    if need > DISK_FRACTION * free:
        hint = ("; [output] per_step = false keeps only the per-point summaries"
                if per_step else "")
        raise SimsrcInputError(
            f"{what} in {where} makes {'at least ' if at_least else ''}{n_points:,} points, "
            f"whose result files need {'at least' if at_least else 'about'} {gib(need)} of "
            f"disk ({_count(n_steps, 'step')} per point, per_step = {str(per_step).lower()}); "
            f"the disk of {os.path.abspath(folder)} has {gib(free)} available: make the grid "
            f"smaller{hint}")
