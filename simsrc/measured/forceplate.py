"""Readers for measured ground-reaction-force recordings (instrumented treadmill).

Two formats of the Fukuchi et al. (2017) running dataset are supported:

* :func:`read_force_text`: tab-separated text, header ``Time Fx Fy Fz COPx COPy COPz Ty``,
  ``Time`` is the 1-based sample index, forces in N, **Fy vertical** (up positive),
  **Fx antero-posterior** (+X is the running direction, braking negative).
* :func:`read_force_c3d`: C3D files read with ``ezc3d`` (``extract_forceplat_data=True``);
  the force-platform forces in the laboratory frame have the same axes (vertical = Y,
  antero-posterior = X).

Both return a :class:`ForceRecording` with the vertical and antero-posterior force on the
runner in newtons (SI units throughout).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import struct

import numpy as np

from simsrc.errors import SimsrcInputError, shown_cell

#: Expected header of the Fukuchi force text files.
TEXT_COLUMNS: tuple[str, ...] = ("Time", "Fx", "Fy", "Fz", "COPx", "COPy", "COPz", "Ty")


@dataclasses.dataclass(frozen=True, eq=False)
class ForceRecording:
    """A ground-reaction-force time series on the runner.

    Attributes:
        time_s: sample times in s, starting at 0.
        vertical_n: vertical force in N, up positive.
        horizontal_n: antero-posterior force in N, forward (running direction) positive,
            so braking is negative.
        sample_rate_hz: sampling rate in Hz.
        source: path of the file the data came from.
    """

    time_s: np.ndarray
    vertical_n: np.ndarray
    horizontal_n: np.ndarray
    sample_rate_hz: float
    source: str

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.vertical_n.shape[0])

    @property
    def duration_s(self) -> float:
        """Duration covered by the samples, n_samples / sample_rate_hz, in s."""
        return self.n_samples / self.sample_rate_hz


def _check_sample_rate(sample_rate_hz: float, where: str) -> float:
    try:
        rate = float(sample_rate_hz)
    except (TypeError, ValueError):
        rate = float("nan")
    if not np.isfinite(rate) or rate <= 0.0:
        raise SimsrcInputError(
            f"{where}: sample_rate_hz={sample_rate_hz!r} is not allowed; "
            "it must be a finite number > 0 (Hz)"
        )
    return rate


def _make_recording(vertical_n, horizontal_n, sample_rate_hz: float, source: str) -> ForceRecording:
    vertical = np.ascontiguousarray(vertical_n, dtype=np.float64)
    horizontal = np.ascontiguousarray(horizontal_n, dtype=np.float64)
    time_s = np.arange(vertical.shape[0], dtype=np.float64) / sample_rate_hz
    for arr in (time_s, vertical, horizontal):
        arr.setflags(write=False)
    return ForceRecording(time_s, vertical, horizontal, float(sample_rate_hz), source)


def read_force_text(path: str | os.PathLike, *, sample_rate_hz: float = 300.0) -> ForceRecording:
    """Read a Fukuchi tab-separated force file (e.g. ``RBDS001runT25forces.txt``).

    The header must be ``Time Fx Fy Fz COPx COPy COPz Ty`` (tab-separated); ``Time`` is the
    sample index 1, 2, 3, ... so the time is ``(Time - 1) / sample_rate_hz`` in s.
    Vertical force = ``Fy`` (N), antero-posterior force = ``Fx`` (N, +X forward).

    Raises :class:`SimsrcInputError` naming the file, line and column for a missing or wrong
    header, a short (truncated) row, a non-numeric or non-finite value, a gap in the sample
    index, or fewer than two samples.
    """
    where = str(path)
    rate = _check_sample_rate(sample_rate_hz, f"read_force_text({where})")
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SimsrcInputError(f"{where}: cannot read force text file: {exc}") from exc
    if not lines:
        raise SimsrcInputError(
            f"{where}: empty file; expected a tab-separated header {' '.join(TEXT_COLUMNS)}"
        )
    header = [name.strip() for name in lines[0].split("\t")]
    if tuple(header) != TEXT_COLUMNS:   # the line is not echoed: it may be any file's first line
        raise SimsrcInputError(
            f"{where}: line 1 is not the header of a force text file ({len(header)} "
            f"tab-separated cells); expected the tab-separated columns {list(TEXT_COLUMNS)}"
        )
    n_cols = len(TEXT_COLUMNS)
    rows: list[list[float]] = []
    for line_no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != n_cols:
            raise SimsrcInputError(
                f"{where}: line {line_no}: {len(cells)} tab-separated values; "
                f"expected {n_cols} ({' '.join(TEXT_COLUMNS)}); the file may be truncated"
            )
        row = []
        for col, cell in zip(TEXT_COLUMNS, cells):
            try:
                value = float(cell)
            except ValueError:
                value = float("nan")
            if not np.isfinite(value):
                raise SimsrcInputError(
                    f"{where}: line {line_no}, column {col}: value {shown_cell(cell)} is not "
                    "allowed; "
                    "expected a finite number"
                )
            row.append(value)
        rows.append(row)
    if len(rows) < 2:
        raise SimsrcInputError(
            f"{where}: {len(rows)} data rows; at least 2 samples are required"
        )
    data = np.asarray(rows, dtype=np.float64)
    index = data[:, 0]
    expected = index[0] + np.arange(index.shape[0])
    bad = np.flatnonzero(index != expected)
    if bad.size:
        i = int(bad[0])
        raise SimsrcInputError(
            f"{where}: line {i + 2}, column Time: sample index {index[i]:g} is not allowed; "
            f"expected {expected[i]:g} (consecutive sample indices, no gaps)"
        )
    return _make_recording(data[:, 2], data[:, 1], rate, where)


def _c3d_header_frame_count(path: str | os.PathLike) -> int | None:
    """Number of 3D frames stated in the C3D file header, or None when it cannot be told.

    ezc3d silently shortens the data of a truncated file, so this is compared with what it
    read. The header word 4/5 hold the first/last frame (16-bit, 1-based); the byte order is
    given by the processor type in the parameter section (84 Intel, 85 DEC: little-endian,
    86 MIPS: big-endian).
    """
    with open(path, "rb") as handle:
        header = handle.read(512)
        if len(header) < 10 or header[1] != 0x50 or header[0] < 2:
            return None
        handle.seek((header[0] - 1) * 512)
        param_header = handle.read(4)
    if len(param_header) < 4:
        return None
    processor = param_header[3]
    if processor in (84, 85):
        order = "<"
    elif processor == 86:
        order = ">"
    else:
        return None
    first, last = struct.unpack(order + "2H", header[6:10])
    if last == 0xFFFF or last < first:  # large files store the count elsewhere
        return None
    return last - first + 1


def read_force_c3d(path: str | os.PathLike) -> ForceRecording:
    """Read the force-platform forces of a C3D file with ``ezc3d``.

    Uses ``ezc3d.c3d(path, extract_forceplat_data=True)``: the platform forces in N in the
    laboratory frame, at the analog rate. Vertical force = lab Y (up positive),
    antero-posterior = lab X (+X the running direction), as in the Fukuchi files. When the
    file has several platforms (e.g. a split-belt treadmill) their forces are summed.

    Raises :class:`SimsrcInputError` naming the file when ezc3d cannot read it (garbage,
    truncated header or parameters), when the data section is shorter than the header says
    (truncated file), when it has no force platform, or when the force unit is not N.
    """
    where = str(path)
    if not pathlib.Path(path).is_file():
        raise SimsrcInputError(f"{where}: C3D file not found")
    try:
        import ezc3d
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise SimsrcInputError(
            f"{where}: reading C3D files needs the 'ezc3d' package (pip install ezc3d)"
        ) from exc
    try:
        c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
    except Exception as exc:  # ezc3d raises OSError/RuntimeError/ValueError on bad files
        raise SimsrcInputError(f"{where}: not a readable C3D file: {exc}") from exc

    try:
        n_frames_header = _c3d_header_frame_count(path)
    except OSError as exc:
        raise SimsrcInputError(f"{where}: cannot read C3D header: {exc}") from exc
    n_frames_read = int(c3d["header"]["points"]["last_frame"]) - int(
        c3d["header"]["points"]["first_frame"]
    ) + 1
    if n_frames_header is not None and n_frames_read != n_frames_header:
        raise SimsrcInputError(
            f"{where}: truncated C3D file: the header states {n_frames_header} frames but only "
            f"{n_frames_read} could be read; expected a complete file"
        )

    platforms = c3d["data"].get("platform", [])
    if not platforms:
        raise SimsrcInputError(
            f"{where}: no force platform in the C3D file (FORCE_PLATFORM parameters missing); "
            "expected at least one"
        )
    rate = _check_sample_rate(c3d["header"]["analogs"]["frame_rate"], f"{where}: analog rate")
    total = None
    for number, platform in enumerate(platforms, start=1):
        unit = str(platform.get("unit_force", "N")).strip()
        if unit != "N":
            raise SimsrcInputError(
                f"{where}: force platform {number}: force unit {unit!r} is not allowed; "
                "expected 'N'"
            )
        force = np.asarray(platform["force"], dtype=np.float64)
        total = force if total is None else total + force
    if total.ndim != 2 or total.shape[0] != 3 or total.shape[1] < 2:
        raise SimsrcInputError(
            f"{where}: force platform data of shape {total.shape}; expected 3 x (at least 2)"
        )
    if not np.all(np.isfinite(total[:2])):
        raise SimsrcInputError(f"{where}: force platform data contain NaN or infinite values")
    return _make_recording(total[1], total[0], rate, where)
