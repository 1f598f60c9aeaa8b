"""A finished sweep as a labelled N-dimensional dataset (xarray, NetCDF) and a flat CSV.

Dataset layout: one dimension per sweep axis (named after the key, or after the zipped group,
whose keys become coordinates along it) and ``step`` (1..n_steps) for per-step metrics.
Per-step variables carry the metric names of ``simsrc.metrics.summary`` (e.g. ``speed_m_per_s``;
``step_speed_m_per_s`` and ``step_apex_height_m`` when the sweep's axis of that name, the initial
value, is a coordinate);
per-point summaries are ``run_status``, ``steps_completed`` and ``mean_<metric>`` (mean over
the completed steps). ``run_status`` and ``status`` hold the codes of ``simsrc.status`` plus
-1 (``invalid_params``); their ``flag_values``/``flag_meanings`` attributes list them.

This module writes; it draws nothing. The figures of a sweep are drawn from the returned
dataset by whoever asks for them (``simsrc sweep``: ``simsrc.viz.plots.sweep_figures``).
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import sys

import numpy as np

from simsrc.metrics.summary import STATUS_NAMES

NETCDF_ENGINE = "h5netcdf"

UNITS = (("_m_per_s2", "m/s2"), ("_m_per_s", "m/s"), ("_j_per_kg_per_m", "J/kg/m"),
         ("_kn_per_m", "kN/m"), ("_n_per_m", "N/m"), ("_hz", "Hz"), ("_steps_per_min", "steps/min"), ("_n_s", "N s"),
         ("_bw", "body weights"), ("_n_s_per_m", "N s/m"),
         ("_deg", "degrees"), ("_kg", "kg"), ("_j", "J"), ("_n", "N"), ("_s", "s"), ("_m", "m"))


def unit_of(name: str) -> str:
    """The unit written in a name's suffix (``contact_time_s`` -> ``s``), else ``1``."""
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return unit
    return "1"


def _coords(plan) -> dict:
    coords = {}
    for a in plan.axes:
        if a.zipped:
            coords[a.name] = (a.name, np.arange(len(a)), {"long_name": "index in zipped group"})
        for key, vals in zip(a.keys, a.values):
            coords[key] = (a.name, np.asarray(vals), {"units": unit_of(key), "scale": a.scale})
    coords["step"] = ("step", np.arange(1, plan.n_steps + 1), {"long_name": "step number"})
    return coords


def variable_name(name: str, coords) -> str:
    """The dataset name of a chunk array: its own name, or ``step_<name>`` where a swept key of
    the same name is a coordinate (sweeping the initial ``speed_m_per_s`` or ``apex_height_m``:
    the coordinate is the start value, the variable each step's own value)."""
    return f"step_{name}" if name in coords else name


def build_dataset(plan, arrays: dict[str, np.ndarray], attrs: dict | None = None):
    """The dataset of a sweep from the concatenated chunk arrays (first axis: flat index)."""
    shape = tuple(len(a) for a in plan.axes)
    return _dataset(plan, {k: v.reshape(shape + v.shape[1:]) for k, v in arrays.items()}, attrs)


def _dataset(plan, gridded: dict, attrs: dict | None = None):
    """The dataset from arrays already in grid shape (numpy, or dask for a streamed write)."""
    import xarray as xr

    dims = tuple(a.name for a in plan.axes)
    flags = {"flag_values": np.array(list(STATUS_NAMES), np.int32),
             "flag_meanings": " ".join(STATUS_NAMES.values())}
    coords = _coords(plan)
    data = {}
    for name, body in gridded.items():
        per_step = body.ndim == len(dims) + 1
        var_dims = dims + ("step",) if per_step else dims
        meta = dict(flags) if name in ("status", "run_status") else {"units": unit_of(name)}
        data[variable_name(name, coords)] = (var_dims, body, meta)
    ds = xr.Dataset(data, coords=coords, attrs=attrs or {})
    if not any(v.ndim == len(dims) + 1 for v in gridded.values()):
        ds = ds.drop_vars("step")
    return ds


#: Points per block when the results are assembled from the chunk files: results.nc is written
#: one variable's block at a time (8 MB of float64), results.csv a block of rows of every
#: summary at a time (about 40 MB for 60 summaries). The assembly never holds the whole sweep.
NC_BLOCK_POINTS = 1 << 20
CSV_BLOCK_POINTS = 1 << 16


def _blocks(plan, block_points: int) -> list[tuple[int, int]]:
    """Row ranges [r0, r1) of the first sweep axis that the assembly reads and writes at once:
    whole rows of the grid, about ``block_points`` points each (at least one row)."""
    shape = tuple(len(a) for a in plan.axes)
    row = int(np.prod(shape[1:], dtype=np.int64))
    rows = max(1, block_points // max(row, 1))
    return [(r0, min(shape[0], r0 + rows)) for r0 in range(0, shape[0], rows)]


def streamed_dataset(plan, store, attrs: dict | None = None, block_points: int = NC_BLOCK_POINTS,
                     layout: dict | None = None):
    """The dataset of a finished sweep whose variables are dask arrays read block by block
    from the chunk files (``_blocks``): writing it to NetCDF holds a few blocks in memory, not
    the sweep. ``layout``: ``store.layout()`` if already read.

    Raises:
        SimsrcInputError: a chunk file is damaged or missing (checked before anything is read
            lazily).
    """
    import dask
    import dask.array as da

    shape = tuple(len(a) for a in plan.axes)
    row = int(np.prod(shape[1:], dtype=np.int64))
    gridded = {}
    for name, (dtype, tail) in (layout or store.layout()).items():
        parts = []
        for r0, r1 in _blocks(plan, block_points):
            block_shape = (r1 - r0,) + shape[1:] + tuple(tail)
            read = dask.delayed(_read_block)(store, name, r0 * row, r1 * row, block_shape)
            parts.append(da.from_delayed(read, block_shape, dtype))
        gridded[name] = da.concatenate(parts, axis=0)
    return _dataset(plan, gridded, attrs)


def _read_block(store, name, start, stop, shape):
    return store.read_points(name, start, stop).reshape(shape)


def flat_table(ds):
    """One row per grid point: the axes' coordinates, ``status_name`` and the summaries."""
    summary = [v for v in ds.data_vars if "step" not in ds[v].dims]
    df = ds[summary].to_dataframe().reset_index()
    df.insert(df.columns.get_loc("run_status") + 1, "status_name",
              [STATUS_NAMES.get(int(c), str(c)) for c in df["run_status"]])
    return df


def write_flat_table(ds, path: str, blocks: list[tuple[int, int]] | None = None) -> None:
    """``flat_table(ds)`` written as CSV, block by block along the first dimension (rows of
    ``blocks``), without holding the whole table.

    Apache Arrow's CSV writer formats the numbers: 11x faster than pandas' ``to_csv`` on a
    sweep's table (0.73 s against 8.0 s for 60,000 rows of 75 floats; benchmarks/README.md),
    with the same shortest round-trip digits, so every number reads back bit for bit. Strings
    (``status_name``) are quoted.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    summary = [v for v in ds.data_vars if "step" not in ds[v].dims]
    first = ds["run_status"].dims[0]
    blocks = blocks or [(0, ds.sizes[first])]
    with open(path, "wb") as f:
        for i, (r0, r1) in enumerate(blocks):
            part = flat_table(ds[summary].isel({first: slice(r0, r1)}).compute())
            options = pacsv.WriteOptions(include_header=i == 0, quoting_header="none")
            pacsv.write_csv(pa.Table.from_pandas(part, preserve_index=False), f, options)


def write_run_files(config, plan, out_dir: str, command: str, scheduler) -> None:
    """config.toml (the resolved config) and run.json (versions, options, devices)."""
    import jax

    from simsrc import __version__
    from simsrc.config.dump import dump_config

    header = (f"Resolved config written by simsrc {__version__} from {config.source}.\n"
              f"Rerun: simsrc sweep {os.path.join(out_dir, 'config.toml')}")
    with open(os.path.join(out_dir, "config.toml"), "w", encoding="utf-8") as f:
        f.write(dump_config(config, header))
    info = {"simsrc_version": __version__, "jax_version": jax.__version__,
            "python": sys.version.split()[0], "source": config.source, "command": command,
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "n_points": plan.n_points, "n_steps": plan.n_steps, "chunk_size": plan.chunk_size,
            "grid": {a.name: len(a) for a in plan.axes},
            "options": dataclasses.asdict(plan.options),
            "devices": [str(d) for d in jax.devices()],
            "scheduler": scheduler if isinstance(scheduler, (str, type(None))) else "client"}
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(info, f, indent=1)


#: A finished sweep's dataset is returned in memory up to this size of results.nc; a larger
#: one is returned opened lazily from the file (each variable read when it is used).
LOAD_BYTES = 256 << 20


def write_results(plan, store, config):
    """Assemble the chunks into results.nc and results.csv; return the dataset.

    The chunks are streamed (``streamed_dataset``, ``write_flat_table``), so the memory this
    takes does not grow with the sweep's points (measured: benchmarks/README.md, "Sweeps").
    """
    import dask

    from simsrc import __version__

    attrs = {"title": config.description or f"simsrc sweep of {config.source}",
             "source": config.source, "simsrc_version": __version__,
             "n_steps": plan.n_steps, "options": json.dumps(dataclasses.asdict(plan.options)),
             "answer": str(plan.values.get("answer", "steps")),
             "history": f"{datetime.datetime.now().isoformat(timespec='seconds')} simsrc sweep"}
    layout = store.layout()
    ds = streamed_dataset(plan, store, attrs, NC_BLOCK_POINTS, layout)
    out = store.out_dir
    nc = os.path.join(out, "results.nc")
    csv = os.path.join(out, "results.csv")
    with dask.config.set(scheduler="synchronous"):   # one block in memory at a time
        reason = invalid_reason(plan, ds)
        if reason:
            ds.attrs["invalid_params_example"] = reason
        rows = streamed_dataset(plan, store, ds.attrs, CSV_BLOCK_POINTS, layout)
        try:   # each file appears whole or not at all (a full disk leaves no half file)
            ds.to_netcdf(nc + ".tmp", engine=NETCDF_ENGINE)
            write_flat_table(rows, csv + ".tmp", _blocks(plan, CSV_BLOCK_POINTS))
            os.replace(nc + ".tmp", nc)
            os.replace(csv + ".tmp", csv)
        finally:
            for tmp in (nc + ".tmp", csv + ".tmp"):
                if os.path.exists(tmp):
                    os.remove(tmp)
    return load_results(out, lazy=os.path.getsize(nc) > LOAD_BYTES)


def invalid_reason(plan, ds) -> str:
    """Why the first ``invalid_params`` point was refused (empty when there is none)."""
    from simsrc.config.load import to_params
    from simsrc.errors import SimsrcInputError
    from simsrc.config.grid import point_values
    from simsrc.metrics.summary import INVALID

    flat = np.flatnonzero(ds["run_status"].values.ravel() == INVALID)
    if flat.size == 0:
        return ""
    values = point_values(plan.values, plan.axes, flat[:1])
    one = {k: v[0] if isinstance(v, np.ndarray) else v for k, v in values.items()}
    where = ", ".join(f"{k} = {one[k]}" for a in plan.axes for k in a.keys)
    try:
        to_params(one, f"the point {where}")
    except SimsrcInputError as e:
        return str(e)
    return ""


def load_results(out_dir: str, lazy: bool = False):
    """The dataset of a finished sweep (``OUT/results.nc``), loaded into memory, or with
    ``lazy`` opened from the file (each variable read when it is used; the file stays open)."""
    import xarray as xr

    path = os.path.join(out_dir, "results.nc")
    if lazy:
        return xr.open_dataset(path, engine=NETCDF_ENGINE)
    with xr.open_dataset(path, engine=NETCDF_ENGINE) as ds:
        return ds.load()
