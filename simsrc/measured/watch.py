"""Reader for running-watch recordings in the Garmin FIT format (via ``fitdecode``).

One array entry per FIT ``record`` message (usually one per second; "smart recording"
devices write them at irregular intervals, so use ``time_s``). Values are converted to SI
units; a field a record lacks is NaN. Running-dynamics fields a device writes as 0 while it
has no reading (stance time, vertical oscillation, step length, vertical ratio, leg spring
stiffness) are also NaN, since 0 is not a physical value for them.

FIT ``cadence`` counts strides (cycles of one foot) per minute; ``fitdecode`` already applies
the profile scale to ``fractional_cadence`` (raw / 128), so
steps/min = 2 * (cadence + fractional_cadence).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import pathlib

import numpy as np

from simsrc.errors import SimsrcInputError

#: Name of the Stryd developer field for leg spring stiffness (kN/m in the file).
LEG_SPRING_STIFFNESS_FIELD = "Leg Spring Stiffness"

# FIT field name -> (allowed units as written by fitdecode, lower-case; factor to SI).
_RECORD_FIELDS: dict[str, tuple[tuple[str | None, ...], float]] = {
    "enhanced_speed": (("m/s", None), 1.0),
    "speed": (("m/s", None), 1.0),
    "distance": (("m", None), 1.0),
    "stance_time": (("ms", None), 1.0e-3),
    "vertical_oscillation": (("mm", None), 1.0e-3),
    "cadence": (("rpm", "strides/min", None), 1.0),
    "fractional_cadence": (("rpm", "strides/min", None), 1.0),
    "step_length": (("mm", None), 1.0e-3),
    "vertical_ratio": (("percent", "%", None), 1.0),
    "power": (("watts", "w", None), 1.0),
    "heart_rate": (("bpm", None), 1.0),
    LEG_SPRING_STIFFNESS_FIELD: (("kn/m", None), 1.0e3),
}
# Fields for which a stored 0 means "no reading".
_ZERO_IS_MISSING = (
    "stance_time",
    "vertical_oscillation",
    "step_length",
    "vertical_ratio",
    LEG_SPRING_STIFFNESS_FIELD,
)


@dataclasses.dataclass(frozen=True, eq=False)
class WatchRecording:
    """Per-record running metrics from a FIT file, in SI units (NaN where missing).

    Attributes:
        time_s: time since the first record, in s.
        speed_m_per_s: speed (``enhanced_speed``, else ``speed``), in m/s.
        distance_m: cumulative distance (standard ``distance`` field), in m.
        ground_contact_time_s: ``stance_time``, in s.
        vertical_oscillation_m: ``vertical_oscillation``, in m.
        cadence_steps_per_min: 2 * (``cadence`` + ``fractional_cadence``), steps per minute.
        step_length_m: ``step_length``, in m (all NaN when the device does not write it).
        vertical_ratio_percent: ``vertical_ratio`` (vertical oscillation / step length), in %.
        power_w: ``power``, in W.
        heart_rate_bpm: ``heart_rate``, in beats per minute.
        leg_spring_stiffness_n_per_m: developer field ``Leg Spring Stiffness`` (Stryd), in N/m.
        body_mass_kg: ``user_profile`` weight in kg, or None when the file does not state it.
        body_height_m: ``user_profile`` height in m, or None.
        fields_present: names of the FIT record fields above with at least one value.
        source: path of the file.
    """

    time_s: np.ndarray
    speed_m_per_s: np.ndarray
    distance_m: np.ndarray
    ground_contact_time_s: np.ndarray
    vertical_oscillation_m: np.ndarray
    cadence_steps_per_min: np.ndarray
    step_length_m: np.ndarray
    vertical_ratio_percent: np.ndarray
    power_w: np.ndarray
    heart_rate_bpm: np.ndarray
    leg_spring_stiffness_n_per_m: np.ndarray
    body_mass_kg: float | None
    body_height_m: float | None
    fields_present: tuple[str, ...]
    source: str

    @property
    def n_samples(self) -> int:
        """Number of records."""
        return int(self.time_s.shape[0])


def _number(value) -> float:
    if value is None or isinstance(value, (str, bytes, bool)):
        return float("nan")
    if isinstance(value, (tuple, list)):  # array fields: take the first element
        return _number(value[0]) if value else float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _decode(path: str | os.PathLike, where: str):
    """Return (record dicts, units seen per field, user_profile dict) from a FIT file."""
    try:
        import fitdecode
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise SimsrcInputError(
            f"{where}: reading FIT files needs the 'fitdecode' package (pip install fitdecode)"
        ) from exc
    records: list[dict[str, object]] = []
    units: dict[str, str | None] = {}
    profile: dict[str, object] = {}
    wanted = set(_RECORD_FIELDS) | {"timestamp"}
    try:
        with fitdecode.FitReader(
            str(path), check_crc=fitdecode.CrcCheck.RAISE
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    row = {}
                    for field in frame.fields:
                        if field.name in wanted and field.value is not None:
                            row[field.name] = field.value
                            units.setdefault(field.name, field.units)
                    records.append(row)
                elif frame.name == "user_profile":
                    for field in frame.fields:
                        if field.name in ("weight", "height") and field.value is not None:
                            profile[field.name] = (field.value, field.units)
    except Exception as exc:  # fitdecode raises FitHeaderError/FitEOFError/FitCRCError/...
        raise SimsrcInputError(
            f"{where}: not a readable FIT file ({type(exc).__name__}: {exc}); "
            "expected a complete Garmin FIT activity file"
        ) from exc
    return records, units, profile


def read_fit(path: str | os.PathLike) -> WatchRecording:
    """Read the running metrics of a FIT activity file (one entry per ``record`` message).

    See :class:`WatchRecording` for the fields and units. The standard ``distance`` and
    ``enhanced_speed``/``speed`` fields are used (not developer Distance/Speed fields, which
    are mis-scaled in some Stryd files). Body mass and height come from ``user_profile``.

    Raises :class:`SimsrcInputError` naming the file for a missing, garbage, truncated or
    CRC-failing file, a file without ``record`` messages or timestamps, or a field whose unit
    is not the one expected.
    """
    where = str(path)
    if not pathlib.Path(path).is_file():
        raise SimsrcInputError(f"{where}: FIT file not found")
    if pathlib.Path(path).stat().st_size == 0:
        raise SimsrcInputError(f"{where}: empty file; expected a Garmin FIT activity file")
    records, units, profile = _decode(path, where)
    if not records:
        raise SimsrcInputError(
            f"{where}: no 'record' messages; expected a FIT activity file with per-second records"
        )
    for name, unit in units.items():
        if name == "timestamp":
            continue
        allowed = _RECORD_FIELDS[name][0]
        if (unit.lower() if isinstance(unit, str) else unit) not in allowed:
            raise SimsrcInputError(
                f"{where}: record field {name!r} has unit {unit!r}; allowed units: "
                f"{[u for u in allowed if u is not None]}"
            )

    stamps = []
    for i, row in enumerate(records):
        stamp = row.get("timestamp")
        if not isinstance(stamp, datetime.datetime):
            raise SimsrcInputError(
                f"{where}: record {i}: timestamp {stamp!r} is not allowed; "
                "expected a date-time in every record"
            )
        stamps.append(stamp.timestamp())
    time_s = np.asarray(stamps, dtype=np.float64) - stamps[0]

    def column(name: str) -> np.ndarray:
        factor = _RECORD_FIELDS[name][1]
        values = np.array([_number(row.get(name)) for row in records], dtype=np.float64)
        if name in _ZERO_IS_MISSING:
            values[values == 0.0] = np.nan
        return values * factor

    speed = column("enhanced_speed")
    plain_speed = column("speed")
    speed = np.where(np.isnan(speed), plain_speed, speed)
    cadence = column("cadence")
    fractional = column("fractional_cadence")
    steps_per_min = 2.0 * (cadence + np.where(np.isnan(fractional), 0.0, fractional))

    def profile_value(key: str, unit: str, low: float, high: float) -> float | None:
        if key not in profile:
            return None
        value, found_unit = profile[key]
        number = _number(value)
        if found_unit not in (unit, None) or not (low <= number <= high):
            raise SimsrcInputError(
                f"{where}: user_profile {key} = {value!r} {found_unit or ''} is not allowed; "
                f"expected {low:g}..{high:g} {unit}"
            )
        return number

    body_mass_kg = profile_value("weight", "kg", 1.0, 500.0)
    body_height_m = profile_value("height", "m", 0.3, 3.0)

    arrays = {
        "time_s": time_s,
        "speed_m_per_s": speed,
        "distance_m": column("distance"),
        "ground_contact_time_s": column("stance_time"),
        "vertical_oscillation_m": column("vertical_oscillation"),
        "cadence_steps_per_min": steps_per_min,
        "step_length_m": column("step_length"),
        "vertical_ratio_percent": column("vertical_ratio"),
        "power_w": column("power"),
        "heart_rate_bpm": column("heart_rate"),
        "leg_spring_stiffness_n_per_m": column(LEG_SPRING_STIFFNESS_FIELD),
    }
    for values in arrays.values():
        values.setflags(write=False)
    present = tuple(
        name
        for name in _RECORD_FIELDS
        if any(row.get(name) is not None for row in records)
    )
    return WatchRecording(
        **arrays,
        body_mass_kg=body_mass_kg,
        body_height_m=body_height_m,
        fields_present=present,
        source=where,
    )
