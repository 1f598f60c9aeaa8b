"""Config files: TOML in, checked values in config units out, then SI parameters.

A config names a runner, a leg, a landing mode, a ground, an initial state, a number of steps,
numerical options and optionally a ``[sweep]`` grid; every key, its unit, default and meaning
is in ``simsrc.config.schema`` and configs/README.md. Every mistake raises ``SimsrcInputError``
naming the file, the table, the key, the value and what is allowed (unknown keys get a
did-you-mean).

    >>> cfg = load_config("configs/slope.toml")
    >>> params, state = to_params(cfg.values, cfg.source)          # its base point
    >>> from simsrc.config.grid import point_values                       # or grid points 0..2:
    >>> params, state = to_params(point_values(cfg.values, cfg.axes, np.arange(3)), cfg.source)
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import stat
import tomllib
from typing import Any, Iterable, Mapping

import numpy as np

from simsrc.config.schema import (BY_NAME, KEYS, OUTPUT_KEYS, RANGE_KEYS, SCALES, SWEEPABLE,
                                  TABLES, TYPICAL)
from simsrc.config import budget
from simsrc.errors import SimsrcInputError
from simsrc.config.grid import Axis, n_points
from simsrc.engine.params import Params, State, make_params
from simsrc.engine.simulate import auto_stance_steps, default_options
from simsrc.engine.step import Options
from simsrc.engine.surface import SURFACE_PRESETS, foot_area_scale

BUILTIN_SOURCE = "the built-in default (configs/default.toml)"
TOP_LEVEL_KEYS = ("description",)
QUOTED = '"{}"'  # how a suggested string value is shown


@dataclasses.dataclass(frozen=True)
class Config:
    """A checked config.

    Attributes:
        source: the file it came from (or a description of the built-in default).
        values: every schema key -> its value in config units; None where the value comes from
            the surface preset or is off (leg damping).
        axes: the ``[sweep]`` axes in file order (empty: a single run).
        output: the ``[output]`` table with defaults filled in.
        description: the file's top-level ``description``.
        empty: the file set no key and no sweep (it runs the engine's defaults).
    """

    source: str
    values: Mapping[str, Any]
    axes: tuple[Axis, ...] = ()
    output: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    description: str = ""
    empty: bool = False

    @property
    def n_points(self) -> int:
        return n_points(self.axes)

    @property
    def n_steps(self) -> int:
        return int(self.values["n_steps"])


# ----------------------------------------------------------------------------- messages

def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _type_name(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _where(source: str, table: str | None) -> str:
    return f"{source} [{table}]" if table else source


def _bad(key, allowed, value, source, table) -> SimsrcInputError:
    return SimsrcInputError(f"`{key}` must be {allowed}, got {_show(value)} in "
                            f"{_where(source, table)}")


def _did_you_mean(word: str, choices, fmt: str = "`{}`") -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {fmt.format(close[0])}?)" if close else ""


def _unknown_key(key: str, table: str | None, source: str, allowed) -> SimsrcInputError:
    if key in BY_NAME and table != BY_NAME[key].table:
        return SimsrcInputError(f"`{key}` belongs in [{BY_NAME[key].table}], not "
                                f"{'[' + table + ']' if table else 'the top level'} "
                                f"(in {source})")
    hint = _did_you_mean(key, allowed) or _did_you_mean(key, BY_NAME)
    return SimsrcInputError(f"unknown key `{key}` in {_where(source, table)}{hint}. "
                            f"Allowed here: {', '.join(allowed)}.")


# ----------------------------------------------------------------------------- single values

def check_value(key: str, value, source: str, table: str):
    """Check the type and range of one value of ``key``; return it (ints become floats for
    number keys)."""
    spec = BY_NAME[key]
    kind_ok = {
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "string": isinstance(value, str),
    }[spec.kind]
    if not kind_ok:
        what = {"number": "a number", "integer": "an integer", "string": "a string"}[spec.kind]
        unit = f" ({spec.unit})" if spec.unit and spec.kind != "string" else ""
        raise SimsrcInputError(f"`{key}` must be {what}{unit}, got {_show(value)} "
                               f"({_type_name(value)}) in {_where(source, table)}")
    if spec.kind == "number":
        value = float(value)
    if spec.ok is not None and not spec.ok(value):
        hint = _did_you_mean(value, spec.choices, QUOTED) if isinstance(value, str) else ""
        raise SimsrcInputError(str(_bad(key, spec.allowed, value, source, table)) + hint)
    return value


# ----------------------------------------------------------------------------- sweep

def _range_values(key: str, spec: dict, source: str) -> tuple[list, str]:
    where = f"{source} [sweep] {key}"
    for k in spec:
        if k not in RANGE_KEYS:
            raise SimsrcInputError(f"unknown key `{k}` in the range of {where}"
                                   f"{_did_you_mean(k, RANGE_KEYS)}. A range is "
                                   "{start = ..., stop = ..., num = ..., scale = \"linear\" or "
                                   "\"log\"}.")
    missing = [k for k in ("start", "stop", "num") if k not in spec]
    if missing:
        raise SimsrcInputError(f"the range of {where} needs {', '.join(missing)} "
                               f"(got {_show(spec)}); a range is "
                               "{start = ..., stop = ..., num = ...}")
    start, stop, num = spec["start"], spec["stop"], spec["num"]
    scale = spec.get("scale", "linear")
    for name, v in (("start", start), ("stop", stop)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SimsrcInputError(f"`{name}` must be a finite number, got {_show(v)} in {where}")
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise SimsrcInputError(f"`num` must be an integer >= 1, got {_show(num)} in {where}")
    # before the values exist: an axis of num values makes a grid of at least num points
    budget.check_results_size(num, 1, False, _n_metrics(), where, f"`num` = {num:,}",
                              at_least=True)
    if scale not in SCALES:
        raise SimsrcInputError(f"`scale` must be \"linear\" or \"log\", got {_show(scale)} in "
                               f"{where}{_did_you_mean(str(scale), SCALES, QUOTED)}")
    if scale == "log" and (start <= 0 or stop <= 0):
        raise SimsrcInputError(f"a log range needs start > 0 and stop > 0, got start = "
                               f"{_show(start)}, stop = {_show(stop)} in {where}")
    values = (np.geomspace if scale == "log" else np.linspace)(start, stop, num)
    return [float(v) for v in values], scale


def _axis_values(key: str, spec, source: str, table: str) -> tuple[list, str]:
    """Values of one swept key from a list or a range table, each checked."""
    if key not in BY_NAME or not BY_NAME[key].sweepable:
        if key in BY_NAME:
            raise SimsrcInputError(f"`{key}` cannot be swept (in {_where(source, table)}): "
                                   f"it is fixed for a whole run. Sweepable keys: "
                                   f"{', '.join(SWEEPABLE)}.")
        raise _unknown_key(key, table, source, SWEEPABLE + ("zip",))
    if isinstance(spec, list):
        if not spec:
            raise SimsrcInputError(f"the list of `{key}` in {_where(source, table)} is empty")
        values, scale = spec, "list"
    elif isinstance(spec, dict):
        if BY_NAME[key].kind == "string":
            raise SimsrcInputError(f"`{key}` can be swept only with a list of names, got "
                                   f"{_show(spec)} in {_where(source, table)}")
        values, scale = _range_values(key, spec, source)
    else:
        raise SimsrcInputError(f"a swept key must be a list or a range table {{start = ..., "
                               f"stop = ..., num = ...}}; `{key}` is {_show(spec)} "
                               f"({_type_name(spec)}) in {_where(source, table)}")
    return [check_value(key, v, source, table) for v in values], scale


def _parse_sweep(sweep: dict, source: str) -> tuple[Axis, ...]:
    if not isinstance(sweep, dict):
        raise SimsrcInputError(f"`sweep` must be a table, got {_show(sweep)} in {source}")
    axes, seen = [], set()
    for key, spec in sweep.items():
        if key == "zip":
            if not isinstance(spec, dict):
                raise SimsrcInputError(f"`zip` must hold named groups ([sweep.zip.NAME]), got "
                                       f"{_show(spec)} in {source} [sweep]")
            for group, members in spec.items():
                axes.append(_parse_zip(group, members, source))
        else:
            values, scale = _axis_values(key, spec, source, "sweep")
            axes.append(Axis(key, (key,), (tuple(values),), (spec,), scale))
    for axis in axes:
        for key in axis.keys:
            if key in seen:
                raise SimsrcInputError(f"`{key}` is swept twice in {source} [sweep]")
            seen.add(key)
    names = [a.name for a in axes]
    clash = [a.name for a in axes if a.zipped and (a.name in BY_NAME or names.count(a.name) > 1)]
    if clash:
        raise SimsrcInputError(f"zip group name `{clash[0]}` in {source} [sweep.zip] clashes "
                               "with a key or another axis; pick another name")
    return tuple(axes)


def _parse_zip(group: str, members, source: str) -> Axis:
    table = f"sweep.zip.{group}"
    if not isinstance(members, dict) or not members:
        raise SimsrcInputError(f"[{table}] in {source} must be a table of keys swept together, "
                               f"e.g. mass_kg = [60, 70], leg_length_m = [0.9, 0.95]")
    keys, values, specs, scales = [], [], [], []
    for key, spec in members.items():
        vals, scale = _axis_values(key, spec, source, table)
        keys.append(key), values.append(tuple(vals)), specs.append(spec), scales.append(scale)
    lengths = {k: len(v) for k, v in zip(keys, values)}
    if len(set(lengths.values())) > 1:
        raise SimsrcInputError(f"the keys of a zipped group must have equal lengths; got "
                               f"{', '.join(f'{k}: {n}' for k, n in lengths.items())} in "
                               f"{source} [{table}]")
    return Axis(group, tuple(keys), tuple(values), tuple(specs), "list")


# ----------------------------------------------------------------------------- whole file

def _parse_output(output, source: str) -> dict:
    from simsrc.metrics.summary import METRIC_NAMES

    resolved = {k: v[1] for k, v in OUTPUT_KEYS.items()}
    if output is None:
        return resolved
    if not isinstance(output, dict):
        raise SimsrcInputError(f"`output` must be a table, got {_show(output)} in {source}")
    for key, value in output.items():
        if key not in OUTPUT_KEYS:
            raise _unknown_key(key, "output", source, tuple(OUTPUT_KEYS))
        kind = OUTPUT_KEYS[key][0]
        if kind == "bool" and not isinstance(value, bool):
            raise _bad(key, "true or false", value, source, "output")
        if kind == "strings":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _bad(key, "a list of metric names", value, source, "output")
            for name in value:
                if name not in METRIC_NAMES:
                    raise SimsrcInputError(
                        f"unknown metric {_show(name)} in `{key}` in {source} [output]"
                        f"{_did_you_mean(name, METRIC_NAMES)}. Metrics: "
                        f"{', '.join(METRIC_NAMES)}.")
        resolved[key] = value
    return resolved


def parse_config(data: Mapping[str, Any], source: str) -> Config:
    """Check a parsed TOML document and fill in the defaults.

    Raises:
        SimsrcInputError: naming the file, the table, the key, the value and what is allowed.
    """
    values = {k.name: k.default for k in KEYS}
    given = set()
    description = ""
    for table, body in data.items():
        if table in TOP_LEVEL_KEYS:
            if not isinstance(body, str):
                raise _bad(table, "a string", body, source, None)
            description = body
            continue
        if table in ("sweep", "output"):
            continue
        if table not in TABLES:
            if table in BY_NAME:
                raise SimsrcInputError(f"`{table}` must be inside the [{BY_NAME[table].table}] "
                                       f"table (in {source})")
            tables = TABLES + ("sweep", "output")
            raise SimsrcInputError(f"unknown table [{table}] in {source}"
                                   f"{_did_you_mean(table, tables, '[{}]')}. Tables: "
                                   f"{', '.join('[' + t + ']' for t in tables)}.")
        if not isinstance(body, dict):
            raise SimsrcInputError(f"`{table}` must be a table ([{table}]), got {_show(body)} "
                                   f"in {source}")
        allowed = tuple(k.name for k in KEYS if k.table == table)
        for key, value in body.items():
            if key not in allowed:
                raise _unknown_key(key, table, source, allowed)
            values[key] = check_value(key, value, source, table)
            given.add(key)
    axes = _parse_sweep(data["sweep"], source) if "sweep" in data else ()
    swept = {k for a in axes for k in a.keys}
    if {"leg_damping_ratio", "leg_damping_n_s_per_m"} <= (given | swept):
        raise SimsrcInputError(f"give either `leg_damping_ratio` or `leg_damping_n_s_per_m`, "
                               f"not both (in {source})")
    output = _parse_output(data.get("output"), source)
    config = Config(source, values, axes, output, description, empty=not (given or axes))
    check_size(config)
    return config


def config_warnings(config: Config) -> list[str]:
    """Notes on allowed values outside what people run with (``schema.TYPICAL``), one per key,
    for the commands to print; the config is still run."""
    notes = []
    if config.empty:
        notes.append(f"{config.source} sets no key, so it runs the engine's defaults (a "
                     "lossless 15 kN/m runner landing at a fixed angle); `simsrc run` with no "
                     "config runs the built-in human runner instead")
    for key, (low, high, why) in TYPICAL.items():
        values = [config.values[key]] + [v for a in config.axes for k, vals in
                                         zip(a.keys, a.values) if k == key for v in vals]
        odd = [v for v in values if v is not None and not low <= v <= high]
        if odd:
            notes.append(f"`{key}` = {odd[0]:g} in {config.source} is {why}; it is allowed, "
                         "but check it")
    return notes


def _n_metrics() -> int:
    from simsrc.metrics.summary import METRIC_NAMES

    return len(METRIC_NAMES)


def check_size(config: Config) -> None:
    """Refuse a config whose one point (its ``[numerics]`` steps) or whose grid (its results)
    needs more memory than this machine has free (``simsrc.config.budget``).

    Raises:
        SimsrcInputError: naming the file, the grid or the numerics, and the estimate.
    """
    v = config.values
    steps = budget.stance_steps_or_most(v["stance_steps"])
    budget.check_working_memory(1, config.n_steps, steps, v["search_steps"],
                                f"{config.source} [numerics]",
                                f"one point of stance_steps = {steps:,}, "
                                f"search_steps = {v['search_steps']:,}")
    if config.axes:
        shape = " x ".join(f"{len(a):,}" for a in config.axes)
        budget.check_results_size(config.n_points, config.n_steps,
                                  bool(config.output.get("per_step", True)), _n_metrics(),
                                  f"{config.source} [sweep]", f"the grid {shape}")


def load_config(path: str | os.PathLike, overrides=()) -> Config:
    """Read and check a TOML config file, with ``overrides`` (``KEY=VALUE`` strings, the
    command line's ``--set``) applied on top (``apply_overrides``).

    Raises:
        SimsrcInputError: the file is missing, is not valid TOML, or has a bad key or value.
    """
    source = os.fspath(path)
    return parse_config(apply_overrides(read_toml(source), overrides), source)


def apply_overrides(data: dict, overrides) -> dict:
    """A config document with ``KEY=VALUE`` overrides (``--set``) applied: KEY is any config
    key (``leg_stiffness_kn_per_m``, or with its table, ``leg.leg_stiffness_kn_per_m``), or
    ``description``; VALUE is a TOML value (``12``, ``0.5``, ``true``, ``"sand"``), and a bare
    word is a string (``surface=sand``). The value is checked as the config file's would be.

    Raises:
        SimsrcInputError: naming ``--set``, the key and the value, and what is allowed.
    """
    out = {t: dict(b) if isinstance(b, dict) else b for t, b in data.items()}
    for item in overrides or ():
        key, eq, text = str(item).partition("=")
        key, text = key.strip(), text.strip()
        if not eq or not key:
            raise SimsrcInputError(f"--set {item!r}: expected KEY=VALUE, e.g. "
                                   "--set leg_stiffness_kn_per_m=12 or --set surface=sand")
        table, _, name = key.rpartition(".")
        if name in TOP_LEVEL_KEYS and not table:
            out[name] = text.strip('"')
            continue
        if name not in BY_NAME:
            raise SimsrcInputError(f"--set {item!r}: unknown key `{name}`"
                                   f"{_did_you_mean(name, tuple(BY_NAME))} (`simsrc keys` "
                                   "lists them)")
        want = BY_NAME[name].table
        if table and table != want:
            raise SimsrcInputError(f"--set {item!r}: `{name}` is in the [{want}] table, not "
                                   f"[{table}]")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text                        # a bare word: a string (surface=sand)
        check_value(name, value, "--set", want)
        body = out.setdefault(want, {})
        if not isinstance(body, dict):
            raise SimsrcInputError(f"--set {item!r}: `{want}` is not a table in the config")
        if name in ("leg_damping_ratio", "leg_damping_n_s_per_m"):
            # one replaces the other: the config may give either, never both
            body.pop("leg_damping_n_s_per_m" if name == "leg_damping_ratio"
                     else "leg_damping_ratio", None)
        body[name] = value
    return out


MAX_TOML_BYTES = 1 << 20   # a config or fit file is a few kB; anything past 1 MiB is not one


def read_toml(path: str | os.PathLike, what: str = "config") -> dict:
    """The TOML table of a file; a missing file, a folder, something that is not a regular file
    (``/dev/zero``, a pipe), a file over ``MAX_TOML_BYTES``, text that is not UTF-8 or bad TOML
    is a ``SimsrcInputError`` naming the file (``what``: the kind of file, for the message)."""
    source = os.fspath(path)
    try:
        info = os.stat(source)
    except FileNotFoundError:
        raise SimsrcInputError(f"{what} file not found: {source}") from None
    except OSError as e:
        raise SimsrcInputError(f"cannot read the {what} file {source}: {e.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SimsrcInputError(f"{source} is a folder, not a {what} file")
    if not stat.S_ISREG(info.st_mode):
        raise SimsrcInputError(f"{source} is not a regular file (a device, pipe or socket); a "
                               f"{what} file is a TOML text file")
    if info.st_size > MAX_TOML_BYTES:
        raise SimsrcInputError(f"{source} has {info.st_size:,} bytes; a {what} file is a TOML "
                               f"text file of at most {MAX_TOML_BYTES:,} bytes (1 MiB)")
    try:
        with open(source, "rb") as f:
            raw = f.read(MAX_TOML_BYTES + 1)
    except OSError as e:
        raise SimsrcInputError(f"cannot read the {what} file {source}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SimsrcInputError(f"{source} is not UTF-8 text (byte 0x{raw[e.start]:02x} at "
                               f"offset {e.start}); a {what} file is TOML, which must be "
                               "UTF-8: save it as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SimsrcInputError(f"{source} is not valid TOML: {e}") from None


#: The built-in runner (``simsrc run`` with no config; configs/default.toml holds the same values):
#: the keys it sets apart from the schema's defaults, which a config file starts from. A 70 kg
#: runner with a 0.95 m leg of 11 kN/m (Farley & Gonzalez 1996: about 11 kN/m, constant with
#: speed) whose muscles absorb work in early stance (leg damping ratio 0.1) and put it back with
#: a push of 0.9 body weights in late stance, landing at 66.5° on firm ground. Its steady gait
#: (measured, `simsrc run`): 3.44 m/s, 165 steps/min, contact 237 ms, flight 126 ms, peak
#: vertical force 2.15 BW, COM oscillation 7.8 cm, Morin leg stiffness 10.5 kN/m, metabolic
#: estimate 4.42 J/kg/m, all inside the published ranges of tests/test_metrics.py (cited there;
#: tests/test_cli.py checks them on `simsrc run --json`).
BUILTIN_RUNNER = {
    "runner": {"push_force_bw": 0.9},
    "leg": {"leg_stiffness_kn_per_m": 11.0, "leg_damping_ratio": 0.1},
    "landing": {"angle_of_attack_deg": 66.5},
}


def default_config(overrides=()) -> Config:
    """The built-in default runner (``BUILTIN_RUNNER`` on top of the schema's defaults: the same
    values as configs/default.toml), with ``overrides`` (``KEY=VALUE``, see ``apply_overrides``)
    applied."""
    return parse_config(apply_overrides(BUILTIN_RUNNER, overrides), BUILTIN_SOURCE)


# ----------------------------------------------------------------------------- to SI

def _preset_field(names, field: str, mass_kg=None):
    """A preset's number (per point where ``names`` is an array); with ``mass_kg``, stiffness or
    damping under the runner's foot (a granular preset scales with the foot's area)."""
    def one(name, m):
        preset = SURFACE_PRESETS[str(name)]
        return getattr(preset, field) * (1.0 if m is None else foot_area_scale(preset, m))
    if isinstance(names, np.ndarray):
        masses = np.broadcast_to(np.asarray(mass_kg, float), names.shape) if mass_kg is not None \
            else [None] * len(names)
        return np.array([one(n, m) for n, m in zip(names, masses)], float)
    return one(names, mass_kg)


def _kilo(v):
    """kN/m -> N/m, for a scalar or an array (None stays None)."""
    if v is None:
        return None
    return np.asarray(v, float) * 1e3 if isinstance(v, np.ndarray) else v * 1e3


def _check_rigid(v, k_s, c_s, r_s, where: str) -> None:
    """An infinite surface stiffness is rigid ground, which neither moves nor stores energy: a
    surface damping or a restitution below 1 (given, or from the preset) would be ignored
    silently, so that combination is refused."""
    rigid = np.isinf(np.asarray(k_s, float))
    moot = rigid & ((np.asarray(c_s, float) > 0) | (np.asarray(r_s, float) < 1))
    if np.any(moot):
        i = np.flatnonzero(np.atleast_1d(moot))[0]
        pick = lambda x: np.atleast_1d(np.broadcast_to(np.asarray(x), np.shape(moot)))[i]
        raise SimsrcInputError(
            f"`surface_stiffness_kn_per_m` = inf (rigid ground) with surface "
            f"{_show(str(pick(v['surface'])))}, whose surface_damping_n_s_per_m = "
            f"{float(pick(c_s)):g} and surface_restitution = {float(pick(r_s)):g} would be "
            f"ignored, in {where}: a rigid surface neither moves nor dissipates; use surface = "
            f"\"rigid\", or a finite stiffness (kN/m)")


def to_params(values: Mapping[str, Any], where: str) -> tuple[Params, State]:
    """SI ``Params`` and the start ``State`` from config values (scalars or 1-D arrays).

    The unit conversions live here: kN/m -> N/m (x 1000); degrees and body weights are passed
    to ``make_params``, which converts and checks them (``where`` names the source in errors).
    """
    v = values
    surface = v["surface"]
    k_s = v["surface_stiffness_kn_per_m"]
    k_s = _preset_field(surface, "stiffness_n_per_m", v["mass_kg"]) if k_s is None else _kilo(k_s)
    c_s = v["surface_damping_n_s_per_m"]
    c_s = _preset_field(surface, "damping_n_s_per_m", v["mass_kg"]) if c_s is None else c_s
    r_s = v["surface_restitution"]
    r_s = _preset_field(surface, "restitution") if r_s is None else r_s
    _check_rigid(v, k_s, c_s, r_s, where)
    params = make_params(
        mass_kg=v["mass_kg"], leg_length_m=v["leg_length_m"],
        leg_stiffness_n_per_m=_kilo(v["leg_stiffness_kn_per_m"]),
        leg_damping_n_s_per_m=v["leg_damping_n_s_per_m"], leg_damping_ratio=v["leg_damping_ratio"],
        angle_of_attack_deg=v["angle_of_attack_deg"], lean_deg=v["lean_deg"],
        push_force_bw=v["push_force_bw"], push_ramp_deg=v["push_ramp_deg"],
        slope_deg=v["slope_deg"], gravity_m_per_s2=v["gravity_m_per_s2"],
        surface_stiffness_n_per_m=k_s, surface_damping_n_s_per_m=c_s, surface_restitution=r_s,
        retraction_rate_deg_per_s=v["retraction_rate_deg_per_s"],
        hip_stiffness_n_m_per_rad=v["hip_stiffness_n_m_per_rad"],
        hip_neutral_deg=v["hip_neutral_deg"], hip_damping_ratio=v["hip_damping_ratio"],
        swing_leg_mass_kg=v["swing_leg_mass_kg"], swing_leg_com_m=v["swing_leg_com_m"],
        swing_leg_inertia_kg_m2=v["swing_leg_inertia_kg_m2"],
        where=where)
    state = State(0.0, v["apex_height_m"], v["speed_m_per_s"], 0.0)
    return params, state


def base_point(config: Config) -> tuple[Params, State]:
    """SI parameters of the config's base point (its tables, ignoring ``[sweep]``)."""
    return to_params(config.values, config.source)


# ----------------------------------------------------------------------------- numerics

SURFACE_MODELS = ("rigid", "algebraic", "damped")   # each covers the ones before it
NUMERIC_KEYS = tuple(k.name for k in KEYS if k.table == "numerics")


def numerical_options(values: Mapping[str, Any], batches: Iterable[Params | None]) -> Options:
    """One ``Options`` for every batch of a run or sweep (so ``simulate`` compiles once).

    The surface model is the richest that any batch needs (``simsrc.engine.simulate.default_options``
    per batch), the push and leg-damping terms are on if any point needs them, the stance is
    split at the surface's loading/unloading switch if any point's surface is plastic, and the
    ``[numerics]`` keys override the rest.

    Raises:
        SimsrcInputError: ``surface_model`` forces a model that cannot cover the surface.
    """
    model, push, damping, plastic = "rigid", False, False, False
    for p in batches:
        if p is None:
            continue
        o = default_options(p)
        model = max(model, o.surface_model, key=SURFACE_MODELS.index)
        push, damping = push or o.push, damping or o.leg_damping
        plastic = plastic or o.plastic
    forced = values["surface_model"]
    if forced != "auto":
        if SURFACE_MODELS.index(forced) < SURFACE_MODELS.index(model):
            raise SimsrcInputError(
                f"`surface_model` = \"{forced}\" cannot simulate this ground (it needs "
                f"\"{model}\": a compliant surface needs \"algebraic\", a damper in series "
                f"needs \"damped\"); use \"auto\"")
        model = forced
    rest = {k: values[k] for k in NUMERIC_KEYS if k != "surface_model"}
    if rest["stance_steps"] is None:
        rest["stance_steps"] = auto_stance_steps(model, push)
    # plastic: split the stance at the loading/unloading switch only where a surface keeps
    # energy (restitution < 1); on elastic ground the split program is twice the size
    return dataclasses.replace(Options(), surface_model=model, push=push, leg_damping=damping,
                               plastic=plastic, landing=values["mode"], **rest)
