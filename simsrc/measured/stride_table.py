"""Reader for a user's own stride measurements in a small CSV file.

Format: comma-separated, first line a header naming the columns (any order), one row per
stride/step condition. Required columns: ``speed_m_per_s`` (m/s), ``contact_time_s`` (s),
``flight_time_s`` (s). Optional columns: ``step_length_m`` (m), ``peak_force_n`` (N),
``mass_kg`` (kg), ``leg_length_m`` (m). Every value must be a number > 0 within what a running
stride can have (``PHYSICAL_RANGES``); in an optional column a cell may be left empty (read as
NaN). Blank lines are ignored.

Example::

    speed_m_per_s,contact_time_s,flight_time_s,mass_kg
    2.5,0.28,0.10,62
    3.5,0.22,0.12,62
"""

from __future__ import annotations

import csv
import dataclasses
import os

import numpy as np

from simsrc.errors import SimsrcInputError, shown_cell

REQUIRED_COLUMNS: tuple[str, ...] = ("speed_m_per_s", "contact_time_s", "flight_time_s")
OPTIONAL_COLUMNS: tuple[str, ...] = ("step_length_m", "peak_force_n", "mass_kg", "leg_length_m")
ALLOWED_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: What a human running stride can have, per column: (low, high, unit, why). A value outside is
#: refused, not fitted (a fit to 1 ms contacts reported "converged" with an uncertainty ten
#: times the value). Limits are generous on purpose: the fastest human sprint is 12.4 m/s
#: (Bolt, Berlin 2009); elite sprinters' contacts are about 0.08-0.1 s (Weyand et al. 2000, J Appl
#: Physiol 89:1991) and a slow jog's about 0.35 s; a flight of 0.5 s would lift the body 0.31 m,
#: three times a runner's vertical excursion; step lengths reach about 2.7 m in a sprint.
PHYSICAL_RANGES: dict[str, tuple[float, float, str, str]] = {
    "speed_m_per_s": (0.5, 13.0, "m/s", "a running speed (the fastest human sprint is 12.4 m/s)"),
    "contact_time_s": (0.05, 1.0, "s", "a running contact (sprinters about 0.08 s)"),
    "flight_time_s": (0.001, 0.5, "s", "a running flight (0.5 s would lift the body 0.31 m)"),
    "step_length_m": (0.2, 3.5, "m", "a running step"),
    "peak_force_n": (100.0, 10000.0, "N", "a running step's peak ground force"),
    "mass_kg": (20.0, 250.0, "kg", "a runner's body mass"),
    "leg_length_m": (0.4, 1.4, "m", "a runner's leg length"),
}


@dataclasses.dataclass(frozen=True, eq=False)
class StrideTable:
    """Stride measurements, one entry per CSV row (SI units).

    Attributes:
        speed_m_per_s: running speed in m/s.
        contact_time_s: ground contact time in s.
        flight_time_s: flight time in s.
        step_length_m, peak_force_n, mass_kg, leg_length_m: the optional columns (m, N, kg,
            m), None when the column is absent, NaN for an empty cell.
        source: path of the file.
    """

    speed_m_per_s: np.ndarray
    contact_time_s: np.ndarray
    flight_time_s: np.ndarray
    step_length_m: np.ndarray | None
    peak_force_n: np.ndarray | None
    mass_kg: np.ndarray | None
    leg_length_m: np.ndarray | None
    source: str

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.speed_m_per_s.shape[0])


def read_stride_table(path: str | os.PathLike) -> StrideTable:
    """Read a stride CSV file (see the module docstring for the format).

    Raises :class:`SimsrcInputError` naming the file and, as applicable, the row, column and
    value, with what is allowed: for an unreadable or empty file, an unknown, duplicate or
    missing required column, a row with the wrong number of cells, or a value that is empty
    (required column), not a number, not finite or not > 0.
    """
    where = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SimsrcInputError(f"{where}: cannot read stride table CSV: {exc}") from exc
    numbered = [(i, row) for i, row in enumerate(lines, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise SimsrcInputError(
            f"{where}: empty file; expected a header line with the columns "
            f"{list(REQUIRED_COLUMNS)} (optional: {list(OPTIONAL_COLUMNS)})"
        )
    header_line, header_cells = numbered[0]
    header = [cell.strip() for cell in header_cells]
    seen: set[str] = set()
    for name in header:
        if name not in ALLOWED_COLUMNS:
            raise SimsrcInputError(
                f"{where}: line {header_line}: unknown column {shown_cell(name)}; allowed columns: "
                f"{list(ALLOWED_COLUMNS)} (required: {list(REQUIRED_COLUMNS)})"
            )
        if name in seen:
            raise SimsrcInputError(
                f"{where}: line {header_line}: column {shown_cell(name)} appears twice; "
                "each column is allowed once"
            )
        seen.add(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise SimsrcInputError(
            f"{where}: line {header_line}: missing required column(s) {missing}; the header "
            f"must contain {list(REQUIRED_COLUMNS)} (optional: {list(OPTIONAL_COLUMNS)})"
        )
    data_rows = numbered[1:]
    if not data_rows:
        raise SimsrcInputError(f"{where}: no data rows after the header; expected at least one")

    values = {name: np.empty(len(data_rows), dtype=np.float64) for name in header}
    for k, (line_no, cells) in enumerate(data_rows):
        if len(cells) != len(header):
            raise SimsrcInputError(
                f"{where}: row {k + 1} (line {line_no}): {len(cells)} cells; "
                f"expected {len(header)} ({', '.join(header)})"
            )
        for name, cell in zip(header, cells):
            text = cell.strip()
            if not text and name in OPTIONAL_COLUMNS:
                values[name][k] = np.nan
                continue
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if not (np.isfinite(number) and number > 0.0):
                raise SimsrcInputError(
                    f"{where}: row {k + 1} (line {line_no}), column {name!r}: value {shown_cell(cell)} "
                    "is not allowed; expected a finite number > 0"
                    + ("" if name in REQUIRED_COLUMNS else " or an empty cell")
                )
            low, high, unit, what = PHYSICAL_RANGES[name]
            if not low <= number <= high:
                raise SimsrcInputError(
                    f"{where}: row {k + 1} (line {line_no}), column {name!r}: value {number:g} "
                    f"{unit} is not {what}; allowed: {low:g} to {high:g} {unit}")
            values[name][k] = number
    for array in values.values():
        array.setflags(write=False)
    return StrideTable(
        speed_m_per_s=values["speed_m_per_s"],
        contact_time_s=values["contact_time_s"],
        flight_time_s=values["flight_time_s"],
        step_length_m=values.get("step_length_m"),
        peak_force_n=values.get("peak_force_n"),
        mass_kg=values.get("mass_kg"),
        leg_length_m=values.get("leg_length_m"),
        source=where,
    )
