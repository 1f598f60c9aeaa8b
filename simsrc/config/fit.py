"""Config files of ``simsrc fit``: TOML in, checked settings out (``FitConfig``).

    description = "..."
    [data]    kind ("force" | "stride" | "watch"; default from the file's extension),
              file (a path, or the name of a file shipped in simsrc/data), speed_m_per_s
    [runner]  mass_kg, leg_length_m or height_m (leg = 0.53 height), surface (preset)
    [fit]     free, horizontal, starts, max_iterations, per_step, metrics, [fit.sigma]
    [output]  folder, figures

Every key, its meaning and default: ``KEYS`` below and docs/fitting.md. Every mistake raises
``SimsrcInputError`` naming the file, the table, the key, the value and what is allowed;
command-line flags go through the same checks (source "the command line").
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import pathlib
from typing import Any, Callable, NamedTuple

from simsrc.config.dump import toml_value
from simsrc.measured.datasets import DATA_FILES, data_path
from simsrc.errors import SimsrcInputError
from simsrc.fit.model import ALIASES
from simsrc.fit.stride import DEFAULT_SIGMA, METRICS
from simsrc.engine.surface import SURFACE_PRESETS

KINDS = ("force", "stride", "watch")
MAX_DATA_BYTES = 256 << 20   # a force recording, stride table or watch file: far below this
EXTENSION_KIND = {".txt": "force", ".c3d": "force", ".csv": "stride", ".fit": "watch"}


class Key(NamedTuple):
    """One config key: its table, a check, what the check allows (for messages), default."""

    table: str
    ok: Callable[[Any], bool]
    allowed: str
    default: Any
    help: str


def _number(lo=0.0):
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) \
        and v > lo


def _is_int(lo, hi):
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _strings(choices):
    return lambda v: isinstance(v, list) and len(v) > 0 and all(isinstance(x, str) and x in choices
                                                                for x in v)


def _bool(v):
    return isinstance(v, bool)


def _str(v):
    return isinstance(v, str) and v != ""


FREE_NAMES = tuple(ALIASES) + tuple(ALIASES.values())

KEYS: dict[str, Key] = {
    "kind": Key("data", lambda v: v in KINDS, "one of " + ", ".join(f'"{k}"' for k in KINDS),
                None, "what to fit (default: from the file extension: .txt/.c3d force, .csv "
                "stride, .fit watch)"),
    "file": Key("data", _str, "a file path or a shipped data name", None,
                "the measurement: a path, or a name in simsrc/data such as "
                "fukuchi2017/RBDS001runT35.c3d"),
    "speed_m_per_s": Key("data", _number(), "a number > 0 (m/s)", None,
                         "force: the treadmill speed (required)"),
    "mass_kg": Key("runner", _number(), "a number > 0 (kg)", None,
                   "body mass (watch: default user_profile, else 70)"),
    "leg_length_m": Key("runner", _number(), "a number > 0 (m)", None,
                        "leg length L0 (default 0.53 x height_m, else 0.95)"),
    "height_m": Key("runner", _number(), "a number > 0 (m)", None,
                    "standing height, for the leg length"),
    "surface": Key("runner", lambda v: v in SURFACE_PRESETS,
                   "one of " + ", ".join(f'"{k}"' for k in SURFACE_PRESETS), "rigid",
                   "ground under the model (force fits)"),
    "free": Key("fit", _strings(FREE_NAMES), "a list of " + ", ".join(ALIASES), None,
                "parameters to fit (default per kind, docs/fitting.md)"),
    "horizontal": Key("fit", _bool, "true or false", True,
                      "force: fit the horizontal force too"),
    "starts": Key("fit", _is_int(1, 8), "an integer 1..8", 4, "force: number of starts"),
    "max_iterations": Key("fit", _is_int(1, 1000), "an integer 1..1000", None,
                          "Levenberg-Marquardt iterations at most (default 60 force, 100 "
                          "stride/watch)"),
    "per_step": Key("fit", _bool, "true or false", False,
                    "force: also fit every step's own curve (batched)"),
    "metrics": Key("fit", _strings(METRICS), "a list of " + ", ".join(METRICS), None,
                   "stride/watch: metrics to fit (default: all present; watch: without "
                   "vertical_oscillation)"),
    "sigma": Key("fit", lambda v: isinstance(v, dict), "a table of metric = error (SI)", {},
                 "measurement errors (1 sigma) of the stride metrics"),
    "folder": Key("output", _str, "a folder path", None,
                  "where results go (default runs/fit_NAME)"),
    "figures": Key("output", _bool, "true or false", True, "draw the figures"),
}
TABLES = ("data", "runner", "fit", "output")


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """Checked settings of one ``simsrc fit`` (values of ``KEYS``; None = default)."""

    source: str
    description: str
    values: dict


def _show(v) -> str:
    return f'"{v}"' if isinstance(v, str) else toml_value(v) if isinstance(
        v, (bool, int, float, list, dict)) else repr(v)


def check_key(key: str, value, where: str):
    """Check one value; return it (ints become floats for number keys)."""
    spec = KEYS[key]
    if not spec.ok(value):
        raise SimsrcInputError(f"`{key}` must be {spec.allowed}, got {_show(value)} in {where}")
    if key == "sigma":
        for name, s in value.items():
            if name not in DEFAULT_SIGMA or not _number()(s):
                raise SimsrcInputError(
                    f"[fit.sigma] `{name}` = {_show(s)} is not allowed in {where}; allowed: "
                    f"{', '.join(DEFAULT_SIGMA)}, each a number > 0 (SI units)")
        return {k: float(s) for k, s in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and "number" in spec.allowed:
        return float(value)
    return value


def _unknown(key: str, table: str | None, source: str) -> SimsrcInputError:
    allowed = [k for k, s in KEYS.items() if s.table == table] if table else list(TABLES)
    close = difflib.get_close_matches(key, list(KEYS) + list(TABLES), n=1, cutoff=0.6)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    if key in KEYS and table != KEYS[key].table:
        return SimsrcInputError(f"`{key}` belongs in [{KEYS[key].table}], not "
                                f"{'[' + table + ']' if table else 'the top level'} (in {source})")
    where = f"{source} [{table}]" if table else source
    return SimsrcInputError(f"unknown key `{key}` in {where}{hint}. Allowed here: "
                            f"{', '.join(allowed)}.")


def parse_fit_config(data: dict, source: str) -> FitConfig:
    """Check a parsed TOML document (see the module docstring)."""
    values = {k: s.default for k, s in KEYS.items()}
    description = ""
    for table, body in data.items():
        if table == "description":
            if not isinstance(body, str):
                raise SimsrcInputError(f"`description` must be a string, got {_show(body)} in "
                                       f"{source}")
            description = body
            continue
        if table not in TABLES:
            raise _unknown(table, None, source)
        if not isinstance(body, dict):
            raise SimsrcInputError(f"`{table}` must be a table ([{table}]) in {source}")
        for key, value in body.items():
            if key not in KEYS or KEYS[key].table != table:
                raise _unknown(key, table, source)
            values[key] = check_key(key, value, f"{source} [{table}]")
    return FitConfig(source, description, values)


def load_fit_config(path) -> FitConfig:
    """Read and check a fit config file (raises ``SimsrcInputError`` naming the file)."""
    from simsrc.config.load import read_toml

    source = os.fspath(path)
    return parse_fit_config(read_toml(source, "fit config"), source)


def with_overrides(config: FitConfig, overrides: dict) -> FitConfig:
    """The config with command-line values (checked like config values)."""
    values = dict(config.values)
    for key, value in overrides.items():
        if value is not None:
            values[key] = check_key(key, value, "the command line")
    return dataclasses.replace(config, values=values)


def resolve_data_file(config: FitConfig) -> tuple[pathlib.Path, str]:
    """(path of the data file, kind); raises naming the config key when it is missing."""
    name = config.values["file"]
    where = f"{config.source} [data]" if config.source != "the command line" else \
        "the command line"
    if name is None:
        raise SimsrcInputError(f"no data file: give `file` in [data] of the config or --data "
                               f"(in {config.source})")
    path = pathlib.Path(name)
    if path.exists() and not path.is_file():
        raise SimsrcInputError(f"`file` = {_show(name)} in {where} is not a regular file (a "
                               "folder, device or pipe); give a data file")
    if path.is_file() and path.stat().st_size > MAX_DATA_BYTES:
        raise SimsrcInputError(f"`file` = {_show(name)} in {where} has {path.stat().st_size:,} "
                               f"bytes; a data file may have at most {MAX_DATA_BYTES:,} "
                               f"({MAX_DATA_BYTES >> 20} MiB): cut the recording shorter")
    if not path.is_file():
        key = str(name).replace("\\", "/").strip("/")
        if key in DATA_FILES:
            path = data_path(key)
        else:
            shipped = ", ".join(f for f in DATA_FILES if not f.endswith((".md", ".txt"))
                                or "forces" in f)
            raise SimsrcInputError(f"data file not found: `file` = {_show(name)} in {where}; "
                                   f"give a path or a shipped file: {shipped}")
    kind = config.values["kind"] or EXTENSION_KIND.get(path.suffix.lower())
    if kind is None:
        raise SimsrcInputError(f"cannot tell what to fit from the file name {_show(str(path))}: "
                               f"set `kind` in [data] to one of {', '.join(KINDS)} (in {where})")
    return path, kind


def dump_fit_config(config: FitConfig, header: str = "") -> str:
    """The resolved config as TOML (None values as comments)."""
    lines = [f"# {h}" for h in header.splitlines()]
    if config.description:
        lines.append(f"description = {toml_value(config.description)}")
    for table in TABLES:
        lines.append(f"\n[{table}]")
        for key, spec in KEYS.items():
            if spec.table != table or key == "sigma":
                continue
            v = config.values[key]
            lines.append(f"# {key}: default" if v is None else f"{key} = {toml_value(v)}")
        if table == "fit" and config.values["sigma"]:
            lines.append("\n[fit.sigma]")
            lines += [f"{k} = {toml_value(v)}" for k, v in config.values["sigma"].items()]
    return "\n".join(lines) + "\n"
