"""Fit the spring-mass model to a measured ground-force curve (docs/fitting.md, "Force curve").

Data: the vertical (and antero-posterior) ground force of one stance, in body weights, at
times measured from touchdown (``ForceCurve``), usually the mean stance curve of a treadmill
recording (``contacts.mean_stance_curve``) put back on absolute time with the mean contact
time. After toe-off the measured force is taken as 0 for another 10 % of the contact time,
so a model whose stance lasts too long is penalised as much as one that lifts off early.

Model: one simulated step (``simsrc.engine.step.step``) from an apex at the treadmill speed, with the
fitted leg stiffness k, angle of attack α, push force A (body weights) and apex drop h (apex
height above the touchdown height), optionally the surface stiffness. Its stance is sampled
at ``stance_samples + 1`` times and interpolated linearly to the data times; outside its
stance the model force is 0. Contact time is thus part of the curve.

Residuals (body weights): r = w_i (F_model(t_i) − F_meas(t_i)) for the vertical force,
followed by the same for the horizontal force (w = 0 switches it off). The covariance is
s²·(JᵀJ)⁻¹ with s² the residual variance (``fit_solver.uncertainty``).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import status as st
from simsrc.engine import stored
from simsrc.engine.batch import broadcast_tree
from simsrc.errors import SimsrcInputError
from simsrc.fit.guess import (apex_drop_guess_m, flight_time_from_impulse_s,
                              landing_angle_guess_rad, morin_leg_stiffness_n_per_m)
from simsrc.fit.model import PARAMETERS, apply, evaluator, resolve_free
from simsrc.fit.solver import FitResult, best_of_starts, levenberg_marquardt, uncertainty
from simsrc.fit.transforms import Bound, internal_values, to_natural
from simsrc.engine.params import Params, canonical_params
from simsrc.engine.simulate import default_options
from simsrc.engine.step import Options, step

DEFAULT_FREE = ("leg_stiffness_n_per_m", "angle_of_attack_rad", "push_force_bw", "apex_drop_m")
ALLOWED_FREE = DEFAULT_FREE + ("surface_stiffness_n_per_m",)
N_POINTS = 128          # data points per curve (padded with weight 0): one compiled kernel
EXTENSION = 0.10        # fraction of the contact time after toe-off compared with zero force
N_EXTENSION = 10
STANCE_SAMPLES = 50     # model stance samples: linear interpolation error ~1e-3 body weights
PUSH_STARTS = (0.1, 0.3, 0.02, 0.5, 0.2, 0.05, 0.8, 0.15)
STIFFNESS_STARTS = (1.0, 0.85, 1.2, 0.7, 1.4, 1.1, 0.9, 1.3)


class ForceCurve(NamedTuple):
    """Measured force of one stance (or a batch: leading axis), the data of a curve fit.

    Attributes:
        time_s: (n,) times from touchdown, s (padding repeats the last time).
        vertical_bw, horizontal_bw: (n,) measured forces in body weights (horizontal forward
            positive, braking negative).
        weight: (n,) 1 for points that count, 0 for padding.
        horizontal_weight: 1 to fit the horizontal force too, 0 for the vertical only.
        speed_m_per_s: treadmill (mean running) speed, m/s.
        contact_time_s: measured contact time, s.
        flight_time_s: measured flight time (or from the vertical impulse), s.
    """

    time_s: np.ndarray
    vertical_bw: np.ndarray
    horizontal_bw: np.ndarray
    weight: np.ndarray
    horizontal_weight: np.ndarray
    speed_m_per_s: np.ndarray
    contact_time_s: np.ndarray
    flight_time_s: np.ndarray


@dataclasses.dataclass(frozen=True)
class ForceModel:
    """The static part of a curve fit (hashable: one compiled kernel per value)."""

    free: tuple[Bound, ...]
    options: Options

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.free)


# ----------------------------------------------------------------------------- data

def make_force_curve(time_s, vertical_n, horizontal_n, *, body_weight_n: float,
                     speed_m_per_s: float, contact_time_s: float, flight_time_s=None,
                     horizontal: bool = True, n_points: int = N_POINTS) -> ForceCurve:
    """A ``ForceCurve`` from stance samples at ``time_s`` (s from touchdown) in N.

    Appends ``N_EXTENSION`` zero-force points over the ``EXTENSION`` · t_c after toe-off and
    pads to ``n_points``. ``flight_time_s`` defaults to the impulse estimate
    t_c (F̄/mg − 1) (``fit_guess``).
    """
    t = np.asarray(time_s, float)
    fv = np.asarray(vertical_n, float) / body_weight_n
    fh = (np.zeros_like(fv) if horizontal_n is None
          else np.asarray(horizontal_n, float) / body_weight_n)
    if not (t.ndim == 1 and fv.shape == t.shape and fh.shape == t.shape and t.size >= 4):
        raise SimsrcInputError(f"a force curve needs matching 1-D time and force arrays of at "
                               f"least 4 samples, got shapes {t.shape}, {fv.shape}, {fh.shape}")
    if t.size + N_EXTENSION > n_points:
        raise SimsrcInputError(f"a force curve has {t.size} samples; at most "
                               f"{n_points - N_EXTENSION} are allowed (resample it first)")
    if flight_time_s is None or not np.isfinite(flight_time_s):
        mean_bw = np.trapezoid(fv, t) / (t[-1] - t[0])
        flight_time_s = float(flight_time_from_impulse_s(mean_bw, contact_time_s))
    ext = contact_time_s * (1.0 + EXTENSION * np.arange(1, N_EXTENSION + 1) / N_EXTENSION)
    t = np.concatenate([t, ext])
    fv = np.concatenate([fv, np.zeros(N_EXTENSION)])
    fh = np.concatenate([fh, np.zeros(N_EXTENSION)])
    w = np.ones_like(t)
    pad = n_points - t.size
    return ForceCurve(
        np.concatenate([t, np.full(pad, t[-1])]), np.concatenate([fv, np.zeros(pad)]),
        np.concatenate([fh, np.zeros(pad)]), np.concatenate([w, np.zeros(pad)]),
        np.asarray(1.0 if horizontal and horizontal_n is not None else 0.0),
        np.asarray(float(speed_m_per_s)), np.asarray(float(contact_time_s)),
        np.asarray(float(flight_time_s)))


def force_curve_from_stance(curve, *, body_weight_n: float, speed_m_per_s: float,
                            flight_time_s=None, horizontal: bool = True) -> ForceCurve:
    """A ``ForceCurve`` from a ``contacts.StanceCurve`` (mean over steps, normalised time):
    time = stance fraction × mean contact time."""
    tc = float(curve.mean_contact_time_s)
    return make_force_curve(np.asarray(curve.stance_fraction) * tc, curve.vertical_mean_n,
                            curve.horizontal_mean_n, body_weight_n=body_weight_n,
                            speed_m_per_s=speed_m_per_s, contact_time_s=tc,
                            flight_time_s=flight_time_s, horizontal=horizontal)


def force_curves_per_step(recording, steps, *, body_weight_n: float, speed_m_per_s: float,
                          horizontal: bool = True, n_samples: int = 101) -> ForceCurve:
    """One ``ForceCurve`` per detected step (a batch), each stance resampled to ``n_samples``
    points on its own contact time; flight time from the step table."""
    curves = []
    for a, b, tc, tf in zip(steps.start_index, steps.toe_off_index, steps.contact_time_s,
                            steps.flight_time_s):
        src = np.linspace(0.0, 1.0, int(b - a))
        frac = np.linspace(0.0, 1.0, n_samples)
        fv = np.interp(frac, src, recording.vertical_n[a:b])
        fh = np.interp(frac, src, recording.horizontal_n[a:b])
        curves.append(make_force_curve(frac * tc, fv, fh, body_weight_n=body_weight_n,
                                       speed_m_per_s=speed_m_per_s, contact_time_s=tc,
                                       flight_time_s=tf, horizontal=horizontal))
    if not curves:
        raise SimsrcInputError(f"no complete steps in {recording.source}")
    return ForceCurve(*[np.stack(v) for v in zip(*curves)])


# ----------------------------------------------------------------------------- model

def force_options(free_names, base: Params, stance_samples: int = STANCE_SAMPLES) -> Options:
    """Numerical options of the curve model: the base's cheapest surface model (the
    algebraic elastic one when the surface stiffness is fitted), the push term when the push
    is fitted or non-zero, ``stance_samples`` stance steps and a dense trajectory."""
    opts = default_options(base)
    model = "algebraic" if "surface_stiffness_n_per_m" in free_names else opts.surface_model
    if model == "damped":
        raise SimsrcInputError("force-curve fits support rigid and elastic/plastic surfaces "
                               "without surface or leg damping (the damped model is too slow "
                               "to differentiate in a fit)")
    push = "push_force_bw" in free_names or bool(np.any(np.asarray(base.push_force_bw) != 0))
    return dataclasses.replace(opts, surface_model=model, push=push, stance_steps=stance_samples,
                               flight_samples=1, plastic=opts.plastic and model == "algebraic")


def model_stance(names, values, base: Params, speed_m_per_s, options: Options):
    """The model's stance: (times from touchdown (s), vertical and horizontal force (body
    weights) at its ``stance_steps + 1`` samples, StepRecord). Pure, jit/vmap/jvp-able."""
    p, s = apply(names, values, base, speed_m_per_s)
    _, rec, traj = step(p, s, options)
    i0 = options.flight_samples
    i1 = i0 + options.stance_steps + 1
    weight_n = p.mass_kg * p.gravity_m_per_s2
    t = traj.t_s[i0:i1] - rec.touchdown_time_s
    return t, traj.vertical_force_n[i0:i1] / weight_n, traj.horizontal_force_n[i0:i1] / weight_n, rec


def _residual(*args, static: ForceModel):
    n = len(static.free)
    u, base, data = args[:n], args[n], args[n + 1]
    values = [to_natural(b, x) for b, x in zip(static.free, u)]
    t, fv, fh, rec = model_stance(static.names, values, base, data.speed_m_per_s, static.options)
    mv = jnp.interp(data.time_s, t, fv, left=0.0, right=0.0)
    mh = jnp.interp(data.time_s, t, fh, left=0.0, right=0.0)
    r = jnp.concatenate([data.weight * (mv - data.vertical_bw),
                         data.weight * data.horizontal_weight * (mh - data.horizontal_bw)])
    return jnp.where(rec.status == st.OK, r, jnp.nan)


def _kernel_fn(*args, static: ForceModel):
    n = len(static.free)

    def f(*u):
        r = _residual(*u, *args[n:], static=static)
        return r, r
    jac, r = jax.jacfwd(f, argnums=tuple(range(n)), has_aux=True)(*args[:n])
    return r, jac


# ----------------------------------------------------------------------------- fit

def initial_guess(curve: ForceCurve, base: Params, names) -> np.ndarray:
    """(N, p) natural start values (``fit_guess``): Morin stiffness, geometric landing angle,
    push 0.1 body weights, apex drop g t_f²/8, surface stiffness 200 kN/m."""
    m, L0 = np.asarray(base.mass_kg, float), np.asarray(base.leg_length_m, float)
    v, tc, tf = curve.speed_m_per_s, curve.contact_time_s, curve.flight_time_s
    guess = {
        "leg_stiffness_n_per_m": morin_leg_stiffness_n_per_m(m, L0, v, tc, tf),
        "angle_of_attack_rad": landing_angle_guess_rad(L0, v, tc),
        "push_force_bw": np.full(np.shape(v), 0.1),
        "apex_drop_m": apex_drop_guess_m(tf),
        "surface_stiffness_n_per_m": np.full(np.shape(v), 200e3),
    }
    return np.stack([np.broadcast_to(guess[n], np.shape(v)) for n in names], axis=-1)


def fit_force_curve(curve: ForceCurve, *, mass_kg: float, leg_length_m: float,
                    free=DEFAULT_FREE, base: Params | None = None, initial: dict | None = None,
                    starts: int = 4, max_iterations: int = 60,
                    stance_samples: int = STANCE_SAMPLES) -> FitResult:
    """Fit the model to one force curve (or a batch of curves: leading axis).

    Args:
        curve: ``ForceCurve`` (``make_force_curve``, ``force_curve_from_stance``,
            ``force_curves_per_step``).
        mass_kg, leg_length_m: the runner (fixed).
        free: parameters to fit (names or short names of ``fit_model.PARAMETERS``; allowed:
            ``ALLOWED_FREE``).
        base: other parameters (default ``canonical_params()``: rigid ground); its mass and leg
            length are replaced by ``mass_kg``, ``leg_length_m``.
        initial: start values by name (natural units) replacing the ``initial_guess``.
        starts: number of starts (1-8): the guess, then stiffness × 0.85/1.2/... and push
            0.3/0.02/... body weights; the lowest-cost converged fit is kept.
        max_iterations: Levenberg-Marquardt iterations at most.
        stance_samples: model stance samples (interpolation resolution).

    Returns:
        ``FitResult`` (batched like ``curve``). Standard errors assume independent residuals
        of equal variance (docs/fitting.md discusses what that means for a mean curve).
    """
    bounds = resolve_free(free, ALLOWED_FREE)
    names = tuple(b.name for b in bounds)
    if not 1 <= int(starts) <= len(PUSH_STARTS):
        raise SimsrcInputError(f"starts must be 1..{len(PUSH_STARTS)}, got {starts}")
    base = canonical_params() if base is None else base
    base = base._replace(mass_kg=float(mass_kg), leg_length_m=float(leg_length_m))
    model = ForceModel(bounds, force_options(names, base, stance_samples))
    single = np.ndim(curve.time_s) == 1
    data = jax.tree_util.tree_map(lambda v: np.asarray(v, float)[None], curve) if single else \
        jax.tree_util.tree_map(lambda v: np.asarray(v, float), curve)
    n = data.time_s.shape[0]
    theta0 = initial_guess(data, base, names)
    for name, value in (initial or {}).items():
        theta0[:, names.index(PARAMETERS[name].name if name in PARAMETERS else name)] = value
    starts = int(starts)
    u0 = np.repeat(internal_values(bounds, theta0), starts, axis=0)
    for j in range(1, starts):
        for name, factors, mode in (("leg_stiffness_n_per_m", STIFFNESS_STARTS, "scale"),
                                    ("push_force_bw", PUSH_STARTS, "set")):
            if name in names:
                i = names.index(name)
                t0 = theta0[:, i] * factors[j] if mode == "scale" else np.full(n, factors[j])
                u0[j::starts, i] = internal_values((bounds[i],), t0[:, None])[:, 0]
    data_s = jax.tree_util.tree_map(lambda v: np.repeat(v, starts, axis=0), data)
    base_s = broadcast_tree(base, n * starts)
    evaluate = evaluator(_kernel_fn, model, base_s, data_s, len(bounds))
    sol = levenberg_marquardt(evaluate, u0, max_iterations=max_iterations)
    n_data = (np.sum(data_s.weight > 0, axis=1)
              * (1 + (data_s.horizontal_weight > 0).astype(int)))
    result = uncertainty(bounds, sol, n_data, initial_u=u0)
    if starts > 1:
        result = best_of_starts(result, starts)
    return result.index(0) if single else result


# ----------------------------------------------------------------------------- report

@functools.lru_cache(maxsize=16)
def _stance_program(names: tuple, options: Options):
    return jax.jit(lambda values, base, speed: model_stance(names, values, base, speed, options))


def _fitted_stance_run(names, values, base, speed_m_per_s, options):
    """``model_stance`` through a stored program (a warm ``simsrc fit`` read it back instead of
    tracing it: 0.5 s of 5.8 s)."""
    args = jax.tree_util.tree_map(np.float64, (values, base, speed_m_per_s))
    return stored.call("simsrc.fit.force.model_stance", (names, options),
                       _stance_program(names, options), *args)


def fitted_stance(result: FitResult, *, mass_kg: float, leg_length_m: float,
                  speed_m_per_s: float, base: Params | None = None,
                  stance_samples: int = 200):
    """The fitted model's stance for plots: (times from touchdown (s), vertical and
    horizontal force (body weights), StepRecord) of a single (unbatched) result."""
    base = canonical_params() if base is None else base
    base = base._replace(mass_kg=float(mass_kg), leg_length_m=float(leg_length_m))
    opts = force_options(result.names, base, stance_samples)
    values = tuple(float(v) for v in np.asarray(result.value))
    t, fv, fh, rec = _fitted_stance_run(result.names, values, base, float(speed_m_per_s), opts)
    return np.asarray(t), np.asarray(fv), np.asarray(fh), rec


def curve_rms_bw(result: FitResult, curve: ForceCurve) -> tuple[np.ndarray, np.ndarray]:
    """RMS of the vertical and of the horizontal residual over the points that count, in
    body weights (leading batch axes kept)."""
    r = np.asarray(result.residual)
    n = np.asarray(curve.weight).shape[-1]
    w = np.asarray(curve.weight) > 0
    count = np.sum(w, axis=-1)
    rv = np.sqrt(np.sum(r[..., :n] ** 2, axis=-1) / count)
    rh = np.sqrt(np.sum(r[..., n:] ** 2, axis=-1) / count)
    return rv, np.where(np.asarray(curve.horizontal_weight) > 0, rh, np.nan)
