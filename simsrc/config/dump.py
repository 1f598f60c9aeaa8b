"""Write a resolved config back as TOML (tomllib only reads): every key with its value, so the
file that a sweep leaves in its output folder reruns the same sweep.

Keys whose value comes from the surface preset (or that are off) are written as comments.
"""
from __future__ import annotations

import math

from simsrc.config.load import Config
from simsrc.config.schema import KEYS, OUTPUT_KEYS, TABLES


# a TOML basic string escapes the backslash, the quote and every control character
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r", **{chr(c): f"\\u{c:04X}" for c in (*range(0x20), 0x7F)
                           if chr(c) not in "\b\t\n\f\r"}}


def toml_value(v) -> str:
    """A TOML literal for a bool, int, float (inf and nan included), str, list or dict."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return '"' + "".join(_ESCAPES.get(c, c) for c in v) + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dump_config(config: Config, header: str = "") -> str:
    """The resolved config as TOML text (``header`` lines become comments at the top)."""
    lines = [f"# {h}" if h else "#" for h in header.splitlines()]
    if config.description:
        lines.append(f"description = {toml_value(config.description)}")
    for table in TABLES:
        lines.append(f"\n[{table}]")
        for k in KEYS:
            if k.table != table:
                continue
            v = config.values[k.name]
            if v is None:
                why = "from the surface preset" if table == "ground" else "off"
                lines.append(f"# {k.name}: {why}")
            else:
                lines.append(f"{k.name} = {toml_value(v)}")
    plain = [a for a in config.axes if not a.zipped]
    zipped = [a for a in config.axes if a.zipped]
    if config.axes:
        lines.append("\n[sweep]")
        lines += [f"{a.name} = {toml_value(a.specs[0])}" for a in plain]
        for a in zipped:
            lines.append(f"\n[sweep.zip.{a.name}]")
            lines += [f"{k} = {toml_value(s)}" for k, s in zip(a.keys, a.specs)]
    lines.append("\n[output]")
    lines += [f"{k} = {toml_value(config.output.get(k, d[1]))}" for k, d in OUTPUT_KEYS.items()]
    return "\n".join(lines) + "\n"
