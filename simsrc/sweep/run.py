"""Sweeps: a config's ``[sweep]`` grid run in chunks, resumable, in one process or on Dask.

The grid (``simsrc.config.grid``) is cut into chunks of a fixed number of points (the last one padded),
so ``simsrc.simulate`` (which vmaps over a batch) compiles once for the whole sweep: one
``Options`` is chosen for every point together. Each finished chunk is written to the output
folder at once (``simsrc.sweep.store``), so an interrupted or crashed sweep resumes where it
stopped. Points whose parameter combination is not allowed (e.g. a landing angle beyond 80°
from the normal) are recorded with status ``invalid_params`` and not simulated; points that
fall, stall or never lift off carry their status code, as in ``simsrc.simulate``.

Where the chunks run:
- in this process (default), each chunk split across the local JAX devices when there are
  several (a 1-D mesh; on CPU set ``XLA_FLAGS=--xla_force_host_platform_device_count=N``
  before JAX starts, which ``simsrc sweep --devices N`` does);
- as tasks on a Dask distributed cluster (``scheduler``: an address, ``"local"`` for a
  LocalCluster, or a ``distributed.Client``). Workers return the metrics and this process
  writes them, so the workers need no shared disk.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
from typing import Any, Callable, Mapping

import jax
import numpy as np

from simsrc.config import budget
from simsrc.config.load import Config, numerical_options, to_params
from simsrc.errors import SimsrcInputError
from simsrc.config.grid import Axis, n_points, point_values
from simsrc.engine.batch import bucket_size
from simsrc.engine.simulate import simulate
from simsrc.engine.step import Options
from simsrc.metrics.summary import INVALID, METRIC_NAMES, run_metrics, summarize
from simsrc.sweep.store import ChunkStore

MAX_CHUNK = 8192           # points; larger chunks gain little speed and lose more on a crash
MIN_CHUNK = 64
MAX_WORKERS_PER_CORE = 4   # --scheduler local: more worker processes only queue for the cores
SCHEDULER_PROTOCOLS = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """Everything a worker needs to compute any chunk (small and picklable).

    Attributes:
        values: base values of every key (config units).
        axes: the grid axes.
        n_steps: steps per point.
        options: the numerical options of every chunk (one compile).
        chunk_size: points per chunk (a multiple of the local device count).
        per_step: keep every step's metrics (else only the per-point summaries).
        source: the config file, for messages.
    """

    values: Mapping[str, Any]
    axes: tuple[Axis, ...]
    n_steps: int
    options: Options
    chunk_size: int
    per_step: bool = True
    source: str = ""

    @property
    def n_points(self) -> int:
        return n_points(self.axes)

    @property
    def n_chunks(self) -> int:
        return -(-self.n_points // self.chunk_size)


# ----------------------------------------------------------------------------- planning

def auto_chunk_size(n_points_: int, n_steps: int, n_devices: int = 1, min_chunks: int = 1,
                    point_step_bytes: float = budget.BYTES_PER_POINT_STEP) -> int:
    """Points per chunk: as many as let two chunks in flight fit in a quarter of the free
    memory (``point_step_bytes`` per point and step, ``simsrc.config.budget``), at most
    ``MAX_CHUNK``, at least ``min_chunks`` chunks (to keep every worker busy), a multiple of
    ``n_devices``."""
    # two chunks are in flight (one computed while the other is written), and the free memory
    # is read again by plan_sweep's check a moment later: 5 % of slack for its drift. (With one
    # chunk here, a sweep whose chunk the memory set, 20 steps of the damped model, say, was
    # refused by that check of its own automatic size.)
    fit = int(0.95 * budget.MEMORY_FRACTION * budget.available_memory_bytes()
              / (2 * point_step_bytes * n_steps))
    size = max(MIN_CHUNK, min(fit, MAX_CHUNK))
    size = min(size, -(-n_points_ // max(min_chunks, 1)))
    return max(n_devices, -(-size // n_devices) * n_devices)


def plan_sweep(config: Config, chunk_size: int | None = None, min_chunks: int = 1) -> SweepPlan:
    """The plan of a config's sweep: chunking and the one ``Options`` for every point.

    Raises:
        SimsrcInputError: the config has no ``[sweep]``, or a bad chunk size.
    """
    if not config.axes:
        raise SimsrcInputError(f"{config.source} has no [sweep] table, so there is nothing to "
                               "sweep; `simsrc run` runs its single point")
    n_dev = jax.device_count()
    v = config.values
    point_step = budget.bytes_per_point_step(budget.stance_steps_or_most(v["stance_steps"]),
                                             v["search_steps"])
    if chunk_size is None:
        chunk_size = auto_chunk_size(config.n_points, config.n_steps, n_dev, min_chunks,
                                     point_step)
    elif chunk_size < 1:
        raise SimsrcInputError(f"--chunk-size must be >= 1, got {chunk_size}")
    else:   # never more than the grid (rounded up to the devices), and it must fit in memory
        chunk_size = min(chunk_size, config.n_points)
        chunk_size = -(-chunk_size // n_dev) * n_dev
    budget.check_working_memory(2 * chunk_size, config.n_steps,
                                budget.stance_steps_or_most(v["stance_steps"]),
                                v["search_steps"], config.source,
                                f"two chunks in flight of --chunk-size {chunk_size:,}")
    plan = SweepPlan(dict(config.values), config.axes, config.n_steps, Options(), chunk_size,
                     bool(config.output.get("per_step", True)), config.source)
    batches = (chunk_params(plan, i)[0] for i in range(plan.n_chunks))
    return dataclasses.replace(plan, options=numerical_options(config.values, batches))


def fingerprint(plan: SweepPlan) -> str:
    """Hash of everything that decides the results (not the chunking)."""
    from simsrc import __version__

    body = {"version": __version__, "values": dict(plan.values), "n_steps": plan.n_steps,
            "axes": [[a.name, list(a.keys), [list(v) for v in a.values]] for a in plan.axes],
            "options": dataclasses.asdict(plan.options), "per_step": plan.per_step}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


# ----------------------------------------------------------------------------- one chunk

def _subset(values: Mapping, idx: np.ndarray) -> dict:
    return {k: v[idx] if isinstance(v, np.ndarray) else v for k, v in values.items()}


def _invalid_points(values: Mapping, n: int, where: str) -> np.ndarray:
    """Mask of the points that ``make_params`` refuses, found by bisection (``make_params`` is
    the one place the rules live; a chunk with k bad points costs about k·log2(n) checks)."""
    bad = np.zeros(n, bool)

    def visit(idx):
        try:
            to_params(_subset(values, idx), where)
        except SimsrcInputError:
            if len(idx) == 1:
                bad[idx] = True
            else:
                visit(idx[: len(idx) // 2])
                visit(idx[len(idx) // 2:])

    visit(np.arange(n))
    return bad


def chunk_params(plan: SweepPlan, index: int):
    """SI parameters of chunk ``index`` (padded to ``chunk_size``), with invalid points replaced
    by a valid one. Returns (params, state, invalid mask) or (None, None, mask) if none valid."""
    start = index * plan.chunk_size
    flat = np.minimum(np.arange(start, start + plan.chunk_size), plan.n_points - 1)
    values = point_values(plan.values, plan.axes, flat)
    where = f"{plan.source} [sweep]"
    bad = _invalid_points(values, plan.chunk_size, where)
    if bad.all():
        return None, None, bad
    if bad.any():
        good = int(np.argmin(bad))
        values = {k: np.where(bad, v[good], v) if isinstance(v, np.ndarray) else v
                  for k, v in values.items()}
    params, state = to_params(values, where)
    return params, state, bad


def _pad_points(tree, n: int, size: int):
    """Leaves of length n padded to ``size`` by repeating the last point; scalars kept."""
    def one(v):
        v = np.asarray(v)
        if v.ndim == 0 or size == n:
            return v
        return np.concatenate([v, np.repeat(v[-1:], size - n, axis=0)])
    return jax.tree_util.tree_map(one, tree)


def _place(tree, n: int):
    """Every leaf as a float64 array of length n; split across the devices when there are
    several (a 1-D mesh over the points)."""
    arrays = jax.tree_util.tree_map(
        lambda v: np.ascontiguousarray(np.broadcast_to(np.asarray(v, np.float64), (n,))), tree)
    devices = jax.devices()
    if len(devices) > 1 and n % len(devices) == 0:
        mesh = jax.sharding.Mesh(np.array(devices), ("points",))
        sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("points"))
        return jax.tree_util.tree_map(lambda v: jax.device_put(v, sharding), arrays)
    return arrays


@dataclasses.dataclass
class _Launched:
    index: int
    params: Any
    state: Any
    invalid: np.ndarray
    run: Any


def launch_chunk(plan: SweepPlan, index: int) -> _Launched:
    """Start chunk ``index`` (JAX runs it asynchronously); ``finish_chunk`` collects it."""
    params, state, bad = chunk_params(plan, index)
    if params is None or plan.values.get("answer") == "steady":
        return _Launched(index, params, state, bad, None)
    # padded to the compiled batch size (engine.batch.bucket_size): a second sweep, a resumed
    # one or a smoke run reuses the program; the padding is dropped in finish_chunk
    size = bucket_size(plan.chunk_size, len(jax.devices()))
    params, state = _place(_pad_points((params, state), plan.chunk_size, size), size)
    run = simulate(params, state, plan.n_steps, options=plan.options, check=False)
    return _Launched(index, params, state, bad, run)


def finish_chunk(plan: SweepPlan, job: _Launched) -> dict[str, np.ndarray]:
    """Metrics of a launched chunk, without the padding: per-point summaries, and per-step
    metrics (shape (points, n_steps)) when ``plan.per_step``."""
    n_real = min(plan.chunk_size, plan.n_points - job.index * plan.chunk_size)
    size, bad = plan.chunk_size, job.invalid
    if plan.values.get("answer") == "steady":
        out = (steady_chunk(plan, job.params, job.state, size) if job.params is not None else
               _steady_invalid(size, plan))
        if bad.any():
            out = {k: np.where(bad, INVALID if k == "run_status" else
                               (0 if v.dtype.kind in "iu" else np.nan), v).astype(v.dtype)
                   for k, v in out.items()}
        return {k: np.ascontiguousarray(v[:n_real]) for k, v in out.items()}
    if job.run is None:
        metrics = {k: np.full((size, plan.n_steps), np.nan) for k in METRIC_NAMES}
        metrics["status"] = np.full((size, plan.n_steps), INVALID, np.int32)
        conv = {"converged": np.zeros(size, np.int8), "steps_to_converge": np.zeros(size, np.int32)}
    else:
        records, params = jax.tree_util.tree_map(lambda v: v[:size],
                                                 (job.run.records, job.params))
        metrics, conv = run_metrics(records, params)
    if bad.any():
        metrics = {k: np.where(bad[:, None], INVALID if k == "status" else np.nan, v)
                   .astype(v.dtype) for k, v in metrics.items()}
        conv = {k: np.where(bad, -1 if k == "steps_to_converge" else 0, v).astype(v.dtype)
                for k, v in conv.items()}
    out = {**summarize(metrics), **conv}
    if plan.per_step:
        out.update(metrics)
    return {k: np.ascontiguousarray(v[:n_real]) for k, v in out.items()}


#: Per-point variables of a steady-gait sweep besides run_status and the ``mean_*`` metrics.
STEADY_VARIABLES = ("steady_apex_height_m", "steady_apex_speed_m_per_s",
                    "steady_angle_of_attack_deg", "steady_push_force_bw",
                    "steady_leg_damping_n_s_per_m", "max_abs_multiplier",
                    "controlled_max_abs_multiplier")


def _steady_arrays(gait, params, n: int) -> dict[str, np.ndarray]:
    """The per-point arrays of one ``SteadyGait`` (flat batch of n)."""
    from simsrc.metrics.summary import LEDGER_METRICS, NO_GAIT

    conv = np.asarray(gait.converged, bool).reshape(n)
    nan = np.full(n, np.nan)

    def keep(v):
        return np.where(conv, np.asarray(v, float).reshape(n), np.nan)

    out = {"run_status": np.where(conv, 0, NO_GAIT + np.asarray(gait.reason).reshape(n))
           .astype(np.int32),
           "steps_completed": conv.astype(np.int32), "converged": conv.astype(np.int8),
           "steps_to_converge": np.zeros(n, np.int32)}
    for name in METRIC_NAMES:
        if name in gait.metrics._fields:
            out["mean_" + name] = keep(getattr(gait.metrics, name))
        elif name in LEDGER_METRICS:
            out["mean_" + name] = keep(getattr(gait.ledger, name))
        else:
            out["mean_" + name] = nan.copy()
    value = {f: keep(gait.value(f)) for f in gait.free}
    out["steady_apex_height_m"] = keep(gait.apex_height_m)
    out["steady_apex_speed_m_per_s"] = keep(gait.apex_speed_m_per_s)
    out["steady_angle_of_attack_deg"] = np.degrees(value["angle_of_attack_rad"])
    for f in ("push_force_bw", "leg_damping_n_s_per_m"):
        out["steady_" + f] = value[f] if f in value else keep(
            np.broadcast_to(np.asarray(getattr(params, f), float), (n,)))
    out["max_abs_multiplier"] = keep(gait.max_abs_multiplier)
    out["controlled_max_abs_multiplier"] = keep(np.max(np.abs(np.asarray(
        gait.controlled_multipliers).reshape(n, -1)), axis=1))
    return out


#: What a steady sweep with ``[impact] foot_strike`` adds per point (``simsrc.metrics.impact``).
IMPACT_VARIABLES = ("impact_peak_bw", "impact_peak_time_s", "impact_loading_rate_bw_per_s",
                    "impact_instantaneous_loading_rate_bw_per_s")


def _wants_impact(plan: SweepPlan) -> bool:
    return plan.values.get("foot_strike", "none") != "none"


def _steady_invalid(n: int, plan: SweepPlan | None = None) -> dict[str, np.ndarray]:
    """The arrays of a steady chunk none of whose points is allowed (run_status invalid)."""
    out = {"run_status": np.full(n, INVALID, np.int32), "steps_completed": np.zeros(n, np.int32),
           "converged": np.zeros(n, np.int8), "steps_to_converge": np.zeros(n, np.int32)}
    out.update({"mean_" + name: np.full(n, np.nan) for name in METRIC_NAMES})
    out.update({name: np.full(n, np.nan) for name in STEADY_VARIABLES})
    if plan is not None and _wants_impact(plan):
        out.update({name: np.full(n, np.nan) for name in IMPACT_VARIABLES})
    return out


def _impact_arrays(plan: SweepPlan, params, state, out, n: int) -> dict[str, np.ndarray]:
    """The impact of each steady point's foot strike: one step of each gait (its solved
    landing angle, push and braking, from its steady apex) gives the touchdown from which the
    two-mass stance runs (``simsrc.metrics.impact.impact_at_touchdown``); NaN without a gait."""
    from simsrc.engine.params import State
    from simsrc.gait.steady import HELD_SPEED_BRAKING, HELD_SPEED_PUSH, held_speed_options
    from simsrc.metrics.impact import impact_at_touchdown

    ok = out["run_status"] == 0
    flat = lambda v: np.broadcast_to(np.asarray(v, float), (n,))  # noqa: E731

    def pick(solved, given):
        return np.where(ok, out[solved], flat(given))

    p = params._replace(
        angle_of_attack_rad=np.radians(pick("steady_angle_of_attack_deg",
                                            np.degrees(flat(params.angle_of_attack_rad)))),
        push_force_bw=pick("steady_push_force_bw", params.push_force_bw),
        leg_damping_n_s_per_m=pick("steady_leg_damping_n_s_per_m",
                                   params.leg_damping_n_s_per_m))
    start = State(np.zeros(n), pick("steady_apex_height_m", state.y_m),
                  pick("steady_apex_speed_m_per_s", state.vx_m_per_s), np.zeros(n))
    opts = held_speed_options(p, HELD_SPEED_PUSH + HELD_SPEED_BRAKING[-1:], plan.options)
    run = simulate(p, start, 1, options=opts, check=False)
    imp = impact_at_touchdown(p, run.records, ok, plan.values["foot_strike"],
                              plan.values["shoe"])
    return {name: np.asarray(imp[name], float).reshape(n) for name in IMPACT_VARIABLES}


def steady_chunk(plan: SweepPlan, params, state, size: int) -> dict[str, np.ndarray]:
    """Per-point steady gaits of a chunk (``[run] answer = "steady"``): each point held at its
    initial speed by its push or braking, its apex height by its foot placement
    (``simsrc.gait.steady.solve_held_speed``); with ``[control] placement = "raibert"``, the
    closed loop's gait at the speed its energy balance gives (``solve_controlled``). No gait:
    run_status ``NO_GAIT`` + the reason."""
    from simsrc.config.runner import placement_law
    from simsrc.gait.steady import (CONTROLLED, held_speed_options, solve_controlled,
                                    solve_held_speed)

    law = placement_law(plan.values, state)
    if law is not None:
        opts = held_speed_options(params, CONTROLLED, plan.options)
        return _with_impact(plan, params, state, _steady_arrays(
            solve_controlled(params, state, law, options=opts), params, size), size)

    push, braking, use_braking = solve_held_speed(params, state, state.vx_m_per_s,
                                                  options=plan.options)
    out = _steady_arrays(push, params, size)
    if braking is not None and np.any(use_braking):
        alt = _steady_arrays(braking, params._replace(push_force_bw=np.zeros(size)), size)
        mask = np.asarray(use_braking).reshape(size)
        out = {k: np.where(mask, alt[k], v).astype(v.dtype) for k, v in out.items()}
    return _with_impact(plan, params, state, out, size)


def _with_impact(plan: SweepPlan, params, state, out, size: int) -> dict[str, np.ndarray]:
    if _wants_impact(plan):
        out = {**out, **_impact_arrays(plan, params, state, out, size)}
    return out


def compute_chunk(plan: SweepPlan, index: int) -> dict[str, np.ndarray]:
    """The metrics of chunk ``index`` (pure: writes nothing). This is the Dask task."""
    return finish_chunk(plan, launch_chunk(plan, index))


# ----------------------------------------------------------------------------- running

def _progress_bar(store: ChunkStore, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=store.n_points, initial=store.points_done, unit="pt",
                unit_scale=store.n_points >= 10_000,
                file=sys.stderr, disable=not enabled, dynamic_ncols=True, smoothing=0.1,
                desc="sweep (compiling)" if store.pending else "sweep")


def _record(store, bar, index, arrays, on_chunk_done):
    store.write_chunk(index, arrays)
    start, stop = store.chunk_range(index)
    bar.set_description("sweep", refresh=False)
    bar.update(stop - start)
    if on_chunk_done is not None:
        on_chunk_done(index, len(store.done))


def _run_here(plan, store, bar, on_chunk_done) -> None:
    """Chunks in this process; the next chunk is launched before the current one is written,
    so the Python work (metrics, files) overlaps JAX's computation."""
    pending = store.pending
    if not pending:
        return
    nxt = launch_chunk(plan, pending[0])
    for pos in range(len(pending)):
        job = nxt
        if pos + 1 < len(pending):
            nxt = launch_chunk(plan, pending[pos + 1])
        _record(store, bar, job.index, finish_chunk(plan, job), on_chunk_done)


def _run_dask(plan, store, bar, scheduler, n_workers, on_chunk_done) -> None:
    """Chunks as tasks on a Dask cluster, at most two per worker in flight."""
    from distributed import Client, LocalCluster, as_completed

    own_client = cluster = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler == "local":
        cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = own_client = Client(cluster)
    else:
        client = own_client = Client(scheduler)
    try:
        window = 2 * max(1, len(client.scheduler_info().get("workers", {})) or (n_workers or 1))
        todo = iter(store.pending)
        futures = {}
        done_iter = as_completed()
        for index in todo:
            fut = client.submit(compute_chunk, plan, index, pure=False)
            futures[fut.key] = index
            done_iter.add(fut)
            if len(futures) >= window:
                break
        for fut in done_iter:
            index = futures.pop(fut.key)
            arrays = fut.result()
            fut.release()
            _record(store, bar, index, arrays, on_chunk_done)
            nxt = next(todo, None)
            if nxt is not None:
                new = client.submit(compute_chunk, plan, nxt, pure=False)
                futures[new.key] = nxt
                done_iter.add(new)
    finally:
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()


def check_scheduler(scheduler, n_workers: int | None) -> None:
    """Refuse a ``scheduler`` that is not None, ``"local"``, a ``distributed.Client`` or a Dask
    address (``PROTOCOL://HOST:PORT`` or ``HOST:PORT``), and ``n_workers`` that is not a count
    of local workers this machine can run (1 to ``MAX_WORKERS_PER_CORE`` per core, with
    ``--scheduler local``).

    Raises:
        SimsrcInputError: naming the option, the value and what is allowed.
    """
    cores = os.cpu_count() or 1
    if n_workers is not None:
        if scheduler != "local":
            raise SimsrcInputError(f"--workers {n_workers} sets the workers of a local Dask "
                                   "cluster: use it with --scheduler local (a remote scheduler "
                                   "has its own workers; without --scheduler the sweep runs in "
                                   "this process)")
        if not 1 <= n_workers <= MAX_WORKERS_PER_CORE * cores:
            raise SimsrcInputError(f"--workers must be an integer from 1 to "
                                   f"{MAX_WORKERS_PER_CORE * cores} ({MAX_WORKERS_PER_CORE} per "
                                   f"CPU core of this machine, which has {cores}), got "
                                   f"{n_workers}")
    if scheduler is None or scheduler == "local" or not isinstance(scheduler, str):
        return
    host = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
    protocols = "|".join(SCHEDULER_PROTOCOLS)
    if not re.fullmatch(rf"(({protocols})://{host}(:\d{{1,5}})?|{host}:\d{{1,5}})/?", scheduler):
        raise SimsrcInputError(
            f"--scheduler {scheduler!r} is not a Dask scheduler address: give 'local' (start a "
            f"local cluster) or an address such as tcp://HOST:8786 (protocols: "
            f"{', '.join(SCHEDULER_PROTOCOLS)}) or HOST:8786")


def run_sweep(config: Config, out_dir: str, *, resume: bool = False, overwrite: bool = False,
              chunk_size: int | None = None, scheduler=None, n_workers: int | None = None,
              progress: bool = True, command: str = "",
              on_chunk_done: Callable[[int, int], None] | None = None):
    """Run (or resume) the sweep of ``config`` into ``out_dir`` and return its dataset.

    Writes the results (config.toml, run.json, the chunks, results.nc, results.csv) and draws
    nothing: the caller draws the figures from the returned dataset, e.g.
    ``simsrc.viz.plots.sweep_figures(ds, config.axes, config.output["metrics"],
    os.path.join(out_dir, "figures"))`` as ``simsrc sweep`` does when the config's
    ``[output] figures`` is true. (The ``figures=`` argument of earlier versions moved there.)

    Args:
        config: a config with a ``[sweep]`` table (``simsrc.config.load.load_config``).
        out_dir: output folder (see ``simsrc.sweep.store``).
        resume: continue the sweep already in ``out_dir`` (same config and version).
        overwrite: delete an earlier sweep in ``out_dir`` first.
        chunk_size: points per chunk (default: sized to the free memory).
        scheduler: None (this process), ``"local"`` (a Dask LocalCluster), a scheduler address
            or a ``distributed.Client``.
        n_workers: workers of a ``"local"`` cluster (default: one per CPU core).
        progress: show a progress bar on stderr.
        command: the command line, recorded in run.json.
        on_chunk_done: called as ``f(chunk_index, n_chunks_done)`` after each chunk is stored
            (tests use it to simulate a crash).

    Returns:
        The ``xarray.Dataset`` also written to ``out_dir/results.nc``.

    Raises:
        SimsrcInputError: no ``[sweep]``, an output folder holding another sweep, or a bad
            option.
    """
    from simsrc.sweep.results import write_results, write_run_files

    if not out_dir:
        raise SimsrcInputError("the output folder is empty (--out \"\"); name a folder, or leave "
                               "--out out for runs/CONFIG_NAME")
    check_scheduler(scheduler, n_workers)
    if ChunkStore.holds_sweep(out_dir) and not (resume or overwrite):
        raise SimsrcInputError(f"{out_dir} already holds a sweep; pass --resume to continue it "
                               "or --overwrite to start again")
    ChunkStore.check_writable(out_dir, config.source if os.path.isfile(config.source) else None)
    min_chunks = 1
    if scheduler is not None:
        min_chunks = 4 * (n_workers or os.cpu_count() or 1)
    plan = plan_sweep(config, chunk_size, min_chunks)   # a bad option fails before any write
    lock = ChunkStore.lock(out_dir)
    try:
        if overwrite:
            ChunkStore.clear(out_dir)
        store = ChunkStore(out_dir, fingerprint(plan), plan.n_points, plan.chunk_size,
                           plan.per_step)
        store.open(resume)
        if store.damaged:
            print(f"note: {len(store.damaged)} chunk file(s) of {out_dir} were damaged "
                  f"(chunks {', '.join(map(str, store.damaged[:5]))}"
                  f"{', ...' if len(store.damaged) > 5 else ''}); computing them again",
                  file=sys.stderr)
        if store.chunk_size != plan.chunk_size:   # the resumed sweep's own chunks
            v = config.values
            budget.check_working_memory(2 * store.chunk_size, config.n_steps,
                                        budget.stance_steps_or_most(v["stance_steps"]),
                                        v["search_steps"], config.source,
                                        f"two chunks in flight of the chunk size "
                                        f"{store.chunk_size:,} that {out_dir} was begun with")
        plan = dataclasses.replace(plan, chunk_size=store.chunk_size)
        write_run_files(config, plan, out_dir, command, scheduler)
        bar = _progress_bar(store, progress)
        try:
            try:
                if scheduler is None:
                    _run_here(plan, store, bar, on_chunk_done)
                else:
                    _run_dask(plan, store, bar, scheduler, n_workers, on_chunk_done)
            finally:
                bar.close()
            return write_results(plan, store, config)
        except OSError as e:    # a full disk, a folder that became read-only
            raise OSError(e.errno, f"{e.strerror or e} while writing "
                          f"{e.filename or out_dir}; the {store.points_done:,} points already "
                          f"computed are kept in {out_dir}: make room and run the same command "
                          "with --resume to finish") from e
    finally:
        lock.close()


__all__ = ["SweepPlan", "auto_chunk_size", "compute_chunk", "fingerprint", "plan_sweep",
           "run_sweep"]
