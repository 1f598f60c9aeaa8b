"""Human labels with units for the names on a figure: config keys, metrics and run statuses.

One table, built from the tables that already state the words and units: the config schema
(``simsrc.config.schema.KEYS``: a key's unit, ``lean_deg`` -> degrees) and the steady gait's
rows (``simsrc.metrics.summary.STEADY_ROWS``: a metric's words and unit, ``cadence_steps_per_min``
-> cadence, steps/min). Any other name with a unit in its suffix
(``simsrc.sweep.results.UNITS``) reads as its words and that unit; a name with neither falls
back to itself. Units are those of the data: no value is rescaled here.
"""
from __future__ import annotations

import numpy as np

from simsrc.config.schema import KEYS
from simsrc.metrics.summary import NO_GAIT_NAMES, STATUS_NAMES, STEADY_ROWS
from simsrc.sweep.results import UNITS, unit_of

#: unit as the tables write it -> unit as an axis shows it
UNIT_WORDS = {"deg": "°", "degrees": "°", "degrees/s": "°/s", "BW": "body weights",
              "m/s2": "m/s²", "N s": "N·s", "N s/m": "N·s/m"}

#: name suffixes that are units but not in ``UNITS`` (the config's less common keys)
_EXTRA_SUFFIXES = ("_deg_per_s", "_n_m_per_rad", "_kg_m2", "_m_per_s2")
_SUFFIXES = tuple(s for s, _ in UNITS) + _EXTRA_SUFFIXES

#: prefixes of dataset variables that keep the metric's words (``mean_speed_m_per_s`` is a speed)
_SAME_WORDS = ("mean_", "step_")


def words_of(name: str) -> str:
    """The name without its unit suffix, in words: ``leg_stiffness_kn_per_m`` -> leg stiffness."""
    suffix = max((s for s in _SUFFIXES if name.endswith(s) and len(s) < len(name)), key=len,
                 default="")
    return name[: len(name) - len(suffix)].replace("_", " ")


def _table() -> dict[str, tuple[str, str]]:
    """name -> (words, unit) from the schema and the steady gait's rows."""
    table = {k.name: (words_of(k.name), k.unit) for k in KEYS if k.kind in ("number", "integer")}
    table.update({metric: (words, unit) for metric, words, unit, _ in STEADY_ROWS})
    return table


TABLE: dict[str, tuple[str, str]] = _table()


def _words_and_unit(name: str) -> tuple[str, str] | None:
    """(words, unit as shown) of a name, or None when no table knows it and it has no unit."""
    for prefix in _SAME_WORDS:
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix):]
    if name in TABLE:
        words, unit = TABLE[name]
    elif name.startswith("steady_") and name[len("steady_"):] in TABLE:
        words, unit = TABLE[name[len("steady_"):]]
        words = "steady " + words
    else:
        unit = unit_of(name)
        if unit == "1":
            return None
        words = words_of(name)
    return words, UNIT_WORDS.get(unit, unit)


def label(name: str) -> str:
    """Axis label with unit: ``leg_stiffness_kn_per_m`` -> "leg stiffness (kN/m)",
    ``mean_speed_m_per_s`` -> "speed (m/s)"; a dimensionless known name is its words; an unknown
    name is itself."""
    found = _words_and_unit(name)
    if found is None:
        return name
    words, unit = found
    return f"{words} ({unit})" if unit else words


def value_text(name: str, value) -> str:
    """``name = value`` in words and unit: ``lean_deg``, 5.0 -> "lean = 5°"."""
    v = f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
    found = _words_and_unit(name)
    if found is None:
        return f"{name} = {v}"
    words, unit = found
    sep = "" if unit.startswith("°") or not unit else " "
    return f"{words} = {v}{sep}{unit}"


def status_words(code: int, steady: bool) -> str:
    """A run status in words: 0 is "steady" (a steady-gait sweep) or "every step completed";
    a no-gait reason drops its prefix (``no_gait_slows`` -> "slows")."""
    code = int(code)
    if code == 0:
        return "steady" if steady else "every step completed"
    name = STATUS_NAMES.get(code, f"unknown({code})")
    if code in NO_GAIT_NAMES:
        name = name[len("no_gait_"):]
    return name.replace("_", " ")
