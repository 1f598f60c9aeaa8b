"""Fit the spring-mass model to stride metrics (docs/fitting.md, "Stride metrics").

Data per stride (or per second of a watch recording): contact time t_c, flight time t_f,
speed v, and when present step length d and COM vertical oscillation Δy (``StrideData``; a
metric that is absent or switched off has weight 0).

Model: one simulated step on rigid ground from an apex with drop h above the touchdown height
and apex speed u, with leg stiffness k and angle of attack α (no push by default): its
``step_metrics`` (contact time, flight time t_td + t_ap, mean speed, step length, vertical
oscillation). A steady runner repeats its step, so one more residual asks the step to be
periodic: the end apex height equals the start height (σ = 1 mm). On the conservative SLIP
that also makes the apex speed periodic (energy is conserved).

Residuals: (model − measured)/σ per metric, σ the measurement error (``DEFAULT_SIGMA``), so the
covariance is (JᵀJ)⁻¹ (s² = 1, ``known_variance``): with t_c, t_f and v only the four
unknowns are exactly determined (no residual left to estimate a variance from) and the errors
are the measurement errors propagated through the model.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import status as st
from simsrc.engine.batch import broadcast_tree
from simsrc.errors import SimsrcInputError
from simsrc.fit.guess import (apex_drop_guess_m, landing_angle_guess_rad,
                              morin_leg_stiffness_n_per_m)
from simsrc.fit.model import PARAMETERS, apply, evaluator, resolve_free
from simsrc.fit.solver import FitResult, levenberg_marquardt, uncertainty
from simsrc.fit.transforms import Bound, internal_values, to_natural
from simsrc.metrics.steps import step_metrics
from simsrc.engine.params import Params, canonical_params
from simsrc.engine.simulate import default_options
from simsrc.engine.step import Options, step

METRICS = ("contact_time_s", "flight_time_s", "speed_m_per_s", "step_length_m",
           "vertical_oscillation_m")
#: Default measurement errors (1 σ) of one stride's metrics, SI. Contact time: watches and
#: pods agree with force plates to a few ms per stride after their bias; flight time is the
#: step time (from cadence, precise) minus the contact time; speed from GPS/pod ~1-2 %;
#: vertical oscillation and step length ~1 cm / 5 cm. docs/fitting.md explains them.
DEFAULT_SIGMA = {"contact_time_s": 0.005, "flight_time_s": 0.007, "speed_m_per_s": 0.05,
                 "step_length_m": 0.05, "vertical_oscillation_m": 0.01}
PERIODIC_SIGMA_M = 0.001
DEFAULT_FREE = ("leg_stiffness_n_per_m", "angle_of_attack_rad", "apex_drop_m",
                "apex_speed_m_per_s")
ALLOWED_FREE = DEFAULT_FREE + ("push_force_bw", "leg_length_m")


class StrideData(NamedTuple):
    """Measured stride metrics (scalars, or arrays with a leading batch axis), SI.

    Values are 0 where absent; ``inv_sigma_*`` = 1/σ of each metric, 0 where absent or not
    fitted.
    """

    contact_time_s: np.ndarray
    flight_time_s: np.ndarray
    speed_m_per_s: np.ndarray
    step_length_m: np.ndarray
    vertical_oscillation_m: np.ndarray
    inv_sigma_contact_time_s: np.ndarray
    inv_sigma_flight_time_s: np.ndarray
    inv_sigma_speed_m_per_s: np.ndarray
    inv_sigma_step_length_m: np.ndarray
    inv_sigma_vertical_oscillation_m: np.ndarray

    def values(self, name: str) -> np.ndarray:
        return getattr(self, name)

    def inv_sigma(self, name: str) -> np.ndarray:
        return getattr(self, "inv_sigma_" + name)


@dataclasses.dataclass(frozen=True)
class StrideModel:
    """The static part of a stride fit (hashable: one compiled kernel per value)."""

    free: tuple[Bound, ...]
    options: Options

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.free)


def make_stride_data(contact_time_s, flight_time_s, speed_m_per_s, *, step_length_m=None,
                     vertical_oscillation_m=None, sigma: dict | None = None,
                     use=METRICS) -> StrideData:
    """``StrideData`` from arrays (NaN or None = absent). ``sigma`` overrides
    ``DEFAULT_SIGMA`` by metric name; ``use`` lists the metrics to fit (contact time, flight
    time and speed are always needed)."""
    sig = dict(DEFAULT_SIGMA, **(sigma or {}))
    for key, value in sig.items():
        if key not in DEFAULT_SIGMA or not (np.isfinite(value) and value > 0):
            raise SimsrcInputError(f"sigma `{key}` = {value!r} is not allowed; expected a "
                                   f"number > 0 for one of {', '.join(DEFAULT_SIGMA)}")
    for key in use:
        if key not in METRICS:
            raise SimsrcInputError(f"unknown stride metric {key!r}; allowed: "
                                   f"{', '.join(METRICS)}")
    given = {"contact_time_s": contact_time_s, "flight_time_s": flight_time_s,
             "speed_m_per_s": speed_m_per_s, "step_length_m": step_length_m,
             "vertical_oscillation_m": vertical_oscillation_m}
    shape = np.shape(np.asarray(contact_time_s, float))
    vals, invs = [], []
    for key in METRICS:
        v = np.full(shape, np.nan) if given[key] is None else \
            np.broadcast_to(np.asarray(given[key], float), shape)
        present = np.isfinite(v) & (key in use)
        vals.append(np.where(present, v, 0.0))
        invs.append(np.where(present, 1.0 / sig[key], 0.0))
    return StrideData(*vals, *invs)


def stride_data_from_steps(steps, speed_m_per_s: float, **kw) -> StrideData:
    """Mean contact and flight time of a force-plate ``StepTable`` at a treadmill speed, with
    σ = the standard error of the mean (at least the sampling interval / √12)."""
    n = steps.n_steps
    if n == 0:
        raise SimsrcInputError("no complete steps to fit")
    floor = 1.0 / steps.sample_rate_hz / np.sqrt(12.0)
    sig = {"contact_time_s": max(float(np.std(steps.contact_time_s) / np.sqrt(n)), floor),
           "flight_time_s": max(float(np.std(steps.flight_time_s) / np.sqrt(n)), floor),
           "speed_m_per_s": 0.01 * speed_m_per_s}
    sig.update(kw.pop("sigma", None) or {})
    return make_stride_data(float(np.mean(steps.contact_time_s)),
                            float(np.mean(steps.flight_time_s)), float(speed_m_per_s),
                            sigma=sig, **kw)


# ----------------------------------------------------------------------------- model

def stride_options(base: Params) -> Options:
    """The base's cheapest surface model, 10 DOP853 stance steps (20 with a push), no
    trajectory (``simulate.default_options``)."""
    return dataclasses.replace(default_options(base), flight_samples=0)


def model_metrics(names, values, base: Params, speed_m_per_s, options: Options):
    """(metrics tuple in ``METRICS`` order, end-minus-start apex height (m), ok) of one step."""
    p, s = apply(names, values, base, speed_m_per_s)
    _, rec, _ = step(p, s, options)
    m = step_metrics(p, rec)
    out = (m.contact_time_s, m.flight_time_s, m.speed_m_per_s, m.step_length_m,
           m.com_vertical_oscillation_m)
    ok = (rec.status == st.OK) & (rec.liftoff.vy_m_per_s > 0.0)
    return out, rec.end.y_m - s.y_m, ok


def _residual(*args, static: StrideModel):
    n = len(static.free)
    u, base, data = args[:n], args[n], args[n + 1]
    values = [to_natural(b, x) for b, x in zip(static.free, u)]
    model, periodic, ok = model_metrics(static.names, values, base, data.speed_m_per_s,
                                        static.options)
    r = tuple(data.inv_sigma(k) * (mv - data.values(k)) for k, mv in zip(METRICS, model))
    r = r + (periodic / PERIODIC_SIGMA_M,)
    return tuple(jnp.where(ok, x, jnp.nan) for x in r)


def _kernel_fn(*args, static: StrideModel):
    """r as a tuple of scalars, J as a tuple over parameters of tuples over residuals:
    no stacking inside the vmapped derivative (fit_solver's docstring)."""
    n = len(static.free)

    def f(*u):
        r = _residual(*u, *args[n:], static=static)
        return r, r
    jac, r = jax.jacfwd(f, argnums=tuple(range(n)), has_aux=True)(*args[:n])
    return r, tuple(tuple(jac[i][j] for i in range(len(r))) for j in range(n))


# ----------------------------------------------------------------------------- fit

def initial_guess(data: StrideData, base: Params, names) -> np.ndarray:
    """(N, p) natural start values: Morin stiffness, geometric landing angle, apex drop
    g t_f²/8, apex speed = measured speed, push 0.05 body weights, the base leg length."""
    m, L0 = np.asarray(base.mass_kg, float), np.asarray(base.leg_length_m, float)
    v, tc, tf = data.speed_m_per_s, data.contact_time_s, data.flight_time_s
    guess = {
        "leg_stiffness_n_per_m": morin_leg_stiffness_n_per_m(m, L0, v, tc, tf),
        "angle_of_attack_rad": landing_angle_guess_rad(L0, v, tc),
        "apex_drop_m": apex_drop_guess_m(tf),
        "apex_speed_m_per_s": np.asarray(v, float),
        "push_force_bw": np.full(np.shape(v), 0.05),
        "leg_length_m": np.broadcast_to(L0, np.shape(v)),
    }
    return np.stack([np.broadcast_to(guess[n], np.shape(v)) for n in names], axis=-1)


def fit_stride_metrics(data: StrideData, *, mass_kg, leg_length_m, free=DEFAULT_FREE,
                       base: Params | None = None, initial: dict | None = None,
                       max_iterations: int = 100) -> FitResult:
    """Fit leg stiffness, angle of attack and the apex state to stride metrics.

    Args:
        data: ``StrideData`` of one stride (scalars) or a batch (leading axis N).
        mass_kg, leg_length_m: the runner (scalars, or arrays of the batch).
        free: parameters to fit (``ALLOWED_FREE``; names or short names).
        base: other parameters (default ``canonical_params()``: rigid ground, no push).
        initial: start values by name (natural units) replacing ``initial_guess``.
        max_iterations: Levenberg-Marquardt iterations at most (one batched kernel call each).

    Returns:
        ``FitResult`` (batched like ``data``); residuals are in units of σ.
    """
    bounds = resolve_free(free, ALLOWED_FREE)
    names = tuple(b.name for b in bounds)
    single = np.ndim(data.contact_time_s) == 0
    rows = jax.tree_util.tree_map(lambda v: np.atleast_1d(np.asarray(v, float)), data)
    n = rows.contact_time_s.shape[0]
    if n == 0:
        raise SimsrcInputError("no strides to fit")
    base = canonical_params() if base is None else base
    base = broadcast_tree(base._replace(mass_kg=mass_kg, leg_length_m=leg_length_m), n)
    base = Params(*[np.asarray(v, float).reshape(n) for v in base])
    model = StrideModel(bounds, stride_options(base))
    theta0 = initial_guess(rows, base, names)
    for name, value in (initial or {}).items():
        theta0[:, names.index(PARAMETERS[name].name if name in PARAMETERS else name)] = value
    u0 = internal_values(bounds, theta0)
    evaluate = evaluator(_kernel_fn, model, base, rows, len(bounds))
    sol = levenberg_marquardt(evaluate, u0, max_iterations=max_iterations)
    n_data = 1 + sum((getattr(rows, "inv_sigma_" + k) > 0).astype(int) for k in METRICS)
    result = uncertainty(bounds, sol, n_data, known_variance=True, initial_u=u0)
    return result.index(0) if single else result


@functools.lru_cache(maxsize=None)
def _metrics_kernel(names, options):
    return jax.jit(jax.vmap(functools.partial(model_metrics, names, options=options)))


def fitted_metrics(result: FitResult, *, mass_kg, leg_length_m, speed_m_per_s,
                   base: Params | None = None) -> dict[str, np.ndarray]:
    """The fitted model's stride metrics (``METRICS``, SI) for each fit of a batch."""
    values = np.atleast_2d(np.asarray(result.value, float))
    n = values.shape[0]
    base = canonical_params() if base is None else base
    base = broadcast_tree(base._replace(mass_kg=mass_kg, leg_length_m=leg_length_m), n)
    base = Params(*[np.asarray(v, float).reshape(n) for v in base])
    speed = np.broadcast_to(np.asarray(speed_m_per_s, float), (n,))
    kernel = _metrics_kernel(result.names, stride_options(base))
    out, periodic, ok = kernel(tuple(values.T), base, speed)
    return {k: np.where(np.asarray(ok), np.asarray(v), np.nan) for k, v in zip(METRICS, out)}
