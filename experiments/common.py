"""The pattern every experiment script follows, and the helpers they share.

An experiment answers one question. Its script ``experiments/eN_name.py`` defines

- ``compute(config, smoke) -> dict[str, np.ndarray]``: the simulations (the slow part); only
  arrays go out, so the result can be cached and re-plotted;
- ``plot(data, png_path)``: data -> figure (``simsrc.viz.style`` for the look);
- ``claim(data) -> str``: the figure's claim in one sentence, with the number that supports it,
  read from ``data`` (the gallery, figures/README.md, quotes it);
- ``EXPERIMENT = Experiment(...)``: name, question, config, what the figure shows, and those
  three functions; and ``main(argv)``, which is ``common.main(EXPERIMENT, argv)``.

``run`` does the rest: it loads and checks the config (``simsrc check`` rules), shrinks its
``[sweep]`` axes in smoke mode, looks the result up in the cache (key: a hash of the config
file's bytes, the script's source, the engine's sources and the smoke flag), computes it on a
miss, and writes into the output folder ``NAME.npz`` (the data), ``NAME.png`` (the figure) and
``NAME.json`` (question, config, command, claim). ``simsrc figures`` runs every script this way.

Command line of every script (``simsrc figures`` runs each one this way, in its own process):

    python experiments/eN_name.py [--smoke] [--out DIR] [--force] [--cache-dir DIR | --no-cache]
                                  [--outcome FILE.json] [--describe]

``--outcome`` also writes the run's ``Outcome`` (cache hit, seconds, files, claim) as JSON;
``--describe`` prints the name, question, config and what the figure shows, and runs nothing.

Grids come from the config's ``[sweep]`` table (``config_grid``); the config's base point is
the runner (``simsrc.config.runner.run_config`` converts and simulates it, the path every
``simsrc`` command takes). A new experiment (e.g. ``e2_sand.py``, ``e7_swing_leg.py``) copies
one of the existing scripts: a config in ``configs/``, the three functions and the
``EXPERIMENT`` record.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from typing import Callable, Mapping, NamedTuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from simsrc.config.load import Config, load_config, to_params  # noqa: E402
from simsrc.config.grid import Axis, grid_shape, n_points, point_values  # noqa: E402
from simsrc.cli.figures import SMOKE_DIR, Outcome  # noqa: E402  (the record simsrc figures reads)

FIGURES_DIR = os.path.join(ROOT, "figures")
CACHE_DIR = os.path.join(FIGURES_DIR, ".cache")
SMOKE_AXIS_POINTS = 3
# simsrc layers that only draw or parse commands: changing them does not change results
PRESENTATION_LAYERS = ("cli", "explore", "viz", "__main__.py")


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One question, its config and the three functions that answer it (see the module doc).

    Attributes:
        name: ``eN_short_name``, also the script's file name and the stem of its outputs.
        question: the question in one sentence.
        config: the config file, relative to the repository root.
        shows: what the figure shows, in one or two sentences.
        compute: ``(Config, smoke) -> dict of arrays``.
        plot: ``(data, png_path) -> None``.
        claim: ``(data) -> str``: one sentence with the number that supports it.
        script: the script's path (its source is part of the cache key).
        smoke_axis_points: values per ``[sweep]`` axis in smoke mode.
    """

    name: str
    question: str
    config: str
    shows: str
    compute: Callable[[Config, bool], dict]
    plot: Callable[[Mapping[str, np.ndarray], str], None]
    claim: Callable[[Mapping[str, np.ndarray]], str]
    script: str
    smoke_axis_points: int = SMOKE_AXIS_POINTS

# ----------------------------------------------------------------------------- configs

def shrink_axis(axis: Axis, n: int = SMOKE_AXIS_POINTS) -> Axis:
    """The axis with at most ``n`` of its values (first, middle(s), last), for smoke runs."""
    if len(axis) <= n:
        return axis
    idx = np.unique(np.linspace(0, len(axis) - 1, n).round().astype(int))
    values = tuple(tuple(v[i] for i in idx) for v in axis.values)
    return dataclasses.replace(axis, values=values)


def load(config_path: str, smoke: bool = False,
         smoke_axis_points: int = SMOKE_AXIS_POINTS) -> Config:
    """Load and check a config (relative paths from the repository root); smoke: every
    ``[sweep]`` axis shrunk to ``smoke_axis_points`` values.

    Raises:
        SimsrcInputError: missing file, bad TOML, bad key or value.
    """
    path = config_path if os.path.isabs(config_path) else os.path.join(ROOT, config_path)
    config = load_config(path)
    if smoke:
        config = dataclasses.replace(
            config, axes=tuple(shrink_axis(a, smoke_axis_points) for a in config.axes))
    return config


def axis_values(config: Config, key: str) -> np.ndarray:
    """The values of the swept ``key`` (float array), or its base value as a 1-element array."""
    for axis in config.axes:
        if key in axis.keys:
            return np.asarray(axis.values[axis.keys.index(key)], float)
    return np.asarray([config.values[key]], float)


def config_grid(config: Config, **overrides):
    """SI parameters and start states of every point of the config's ``[sweep]`` grid.

    Args:
        config: a loaded config.
        overrides: config keys set to other values (scalars, or arrays of the grid's shape).

    Returns:
        (Params, State, shape): leaves are arrays of the grid shape (one per ``[sweep]`` axis,
        in file order; ``()`` for a config without a grid).
    """
    shape = grid_shape(config.axes)
    values = point_values(config.values, config.axes, np.arange(n_points(config.axes)))
    for key, v in overrides.items():
        values[key] = np.broadcast_to(np.asarray(v, float), shape).ravel() if shape else v
    params, state = to_params(values, config.source)
    reshape = (lambda v: np.broadcast_to(np.asarray(v, float).reshape(-1)
                                         if np.ndim(v) else v, (n_points(config.axes),))
               .reshape(shape)) if shape else (lambda v: v)
    return (type(params)(*[reshape(v) for v in params]),
            type(state)(*[reshape(v) for v in state]), shape)


# ----------------------------------------------------------------------------- cache

def engine_modules() -> list[str]:
    """The package's source files that can change a result: every ``simsrc/**/*.py`` outside the
    presentation layers (``PRESENTATION_LAYERS``), as paths relative to ``simsrc/``."""
    package = os.path.join(ROOT, "simsrc")
    found = []
    for folder, _, files in os.walk(package):
        rel = os.path.relpath(folder, package)
        if rel.split(os.sep)[0] in PRESENTATION_LAYERS or "__pycache__" in rel:
            continue
        found += [os.path.normpath(os.path.join(rel, f)) for f in files if f.endswith(".py")]
    if not any(m.startswith("engine" + os.sep) for m in found):
        raise RuntimeError(f"no engine sources under {package}: the figure cache key would hash "
                           "nothing")
    return sorted(found)


def engine_fingerprint() -> str:
    """Hash of the sources of ``engine_modules()`` (drawing and command modules cannot change an
    experiment's results)."""
    h = hashlib.sha256()
    for name in engine_modules():
        with open(os.path.join(ROOT, "simsrc", name), "rb") as f:
            h.update(name.encode() + f.read())
    return h.hexdigest()


def cache_key(experiment: Experiment, smoke: bool) -> str:
    """sha256 of the config file, the script, common.py, the engine's sources and the smoke
    flag."""
    h = hashlib.sha256()
    for path in (os.path.join(ROOT, experiment.config), experiment.script,
                 os.path.abspath(__file__)):
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(engine_fingerprint().encode())
    h.update(b"smoke" if smoke else b"full")
    return h.hexdigest()[:20]


def save_data(data: Mapping[str, np.ndarray], path: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp.npz"
    np.savez_compressed(tmp, **{k: np.asarray(v) for k, v in data.items()})
    os.replace(tmp, path)


def load_data(path: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


# ----------------------------------------------------------------------------- running

def command(experiment: Experiment) -> str:
    return f"python experiments/{experiment.name}.py"


def run(experiment: Experiment, out_dir: str | None = None, *, smoke: bool = False,
        force: bool = False, cache_dir: str | None = CACHE_DIR, log=print) -> Outcome:
    """Compute (or load from the cache) and plot one experiment; write its three files.

    Args:
        experiment: the ``EXPERIMENT`` of a script.
        out_dir: folder for NAME.png/.npz/.json (default figures/, or a temporary folder in
            smoke mode).
        smoke: tiny grids and few steps (the tests' mode).
        force: recompute even when the cache has the result.
        cache_dir: folder of cached results (None: no cache).
        log: where progress lines go.

    Raises:
        SimsrcInputError: the config is missing or invalid.
    """
    out_dir = out_dir or (SMOKE_DIR if smoke else FIGURES_DIR)
    t0 = time.perf_counter()
    config = load(experiment.config, smoke, experiment.smoke_axis_points)
    key = cache_key(experiment, smoke)
    cached = os.path.join(cache_dir, f"{experiment.name}-{key}.npz") if cache_dir else None
    hit = bool(cached and not force and os.path.exists(cached))
    if hit:
        data = load_data(cached)
    else:
        data = {k: np.asarray(v) for k, v in experiment.compute(config, smoke).items()}
        if cached:
            save_data(data, cached)
    png = os.path.join(out_dir, experiment.name + ".png")
    npz = os.path.join(out_dir, experiment.name + ".npz")
    meta = os.path.join(out_dir, experiment.name + ".json")
    save_data(data, npz)
    experiment.plot(data, png)
    sentence = experiment.claim(data)
    body = {"name": experiment.name, "question": experiment.question,
            "script": f"experiments/{experiment.name}.py", "config": experiment.config,
            "command": command(experiment) + (" --smoke" if smoke else ""),
            "shows": experiment.shows, "claim": sentence, "smoke": smoke,
            "figure": os.path.basename(png), "data": os.path.basename(npz)}
    with open(meta, "w") as f:
        json.dump(body, f, indent=1, ensure_ascii=False)
        f.write("\n")
    seconds = time.perf_counter() - t0
    log(f"{experiment.name}: {'cached' if hit else 'computed'} in {seconds:.1f} s -> {png}")
    log(f"  claim: {sentence}")
    return Outcome(experiment.name, hit, seconds, png, npz, meta, sentence)


def main(experiment: Experiment, argv=None) -> int:
    """The command line of an experiment script; returns the exit code (2: bad config)."""
    from simsrc.errors import SimsrcInputError

    parser = argparse.ArgumentParser(
        prog=f"experiments/{experiment.name}.py", description=experiment.question,
        epilog=f"config: {experiment.config}. Figure: {experiment.shows}")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny grids and few steps; output to a temporary folder by default")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: figures/)")
    parser.add_argument("--force", action="store_true", help="recompute, ignore the cache")
    parser.add_argument("--cache-dir", metavar="DIR", default=CACHE_DIR,
                        help="cache of computed results (default: figures/.cache)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--outcome", metavar="FILE.json",
                        help="also write what the run produced (cache hit, seconds, files, "
                        "claim) as JSON to FILE (simsrc figures reads it)")
    parser.add_argument("--describe", action="store_true",
                        help="print the experiment's name, question, config and what its figure "
                        "shows as JSON, and exit without running it")
    args = parser.parse_args(argv)
    if args.describe:
        print(json.dumps({"name": experiment.name, "question": experiment.question,
                          "config": experiment.config, "shows": experiment.shows},
                         ensure_ascii=False))
        return 0
    try:
        outcome = run(experiment, args.out, smoke=args.smoke, force=args.force,
                      cache_dir=None if args.no_cache else args.cache_dir)
    except SimsrcInputError as e:
        print(f"{experiment.name}: error: {e}", file=sys.stderr)
        return 2
    if args.outcome:
        with open(args.outcome, "w") as f:
            json.dump(outcome._asdict(), f, ensure_ascii=False)
    return 0


# ----------------------------------------------------------------------------- helpers

def metrics_dict(params, records) -> dict[str, np.ndarray]:
    """Every metric of every step as float64 arrays (``simsrc.metrics.summary.step_metrics``)."""
    from simsrc.metrics.summary import step_metrics

    return step_metrics(records, params)


def ratio_text(a: float, b: float) -> str:
    """'+12 %' style relative change from a to b."""
    return f"{100.0 * (b / a - 1.0):+.0f} %"


class HeldSpeedGaits(NamedTuple):
    """``held_speed_gaits``'s answer, arrays of the batch shape."""

    ok: np.ndarray                # a steady gait (that ``keep`` keeps)
    apex_height_m: np.ndarray     # the gait's apex (the held one, or a raised one)
    apex_speed_m_per_s: np.ndarray
    push_force_bw: np.ndarray     # 0 where it brakes
    braking: np.ndarray           # the answer is the braking solve (leg damping solved)
    run_params: object            # the parameters of each gait (solved values put in)
    run: object                   # one step of each gait from its apex (``simsrc.simulate``)
    step: dict                    # that step's metrics (``metrics_dict``)
    push_solve: object            # the push solve and the braking solve (``SteadyGait``s; the
    braking_solve: object         # push solve again where no point brakes)


def held_speed_gaits(params, state, keep=None) -> HeldSpeedGaits:
    """Each point's steady gait at its held speed (``simsrc.gait.steady.solve_held_speed``: the
    foot placement holds the apex height of ``state``, the push holds the speed, or the braking
    where the runner gains energy without a push) and one step of it, from the held apex, with
    that step's metrics. ``keep`` (a function of the gaits' apex heights, -> bool array) narrows
    which solved points count (e3 keeps those that hold the apex height asked for)."""
    import simsrc
    from simsrc.gait.steady import solve_held_speed

    push, braking, use_braking = solve_held_speed(params, state, state.vx_m_per_s)
    if braking is None:                      # no point needed braking: every answer is a push
        braking = push
    use_braking = np.asarray(use_braking, bool)
    pick = lambda a, b: np.where(use_braking, b, a)  # noqa: E731
    y = pick(push.apex_height_m, braking.apex_height_m)
    ok = np.asarray(push.converged) | use_braking
    if keep is not None:
        ok = ok & keep(y)
    alpha = pick(push.value("angle_of_attack_rad"), braking.value("angle_of_attack_rad"))
    v = pick(push.apex_speed_m_per_s, braking.apex_speed_m_per_s)
    push_bw = np.where(use_braking, 0.0, push.value("push_force_bw"))
    damping = np.broadcast_to(np.asarray(params.leg_damping_n_s_per_m, float), ok.shape)
    if "leg_damping_n_s_per_m" in braking.free:             # solved, where it brakes
        damping = np.where(use_braking, braking.value("leg_damping_n_s_per_m"), damping)
    run_params = params._replace(
        angle_of_attack_rad=np.where(ok, alpha, params.angle_of_attack_rad),
        push_force_bw=np.where(ok, push_bw, 0.0),
        leg_damping_n_s_per_m=np.where(ok, damping, params.leg_damping_n_s_per_m))
    run = simsrc.simulate(run_params, simsrc.apex(state.y_m, np.where(ok, v, state.vx_m_per_s)),
                          1)
    step = {k: np.asarray(val)[..., 0] for k, val in
            metrics_dict(run_params, run.records).items() if k != "status"}
    return HeldSpeedGaits(ok, y, v, push_bw, use_braking, run_params, run, step, push,
                          braking)

