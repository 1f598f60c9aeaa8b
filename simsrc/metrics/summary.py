"""A run's metrics as plain numpy arrays, and per-point summaries: the bridge from
``simulate``'s records to tables, sweep datasets and the command line.

The metrics themselves are defined once, in ``simsrc.metrics.steps`` (MODEL.md §8: speed, step
length, contact and flight time, forces in N and body weights, stiffnesses, costs, ...); this
module adds the entries of the energy ledger (``simsrc.Ledger``, J, except its start and end
energies) and summarises each run:

- ``run_status``: the last step's status (0 when every step completed; a failure's code
  otherwise, as later steps carry it), plus -1 (``invalid_params``) for sweep points whose
  parameters are not allowed together;
- ``steps_completed``: steps with status 0;
- a step the engine completed whose energy ledger does not close (``ledger_open``: residual not
  finite or above ``LEDGER_TOLERANCE`` of the step's energy) is not physical, whatever its
  numbers: it gets that status here, and so does every later step of its run, so that it never
  enters a mean (a stiff leg on a stiff spring-like ground, under-resolved by the fixed stance
  grid, once reported 4.6e7 m/s with a residual of 8e19 J as an ok step);
- ``converged`` and ``steps_to_converge``: ``simsrc.metrics.steps.steady_state``'s verdict (apex
  height and speed repeat to 1e-4 over the last steps);
- ``mean_<metric>``: the mean over the completed steps (NaN when none completed).

``step_metrics``, ``convergence`` and ``run_metrics`` (both at once) each evaluate in one
jitted XLA program: run eagerly, the metrics are ~60 tiny programs, each compiled again in
every new process (too quick to compile for the persistent cache), which cost a warm
``simsrc run`` seconds. The numbers are those of ``simsrc.metrics.steps``.
"""
from __future__ import annotations

import jax
import numpy as np

from simsrc.engine.ledger import Ledger
from simsrc.metrics.steps import StepMetrics, steady_state
from simsrc.metrics.steps import step_metrics as _step_metrics
from simsrc.engine.status import LEDGER_OPEN, NAMES, OK

LEDGER_METRICS: tuple[str, ...] = tuple(
    f for f in Ledger._fields if not (f.endswith("_start_j") or f.endswith("_end_j")))
RECORD_METRICS: tuple[str, ...] = ("surface_peak_sink_m", "footprint_depth_m")
METRIC_NAMES: tuple[str, ...] = tuple(
    f for f in StepMetrics._fields if f != "status") + RECORD_METRICS + LEDGER_METRICS

#: The steady gait in a coach's units, (metric, label, unit, format): what ``simsrc run``
#: prints and ``simsrc explore`` shows.
STEADY_ROWS = (
    ("speed_m_per_s", "speed", "m/s", ".3f"),
    ("cadence_steps_per_min", "cadence", "steps/min", ".1f"),
    ("step_length_m", "step length", "m", ".3f"),
    ("contact_time_s", "contact time", "s", ".3f"),
    ("flight_time_s", "flight time", "s", ".3f"),
    ("duty_factor", "duty factor", "", ".3f"),
    ("peak_vertical_force_bw", "peak vertical force", "BW", ".2f"),
    ("com_vertical_oscillation_m", "vertical oscillation", "m", ".3f"),
    ("apex_height_m", "apex height", "m", ".4f"),
    ("landing_angle_deg", "landing angle", "deg", ".1f"),
    ("braking_impulse_n_s", "braking impulse", "N s", ".1f"),
    ("leg_stiffness_n_per_m", "leg stiffness (sine-wave)", "N/m", ".0f"),
    ("morin_leg_stiffness_n_per_m", "leg stiffness (Morin)", "N/m", ".0f"),
    ("muscle_positive_work_j", "muscle work +", "J/step", ".1f"),
    ("muscle_negative_work_j", "muscle work -", "J/step", ".1f"),
    ("mechanical_cost_of_transport", "mechanical cost of transport", "", ".3f"),
    ("metabolic_cost_j_per_kg_per_m", "metabolic estimate", "J/kg/m", ".2f"),
)

INVALID = -1  # a sweep point whose parameters are not allowed together (not simulated)
#: A steady-gait sweep point with no steady gait has run_status NO_GAIT + its reason code
#: (``simsrc.gait.steady.REASONS``; tests/test_steady.py checks that the two lists agree).
NO_GAIT = 10
NO_GAIT_NAMES = {NO_GAIT + 1: "no_gait_falls", NO_GAIT + 2: "no_gait_push_capped",
                 NO_GAIT + 3: "no_gait_braking_capped", NO_GAIT + 4: "no_gait_at_bound",
                 NO_GAIT + 5: "no_gait_unreachable", NO_GAIT + 6: "no_gait_stalled",
                 NO_GAIT + 7: "no_gait_slows", NO_GAIT + 8: "no_gait_no_flight"}
STATUS_NAMES = {INVALID: "invalid_params", **NAMES, **NO_GAIT_NAMES}


def status_name(code) -> str:
    return STATUS_NAMES.get(int(code), f"unknown({int(code)})")


#: A completed step's ledger must close to this fraction of the step's energy (``energy_scale``):
#: the engine's contact models close it to 1e-9 (explicit) and 3e-4 (the damped model's ARK3,
#: tests/test_engine_reference.py), so 1 % flags only steps the integration did not resolve.
LEDGER_TOLERANCE = 0.01


def _energy_scale_j(ledger):
    """The energy a step handles (J): kinetic and gravitational energy at its start, plus the
    peaks stored in leg and surface and the push's work; the scale of the ledger's residual."""
    return (ledger.kinetic_horizontal_start_j + ledger.kinetic_vertical_start_j
            + abs(ledger.gravitational_start_j) + ledger.leg_elastic_peak_j
            + ledger.surface_elastic_peak_j + ledger.push_positive_j - ledger.push_negative_j)


def _metrics_of(params, records) -> dict:
    out = _step_metrics(params, records)._asdict()
    del out["status"]
    out.update({f: getattr(records, f) for f in RECORD_METRICS})
    out.update({f: getattr(records.ledger, f) for f in LEDGER_METRICS})
    out["status"] = records.status
    out["energy_scale_j"] = _energy_scale_j(records.ledger)
    return out


def checked_status(status, residual_j, energy_scale_j) -> np.ndarray:
    """The engine's step status with ``ledger_open`` for each completed step whose ledger does
    not close (residual not finite, or above ``LEDGER_TOLERANCE`` of the energy scale) and for
    every later step of the same run (they start from the unphysical state); last axis: steps."""
    status = np.asarray(status, np.int32)
    resid = np.abs(np.asarray(residual_j, np.float64))
    scale = np.abs(np.asarray(energy_scale_j, np.float64))
    with np.errstate(invalid="ignore"):
        closes = (resid <= LEDGER_TOLERANCE * scale) & np.isfinite(scale)
    open_ = (status == OK) & ~closes
    after = np.logical_or.accumulate(open_, axis=-1) if status.ndim else open_
    return np.where(after & (status == OK), LEDGER_OPEN, status).astype(np.int32)


def _convergence_of(params, records) -> dict:
    ss = steady_state(params, records)
    return {"converged": ss.converged, "steps_to_converge": ss.steps_to_converge}


# one program per (records shape, options): a run's or a sweep chunk's metrics in one dispatch
_metrics_jit = jax.jit(_metrics_of)
_convergence_jit = jax.jit(_convergence_of)


def _run_metrics_of(params, records) -> tuple[dict, dict]:
    return _metrics_of(params, records), _convergence_of(params, records)


_run_metrics_jit = jax.jit(_run_metrics_of)


def _host_metrics(m) -> dict[str, np.ndarray]:
    # in METRIC_NAMES order (a jitted function returns its dicts with sorted keys)
    out = {k: np.asarray(m[k], np.float64) for k in METRIC_NAMES}
    out["status"] = checked_status(m["status"], out["residual_j"], m["energy_scale_j"])
    return out


def _host_convergence(c) -> dict[str, np.ndarray]:
    return {"converged": np.asarray(c["converged"], np.int8),
            "steps_to_converge": np.asarray(c["steps_to_converge"], np.int32)}


def step_metrics(records, params) -> dict[str, np.ndarray]:
    """Every metric of every step: dict name -> float64 array shaped like the records' leaves
    (batch + (n_steps,)), plus ``status`` (int32)."""
    return _host_metrics(_metrics_jit(params, records))


def convergence(records, params) -> dict[str, np.ndarray]:
    """``converged`` (int8, 1 or 0) and ``steps_to_converge`` of each run."""
    return _host_convergence(_convergence_jit(params, records))


def run_metrics(records, params) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``(step_metrics(records, params), convergence(records, params))`` from one program."""
    m, c = jax.device_get(_run_metrics_jit(params, records))
    return _host_metrics(m), _host_convergence(c)


def summarize(metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``run_status``, ``steps_completed`` and ``mean_<metric>`` over the completed steps."""
    status = metrics["status"]
    ok = status == 0
    n_ok = ok.sum(axis=-1)
    out = {"run_status": status[..., -1].astype(np.int32),
           "steps_completed": n_ok.astype(np.int32)}
    for name in METRIC_NAMES:
        total = np.where(ok, metrics[name], 0.0).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["mean_" + name] = np.where(n_ok > 0, total / np.maximum(n_ok, 1), np.nan)
    return out
