"""How the commands format numbers for tables and values for JSON (shared by ``simsrc run`` and
``simsrc fit``)."""
from __future__ import annotations

import math


def number(v, fmt: str) -> str:
    """``v`` formatted with ``fmt`` for a table cell: ``-`` for None or a non-finite float, and
    never a negative zero (``-0.000`` prints as ``0.000``)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    text = format(v, fmt)
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def jsonable(v, infinity: bool = True):
    """``v`` as plain JSON values: dicts and sequences recursively, arrays and numpy scalars
    through ``tolist``, NaN as null; ±inf as the strings ``"inf"``/``"-inf"`` (or as null
    with ``infinity=False``)."""
    if isinstance(v, dict):
        return {k: jsonable(x, infinity) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x, infinity) for x in v]
    if hasattr(v, "tolist"):
        return jsonable(v.tolist(), infinity)
    if isinstance(v, float) and not math.isfinite(v):
        if math.isnan(v) or not infinity:
            return None
        return "inf" if v > 0 else "-inf"
    return v


def add_set_argument(parser) -> None:
    """``--set KEY=VALUE`` (repeatable): change one config key for this command, on top of the
    config file or the built-in runner (``simsrc.config.load.apply_overrides``)."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change one config key for this run, e.g. --set surface=sand "
                        "--set leg_stiffness_kn_per_m=12 (repeatable; any key of `simsrc keys`)")
