"""Step detection on a force-plate recording and per-step summary values.

A *contact* is a maximal run of samples whose (optionally low-pass filtered) vertical force is
above ``off_threshold_n`` and that reaches ``on_threshold_n`` somewhere: a threshold with
hysteresis whose contact is extended back to where the force first rose above the lower
threshold, so touchdown and toe-off are both taken at ``off_threshold_n``. Flights shorter
than ``min_flight_s`` are bridged (noise dips), then contacts shorter than ``min_contact_s``
are dropped (noise spikes). A *step* is one contact plus the flight after it, up to the next
touchdown; partial steps at the edges of the recording are dropped.

Detection and the peak force use the filtered force; impulses and stance averages use the
unfiltered force (the filter has zero phase, so the two agree on timing).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from simsrc.errors import SimsrcInputError
from simsrc.measured.forceplate import ForceRecording


@dataclasses.dataclass(frozen=True, eq=False)
class StepTable:
    """Per-step values, one entry per complete step (contact + following flight).

    Attributes:
        contact_time_s: stance duration in s (touchdown to toe-off).
        flight_time_s: flight duration after that contact, in s (toe-off to next touchdown).
        peak_vertical_n: peak (filtered) vertical force during stance, in N.
        mean_vertical_n: average vertical force over stance, in N.
        vertical_impulse_n_s: integral of the vertical force over stance, in N*s.
        braking_impulse_n_s: integral of the negative part of the antero-posterior force
            over stance, in N*s (a negative number or 0).
        propulsive_impulse_n_s: integral of the positive part of the antero-posterior force
            over stance, in N*s (a positive number or 0).
        start_index: sample index of touchdown (first stance sample).
        toe_off_index: sample index of toe-off (first flight sample after stance).
        end_index: sample index of the next touchdown (end of the step, exclusive).
        sample_rate_hz: sampling rate of the recording, in Hz.
    """

    contact_time_s: np.ndarray
    flight_time_s: np.ndarray
    peak_vertical_n: np.ndarray
    mean_vertical_n: np.ndarray
    vertical_impulse_n_s: np.ndarray
    braking_impulse_n_s: np.ndarray
    propulsive_impulse_n_s: np.ndarray
    start_index: np.ndarray
    toe_off_index: np.ndarray
    end_index: np.ndarray
    sample_rate_hz: float

    @property
    def n_steps(self) -> int:
        """Number of complete steps."""
        return int(self.contact_time_s.shape[0])

    @property
    def step_time_s(self) -> np.ndarray:
        """Step duration (contact + flight) in s."""
        return self.contact_time_s + self.flight_time_s

    @property
    def step_mean_vertical_n(self) -> np.ndarray:
        """Vertical impulse divided by the step duration, in N (about body weight when steady)."""
        return self.vertical_impulse_n_s / self.step_time_s

    @property
    def duty_factor(self) -> np.ndarray:
        """Contact time / step time (dimensionless)."""
        return self.contact_time_s / self.step_time_s


@dataclasses.dataclass(frozen=True, eq=False)
class StanceCurve:
    """Time-normalised stance force curve averaged over steps.

    Attributes:
        stance_fraction: normalised time, 0 at touchdown to 1 at the last stance sample.
        vertical_mean_n, vertical_std_n: mean and standard deviation over steps of the
            vertical force, in N.
        horizontal_mean_n, horizontal_std_n: the same for the antero-posterior force
            (forward positive), in N.
        n_steps: number of steps averaged.
        mean_contact_time_s: mean contact time of those steps, in s.
    """

    stance_fraction: np.ndarray
    vertical_mean_n: np.ndarray
    vertical_std_n: np.ndarray
    horizontal_mean_n: np.ndarray
    horizontal_std_n: np.ndarray
    n_steps: int
    mean_contact_time_s: float


def _lowpass(signal: np.ndarray, cutoff_hz: float, sample_rate_hz: float) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth low-pass (applied forward and backward)."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, cutoff_hz, btype="low", fs=sample_rate_hz, output="sos")
    return sosfiltfilt(sos, signal)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) indices of the runs of True in ``mask``."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.diff(padded)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    ok = np.isfinite(number) and (number >= 0.0 if allow_zero else number > 0.0)
    if not ok:
        allowed = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise SimsrcInputError(f"detect_steps: {name}={value!r} is not allowed; expected {allowed}")
    return number


def contact_intervals(
    recording: ForceRecording,
    *,
    on_threshold_n: float = 60.0,
    off_threshold_n: float = 35.0,
    lowpass_hz: float | None = 50.0,
    min_contact_s: float = 0.08,
    min_flight_s: float = 0.02,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find ground contacts: (touchdown indices, toe-off indices, filtered vertical force in N).

    Toe-off indices are exclusive (first flight sample). Contacts touching the first or last
    sample are included here; :func:`detect_steps` drops them. See the module docstring for
    the method and the parameters' meaning (thresholds in N, durations in s, cut-off in Hz).
    """
    rate = recording.sample_rate_hz
    on_n = _check_positive("on_threshold_n", on_threshold_n)
    off_n = _check_positive("off_threshold_n", off_threshold_n)
    if off_n > on_n:
        raise SimsrcInputError(
            f"detect_steps: off_threshold_n={off_threshold_n!r} is not allowed; "
            f"expected off_threshold_n <= on_threshold_n ({on_threshold_n!r})"
        )
    min_contact = _check_positive("min_contact_s", min_contact_s, allow_zero=True)
    min_flight = _check_positive("min_flight_s", min_flight_s, allow_zero=True)
    vertical = np.asarray(recording.vertical_n, dtype=np.float64)
    if lowpass_hz is not None:
        cutoff = _check_positive("lowpass_hz", lowpass_hz)
        if cutoff >= 0.5 * rate:
            raise SimsrcInputError(
                f"detect_steps: lowpass_hz={lowpass_hz!r} is not allowed; expected below the "
                f"Nyquist frequency {0.5 * rate:g} Hz of {recording.source}, or None"
            )
        if vertical.shape[0] > 12:
            vertical = _lowpass(vertical, cutoff, rate)

    starts, ends = _runs(vertical > off_n)
    # Keep only runs that reach the upper threshold (hysteresis).
    if starts.size:
        reached = np.maximum.reduceat(vertical, starts) >= on_n
        # reduceat over [start_i, start_{i+1}) also covers the gap after run i, where the
        # force is <= off_n < on_n, so the maximum is that of the run itself.
        starts, ends = starts[reached], ends[reached]
    # Bridge short flights.
    if starts.size > 1 and min_flight > 0.0:
        gap = (starts[1:] - ends[:-1]) / rate
        keep_break = gap >= min_flight
        starts = starts[np.concatenate(([True], keep_break))]
        ends = ends[np.concatenate((keep_break, [True]))]
    # Drop short contacts.
    if starts.size and min_contact > 0.0:
        long_enough = (ends - starts) / rate >= min_contact
        starts, ends = starts[long_enough], ends[long_enough]
    return starts, ends, vertical


def detect_steps(
    recording: ForceRecording,
    *,
    on_threshold_n: float = 60.0,
    off_threshold_n: float = 35.0,
    lowpass_hz: float | None = 50.0,
    min_contact_s: float = 0.08,
    min_flight_s: float = 0.02,
) -> StepTable:
    """Detect complete steps in a force recording and summarise each one.

    Args:
        recording: the force recording (vertical and antero-posterior force in N).
        on_threshold_n: a contact must reach this vertical force, in N.
        off_threshold_n: touchdown/toe-off level, in N (below ``on_threshold_n``).
        lowpass_hz: cut-off of the zero-phase low-pass filter used for detection and peak
            force, in Hz; None for no filter.
        min_contact_s: shorter contacts are dropped as noise, in s.
        min_flight_s: shorter flights are bridged (treated as part of the contact), in s.

    Returns:
        A :class:`StepTable`; the first contact (it may have started before the recording)
        and the last (its flight is not complete) are not steps. It has zero entries when
        fewer than three contacts are found (e.g. walking, where the force never drops).
    """
    starts, ends, filtered = contact_intervals(
        recording,
        on_threshold_n=on_threshold_n,
        off_threshold_n=off_threshold_n,
        lowpass_hz=lowpass_hz,
        min_contact_s=min_contact_s,
        min_flight_s=min_flight_s,
    )
    n = recording.n_samples
    # A contact is complete when it starts after the first sample and ends before the last;
    # a step also needs the next touchdown.
    complete = (starts > 0) & (ends < n)
    step_start, step_toe_off, step_end = [], [], []
    for i in range(starts.size - 1):
        if complete[i]:
            step_start.append(starts[i])
            step_toe_off.append(ends[i])
            step_end.append(starts[i + 1])
    start_index = np.asarray(step_start, dtype=np.int64)
    toe_off_index = np.asarray(step_toe_off, dtype=np.int64)
    end_index = np.asarray(step_end, dtype=np.int64)

    rate = recording.sample_rate_hz
    dt = 1.0 / rate
    vertical = np.asarray(recording.vertical_n, dtype=np.float64)
    horizontal = np.asarray(recording.horizontal_n, dtype=np.float64)
    peak, mean, impulse, braking, propulsive = [], [], [], [], []
    for a, b in zip(start_index, toe_off_index):
        v = vertical[a:b]
        h = horizontal[a:b]
        peak.append(filtered[a:b].max())
        mean.append(v.mean())
        impulse.append(v.sum() * dt)
        braking.append(np.minimum(h, 0.0).sum() * dt)
        propulsive.append(np.maximum(h, 0.0).sum() * dt)

    def arr(values) -> np.ndarray:
        out = np.asarray(values, dtype=np.float64)
        out.setflags(write=False)
        return out

    for index_array in (start_index, toe_off_index, end_index):
        index_array.setflags(write=False)
    return StepTable(
        contact_time_s=arr((toe_off_index - start_index) * dt),
        flight_time_s=arr((end_index - toe_off_index) * dt),
        peak_vertical_n=arr(peak),
        mean_vertical_n=arr(mean),
        vertical_impulse_n_s=arr(impulse),
        braking_impulse_n_s=arr(braking),
        propulsive_impulse_n_s=arr(propulsive),
        start_index=start_index,
        toe_off_index=toe_off_index,
        end_index=end_index,
        sample_rate_hz=float(rate),
    )


def mean_stance_curve(
    recording: ForceRecording, steps: StepTable, n_samples: int = 101
) -> StanceCurve:
    """Average the stance-phase forces over steps on a normalised time axis.

    Each stance (samples ``start_index`` to ``toe_off_index - 1``) is linearly resampled to
    ``n_samples`` points from 0 (touchdown) to 1 (last stance sample); the unfiltered vertical
    and antero-posterior forces (N) are then averaged, with their standard deviation
    (population, ddof=0) across steps.

    Raises :class:`SimsrcInputError` when ``n_samples`` < 2 or there are no steps.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise SimsrcInputError(
            f"mean_stance_curve: n_samples={n_samples!r} is not allowed; expected an integer >= 2"
        )
    if steps.n_steps == 0:
        raise SimsrcInputError(
            f"mean_stance_curve: no complete steps in {recording.source}; "
            "expected at least one (is this a running recording with flight phases?)"
        )
    if int(steps.end_index.max()) > recording.n_samples:
        raise SimsrcInputError(
            f"mean_stance_curve: the step table has indices up to {int(steps.end_index.max())} "
            f"but {recording.source} has {recording.n_samples} samples; "
            "expected a step table detected on this recording"
        )
    fraction = np.linspace(0.0, 1.0, int(n_samples))
    vertical = np.empty((steps.n_steps, fraction.size))
    horizontal = np.empty_like(vertical)
    for k, (a, b) in enumerate(zip(steps.start_index, steps.toe_off_index)):
        source_fraction = np.linspace(0.0, 1.0, int(b - a))
        vertical[k] = np.interp(fraction, source_fraction, recording.vertical_n[a:b])
        horizontal[k] = np.interp(fraction, source_fraction, recording.horizontal_n[a:b])
    return StanceCurve(
        stance_fraction=fraction,
        vertical_mean_n=vertical.mean(axis=0),
        vertical_std_n=vertical.std(axis=0),
        horizontal_mean_n=horizontal.mean(axis=0),
        horizontal_std_n=horizontal.std(axis=0),
        n_steps=steps.n_steps,
        mean_contact_time_s=float(steps.contact_time_s.mean()),
    )
