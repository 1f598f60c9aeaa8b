"""Fit every second of a running-watch recording (docs/fitting.md, "Watch recordings").

Each FIT record (one per second) gives contact time, cadence (step time T = 60/cadence, so
flight time t_f = T − t_c), speed, vertical oscillation and, on some devices, step length.
Every second that looks like running (speed ≥ ``min_speed_m_per_s``, a flight of at least
``min_flight_time_s``, contact time present) is one stride-metric fit
(``fit_stride.fit_stride_metrics``); all of them run as one batch: one jitted, vmapped kernel
call per Levenberg-Marquardt iteration for the whole recording.

The runner's mass and leg length come from the file's ``user_profile`` when it has one
(leg length 0.53 × height), else from the arguments, else the built-in runner (70 kg,
0.95 m; ``fit_guess``). The leg stiffness over the run is compared with the Morin et al.
(2005) estimate from the same numbers and with the device's own "Leg Spring Stiffness"
(Stryd foot pod) when the file has it.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simsrc.errors import SimsrcInputError
from simsrc.fit.guess import (DEFAULT_LEG_LENGTH_M, DEFAULT_MASS_KG, leg_length_from_height_m,
                              morin_leg_stiffness_n_per_m, morin_vertical_stiffness_n_per_m)
from simsrc.fit.solver import FitResult
from simsrc.fit.stride import (DEFAULT_FREE, METRICS, StrideData, fit_stride_metrics,
                               make_stride_data)

WATCH_METRICS = ("contact_time_s", "flight_time_s", "speed_m_per_s", "step_length_m")


class WatchFit(NamedTuple):
    """Per-second fits of a watch recording (arrays over all records; NaN where not fitted).

    Attributes:
        time_s: record times, s.
        fitted: records that were fitted (running, complete data).
        result: ``FitResult`` of the fitted records only (batch over ``np.flatnonzero(fitted)``).
        leg_stiffness_n_per_m, leg_stiffness_stderr_n_per_m: fitted k and its error, N/m.
        morin_leg_stiffness_n_per_m, morin_vertical_stiffness_n_per_m: Morin et al. (2005).
        device_leg_spring_stiffness_n_per_m: the device's own value (Stryd), N/m, or NaN.
        data: the ``StrideData`` of every record.
        mass_kg, leg_length_m: the runner used; ``runner_source`` says where they came from.
        source: the file.
    """

    time_s: np.ndarray
    fitted: np.ndarray
    result: FitResult
    leg_stiffness_n_per_m: np.ndarray
    leg_stiffness_stderr_n_per_m: np.ndarray
    morin_leg_stiffness_n_per_m: np.ndarray
    morin_vertical_stiffness_n_per_m: np.ndarray
    device_leg_spring_stiffness_n_per_m: np.ndarray
    data: StrideData
    mass_kg: float
    leg_length_m: float
    runner_source: str
    source: str


def runner_of(recording, mass_kg=None, leg_length_m=None) -> tuple[float, float, str]:
    """(mass kg, leg length m, where from): arguments first, then the file's user_profile
    (leg length 0.53 × height), then the built-in runner."""
    said = []
    mass = mass_kg
    if mass is None and recording.body_mass_kg is not None:
        mass, _ = recording.body_mass_kg, said.append("mass from user_profile")
    if mass is None:
        mass, _ = DEFAULT_MASS_KG, said.append(f"default mass {DEFAULT_MASS_KG:g} kg")
    leg = leg_length_m
    if leg is None and recording.body_height_m is not None:
        leg = float(leg_length_from_height_m(recording.body_height_m))
        said.append("leg length 0.53 x user_profile height")
    if leg is None:
        leg, _ = DEFAULT_LEG_LENGTH_M, said.append(f"default leg length {DEFAULT_LEG_LENGTH_M:g} m")
    return float(mass), float(leg), "; ".join(said) or "given"


def watch_stride_data(recording, *, use=WATCH_METRICS, sigma: dict | None = None,
                      min_speed_m_per_s: float = 1.5,
                      min_flight_time_s: float = 0.02) -> tuple[StrideData, np.ndarray]:
    """(``StrideData`` of every record, mask of the records that can be fitted)."""
    tc = np.asarray(recording.ground_contact_time_s, float)
    cadence = np.asarray(recording.cadence_steps_per_min, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        step_time = np.where(cadence > 0, 60.0 / cadence, np.nan)
    tf = step_time - tc
    v = np.asarray(recording.speed_m_per_s, float)
    ok = (np.isfinite(tc) & np.isfinite(tf) & np.isfinite(v) & (v >= min_speed_m_per_s)
          & (tf >= min_flight_time_s))
    data = make_stride_data(np.where(ok, tc, 0.25), np.where(ok, tf, 0.1),
                            np.where(ok, v, 3.0), step_length_m=recording.step_length_m,
                            vertical_oscillation_m=recording.vertical_oscillation_m,
                            sigma=sigma, use=use)
    return data, ok


def fit_watch(recording, *, mass_kg=None, leg_length_m=None, use=WATCH_METRICS,
              sigma: dict | None = None, free=DEFAULT_FREE, max_iterations: int = 100,
              min_speed_m_per_s: float = 1.5, min_flight_time_s: float = 0.02) -> WatchFit:
    """One stride-metric fit per record of a ``watch.WatchRecording``, as one batch.

    ``use`` lists the metrics fitted (``fit_stride.METRICS``; absent ones are skipped per
    record). By default vertical oscillation is not fitted: watches read it high (the
    shipped data's README), and it would pull k down; pass it in ``use`` to include it.
    """
    mass, leg, said = runner_of(recording, mass_kg, leg_length_m)
    data, ok = watch_stride_data(recording, use=use, sigma=sigma,
                                 min_speed_m_per_s=min_speed_m_per_s,
                                 min_flight_time_s=min_flight_time_s)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        raise SimsrcInputError(
            f"{recording.source}: no record to fit; a record needs contact time, cadence and "
            f"speed >= {min_speed_m_per_s:g} m/s with a flight of >= {min_flight_time_s:g} s")
    rows = StrideData(*[np.asarray(v)[idx] for v in data])
    result = fit_stride_metrics(rows, mass_kg=mass, leg_length_m=leg, free=free,
                                max_iterations=max_iterations)
    n = recording.n_samples
    k = np.full(n, np.nan)
    k_se = np.full(n, np.nan)
    value, se = result.get("leg_stiffness_n_per_m")
    good = np.asarray(result.converged)
    k[idx] = np.where(good, value, np.nan)
    k_se[idx] = np.where(good, se, np.nan)
    tc, tf, v = (np.where(ok, np.asarray(data.values(name)), np.nan) for name in METRICS[:3])
    return WatchFit(
        time_s=np.asarray(recording.time_s, float), fitted=ok, result=result,
        leg_stiffness_n_per_m=k, leg_stiffness_stderr_n_per_m=k_se,
        morin_leg_stiffness_n_per_m=morin_leg_stiffness_n_per_m(mass, leg, v, tc, tf),
        morin_vertical_stiffness_n_per_m=morin_vertical_stiffness_n_per_m(mass, leg, v, tc, tf),
        device_leg_spring_stiffness_n_per_m=np.asarray(recording.leg_spring_stiffness_n_per_m,
                                                       float),
        data=data, mass_kg=mass, leg_length_m=leg, runner_source=said,
        source=recording.source)


def compare(a, b) -> dict[str, float]:
    """How series ``a`` relates to ``b`` where both are finite: count, median of a/b, Pearson
    and Spearman correlation, median absolute relative difference."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    both = np.isfinite(a) & np.isfinite(b) & (b != 0)
    n = int(both.sum())
    if n < 3:
        return {"n": n, "median_ratio": float("nan"), "pearson_r": float("nan"),
                "spearman_r": float("nan"), "median_abs_rel_diff": float("nan")}
    x, y = a[both], b[both]
    rank = lambda z: np.argsort(np.argsort(z)).astype(float)  # noqa: E731 (ties are rare)
    return {"n": n, "median_ratio": float(np.median(x / y)),
            "pearson_r": float(np.corrcoef(x, y)[0, 1]),
            "spearman_r": float(np.corrcoef(rank(x), rank(y))[0, 1]),
            "median_abs_rel_diff": float(np.median(np.abs(x / y - 1.0)))}
