"""The public entry point: simulate N steps of the runner from a flight state.

    >>> import simsrc
    >>> p = simsrc.make_params(angle_of_attack_deg=68.0)
    >>> out = simsrc.simulate(p, simsrc.apex(1.0, 5.0), n_steps=3)
    >>> out.records.end.y_m        # apex heights after each step, m

``simulate`` works eagerly, under ``jax.jit``, under ``jax.vmap`` and under ``jax.grad``; given
batched parameters (arrays of one common shape) it vmaps over the batch itself.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import stored
from simsrc.engine.batch import bucket_size, step_bucket
from simsrc.engine.params import Params, State, as_arrays, broadcast, check_params, check_state
from simsrc.engine.step import Options, StepRecord, Trajectory, run
from simsrc.engine.swing import (LANDING_MODES, AimedSwing, Deadbeat, HeldDeadbeat, Placement,
                                 Swing, default_swing)


#: Units of the records' columns, by the end of their names (``Run.to_xarray``'s attrs).
_UNITS = (("_m_per_s", "m/s"), ("_n_s", "N s"), ("_s", "s"), ("_m", "m"), ("_n", "N"),
          ("_j", "J"), ("_rad", "rad"))


def _columns(tree, prefix: str = "") -> dict:
    """The leaves of a record (nested NamedTuples) as name -> array, names joined with "_"
    (``touchdown_vx_m_per_s``, ``ledger_residual_j``); absent parts (None) skipped."""
    out = {}
    for field in tree._fields:
        v = getattr(tree, field)
        if v is None:
            continue
        if hasattr(v, "_fields"):
            out.update(_columns(v, f"{prefix}{field}_"))
        else:
            out[prefix + field] = np.asarray(v)
    return out


class Run(NamedTuple):
    """Result of ``simulate``: per-step records (leading axes: batch..., step)."""

    records: StepRecord
    trajectory: Trajectory | None
    final_state: State
    options: Options
    final_swing: Swing | None = None

    def to_dataframe(self):
        """The per-step records as a pandas table: one row per step (index ``step``, from 1),
        or per runner and step (index ``runner``, ``step``; a batch's axes flattened in C
        order), a column per record field (SI, the unit in the name: ``contact_time_s``,
        ``touchdown_vx_m_per_s``, ``ledger_residual_j``, ...) and ``status_name``. The coach's
        metrics (cadence, stiffness, cost; MODEL.md §8) are ``simsrc.metrics.summary.run_metrics``'s:
        they need the parameters, which a ``Run`` does not hold."""
        import pandas as pd

        from simsrc.engine import status

        cols = _columns(jax.device_get(self.records))
        shape = cols["status"].shape
        n_steps = shape[-1]
        n_runners = int(np.prod(shape[:-1], dtype=int))
        flat = {k: v.reshape(n_runners * n_steps) for k, v in cols.items()
                if v.shape == shape}
        steps = np.tile(np.arange(1, n_steps + 1), n_runners)
        if len(shape) == 1:
            index = pd.Index(steps, name="step")
        else:
            index = pd.MultiIndex.from_arrays(
                [np.repeat(np.arange(n_runners), n_steps), steps], names=("runner", "step"))
        df = pd.DataFrame(flat, index=index)
        df.insert(1, "status_name", [status.name(int(c)) for c in flat["status"]])
        return df

    def to_xarray(self):
        """The per-step records as an xarray Dataset: ``to_dataframe``'s table with its index as
        dimensions (``step``, or ``runner`` and ``step``), a variable per record field, its
        unit in ``attrs["units"]`` (pandas builds it: the physics imports no xarray itself)."""
        ds = self.to_dataframe().to_xarray()
        for name in ds.data_vars:
            unit = next((u for end, u in _UNITS if name.endswith(end)), "")
            if unit:
                ds[name].attrs["units"] = unit
        return ds


def _concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def choose_surface_model(p: Params) -> str:
    """The cheapest contact model that covers the parameters (all elements of a batch).

    ``"rigid"`` when every surface compliance is 0, ``"algebraic"`` when no damper sits in
    series with a compliant surface, ``"damped"`` otherwise, and also whenever the deciding
    fields are traced (the damped model covers every case, at 3rd instead of 4th order).
    """
    fields = (p.surface_compliance_m_per_n, p.surface_damping_n_s_per_m, p.leg_damping_n_s_per_m)
    if not all(_concrete(v) for v in fields):
        if _concrete(p.surface_compliance_m_per_n) and not np.any(
                np.asarray(p.surface_compliance_m_per_n) > 0):
            return "rigid"
        return "damped"
    c, cs, cl = (np.asarray(v, float) for v in fields)
    compliant = c > 0
    if not np.any(compliant):
        return "rigid"
    if np.any(compliant & ((cs > 0) | (cl > 0))):
        return "damped"
    return "algebraic"


def _all_zero(v) -> bool:
    return _concrete(v) and not np.any(np.asarray(v) != 0)


#: The most stance steps ``auto_stance_steps`` chooses (the damped model's).
MOST_AUTO_STANCE_STEPS = 40


def auto_stance_steps(surface_model: str, push: bool) -> int:
    """Stance steps of the final pass for a contact model: 10 resolve the SLIP to ~1e-11 (DOP853);
    the push ramp needs 20 for ~1e-9; the damped model's 3rd-order ARK3 needs 40 for ~1e-5 (at
    10 it was 2e-3 off the reference, docs/numerics.md has the convergence tables)."""
    return MOST_AUTO_STANCE_STEPS if surface_model == "damped" else 20 if push else 10


def default_options(params: Params, **overrides) -> Options:
    """Options for these parameters: the cheapest surface model that covers them, and the push
    and leg-damping terms switched off when they are zero throughout (concrete values only)."""
    push = not _all_zero(params.push_force_bw)
    model = choose_surface_model(params)
    opts = Options(surface_model=model, push=push, stance_steps=auto_stance_steps(model, push),
                   event_iters=3,
                   plastic=not (_concrete(params.surface_restitution)
                                and np.all(np.asarray(params.surface_restitution) == 1.0)),
                   leg_damping=not _all_zero(params.leg_damping_n_s_per_m))
    return dataclasses.replace(opts, **overrides)


def simulate(params: Params, state: State, n_steps: int = 1, *, options: Options | None = None,
             landing: str | None = None, swing: Swing | None = None,
             placement: tuple | None = None, deadbeat_apex_m=None,
             deadbeat_speed_m_per_s=None, trajectory: bool = False,
             flight_samples: int = 32, stance_samples: int = 40, check: bool = True) -> Run:
    """Simulate ``n_steps`` steps of the spring-mass runner.

    Args:
        params: model parameters (``make_params``), scalars or arrays of one batch shape.
        state: start state in flight (``apex(height, speed)``), scalars or batch arrays.
        n_steps: number of steps (apex to apex); static. A single runner (scalar parameters
            and state) runs on the program of the next of 2, 5, 10, 20, 50, ... steps
            (``batch.step_bucket``) and keeps the first ``n_steps``: ``--steps 7`` and
            ``--steps 9`` share one program.
        options: numerical options; by default the cheapest surface model that covers the
            parameters is chosen (``choose_surface_model``).
        landing: the landing mode, ``"fixed"``, ``"retraction"``, ``"pendulum"``, ``"raibert"``
            or ``"deadbeat"`` (overrides ``options.landing``; MODEL.md §5 and §11,
            ``simsrc.engine.swing``).
        swing: the swinging legs at the start (pendulum mode); by default
            ``simsrc.engine.swing.default_swing`` (leading leg at the angle of attack, at rest).
        placement: Raibert's foot placement (``"raibert"`` mode): ``(gain_s, speed_m_per_s)``,
            the gain K (s, in [0, 2]) on the speed error and the speed v* it aims at (m/s; None:
            the start's horizontal speed), scalars or batch arrays; default ``(0.1, None)``.
            The angle of attack of ``params`` is then unused: each step's is the law's
            (``records.landing_angle_rad`` reports it). In the ``"pendulum"`` mode the law
            aims the hip instead: each step's hip neutral angle is π/2 − α, the law's angle
            relative to the body (``swing.AimedSwing``; ``records.swing`` then carries the
            legs and the law's state).
        deadbeat_apex_m: the ``"deadbeat"`` mode's target apex height y* (m; None: the start's
            height), scalar or batch. The first root finding starts from the angle of attack of
            ``params``; each step reports the angle it found (``records.landing_angle_rad``).
        deadbeat_speed_m_per_s: the ``"deadbeat"`` mode's target apex speed v* (m/s; None: no
            speed target, the energy balance decides the speed), scalar or batch. With it each
            step also solves for the runner's energy control u (``swing.with_energy_control``:
            u > 0 a push of u BW, u < 0 braking by a leg damping of −u √(k m)), which then
            replaces the push and the leg damping of ``params``; the first solve starts from
            them. ``records.swing.control`` reports each step's u, the ledger its work.
        trajectory: also return dense samples (``flight_samples`` per flight phase and
            ``stance_samples + 1`` per stance; the stance is then integrated in that many steps).
        check: validate concrete parameters and state first (raises ``SimsrcInputError``).

    Precision: float64 (simsrc switches it on), or float32 where every array among ``params``
    and ``state`` is float32 and the landing is ``"fixed"`` or ``"retraction"`` (about 1e-6
    relative: for coarse sweeps; docs/numerics.md).

    Returns:
        ``Run`` with ``records`` (``StepRecord``; every leaf has shape ``batch + (n_steps,)``),
        ``trajectory`` (or None), ``final_state`` and the ``options`` used. Failed runs carry
        a non-zero ``records.status`` (see ``simsrc.status``) and NaN after the failure.
    """
    if check:
        check_params(params)
        check_state(state)
    if deadbeat_speed_m_per_s is not None:
        _held_checks(deadbeat_speed_m_per_s, landing or options and options.landing)
    if options is None:
        options = default_options(params)
        if deadbeat_speed_m_per_s is not None:
            options = dataclasses.replace(options, stance_steps=auto_stance_steps(
                options.surface_model, True))
    if deadbeat_speed_m_per_s is not None:
        # the energy control acts through the push and the leg damping: both terms computed
        options = dataclasses.replace(options, push=True, leg_damping=True)
    if landing is not None:
        if landing not in LANDING_MODES:
            from simsrc.errors import SimsrcInputError
            raise SimsrcInputError(f"`landing` must be one of {', '.join(LANDING_MODES)}, "
                                   f"got {landing!r}")
        options = dataclasses.replace(options, landing=landing)
    if trajectory and options.flight_samples == 0:
        options = dataclasses.replace(options, flight_samples=flight_samples,
                                      stance_steps=max(options.stance_steps, stance_samples))
    if not trajectory and options.flight_samples:
        options = dataclasses.replace(options, flight_samples=0)
    dtype = _precision(params, state, options.landing)
    p = as_arrays(params, dtype)
    s = as_arrays(state, dtype) if isinstance(state, State) else State(*as_arrays(State(*state),
                                                                                  dtype))
    p, s, shape = broadcast(p, s)
    legs = None
    if options.landing == "pendulum":
        legs = default_swing(p, s) if swing is None else Swing(*as_arrays(Swing(*swing)))
        legs = Swing(*[jnp.broadcast_to(v, shape) for v in legs])
        shape = jnp.broadcast_shapes(shape, *[jnp.shape(v) for v in legs])
        p, s = broadcast(p, s._replace(x_m=jnp.broadcast_to(s.x_m, shape)))[:2]
        legs = Swing(*[jnp.broadcast_to(v, shape) for v in legs])
        if placement is not None:
            # Raibert's law aims the hip (swing.AimedSwing); it may widen the batch
            law = _placement(p, s, placement)
            shape = jnp.broadcast_shapes(shape, *[jnp.shape(v) for v in law])
            p, s = broadcast(p, s._replace(x_m=jnp.broadcast_to(s.x_m, shape)))[:2]
            legs = AimedSwing(*[type(t)(*[jnp.broadcast_to(v, shape) for v in t])
                                for t in (legs, law)])
    if options.landing in ("raibert", "deadbeat"):
        # the law's state, carried from step to step; it may widen the batch
        legs = (_placement(p, s, (0.1, None) if placement is None else placement)
                if options.landing == "raibert" else
                _deadbeat(p, s, deadbeat_apex_m, deadbeat_speed_m_per_s))
        shape = jnp.broadcast_shapes(shape, *[jnp.shape(v) for v in legs])
        p, s = broadcast(p, s._replace(x_m=jnp.broadcast_to(s.x_m, shape)))[:2]
        legs = type(legs)(*[jnp.broadcast_to(v, shape) for v in legs])
    if deadbeat_apex_m is not None and options.landing != "deadbeat":
        from simsrc.errors import SimsrcInputError
        raise SimsrcInputError("`deadbeat_apex_m` is the deadbeat foot placement's target: it "
                               "needs landing='deadbeat'")
    if placement is not None and options.landing not in ("raibert", "pendulum"):
        from simsrc.errors import SimsrcInputError
        raise SimsrcInputError("`placement` is Raibert's foot placement: it needs "
                               "landing='raibert' (or 'pendulum': the hip aims the swinging "
                               "leg at the law's angle)")
    if shape == () and n_steps > 1:
        # one program per step bucket (batch.step_bucket), its first n_steps kept
        size = step_bucket(n_steps)
        recs, trajs, final = stored.call("run_upto", (size, options),
                                         _bound_upto(size, options), p, s, legs,
                                         jnp.int32(n_steps))
        if size != n_steps:
            recs, trajs = jax.tree_util.tree_map(lambda v: v[:n_steps], (recs, trajs))
    elif shape == ():
        recs, trajs, final = stored.call("run", (n_steps, options),
                                         _bound(_run_jit, n_steps, options), p, s, legs)
    else:
        n = int(np.prod(shape))
        flat_input = len(shape) == 1
        if not flat_input:
            p, s, legs = jax.tree_util.tree_map(lambda v: v.reshape(-1), (p, s, legs))
        flat = _pad((p, s, legs), n)
        recs, trajs, final = stored.call("run_batch", (n_steps, options),
                                         _bound(_run_batch, n_steps, options), *flat)
        if not (flat_input and bucket_size(n) == n):
            # (a flat batch of a bucket's size comes back as it is, without this dispatch)
            recs, trajs, final = _unpad(n, tuple(shape), (recs, trajs, final))
    final_swing = None
    if options.landing == "pendulum":
        final_swing = jax.tree_util.tree_map(lambda v: v[..., -1], recs.swing)
        if isinstance(final_swing, AimedSwing):
            final_swing = final_swing.legs
    return Run(recs, trajs, final, options, final_swing)


def _precision(params, state, landing: str):
    """The dtype a run computes in: float32 where every array among the parameters and the
    state is float32 (Python numbers do not count) and the landing angle is fixed or retracted;
    otherwise None, the process's default (float64 once simsrc has set it). The feedback
    modes' solvers and the swinging legs compute in float64."""
    leaves = jax.tree_util.tree_leaves((tuple(params), tuple(state)))
    dtypes = {np.dtype(v.dtype) for v in leaves if hasattr(v, "dtype")}
    if dtypes == {np.dtype(np.float32)} and landing in ("fixed", "retraction"):
        return jnp.float32
    return None


def _held_checks(speed, landing):
    """The held-speed deadbeat mode's speed target: the deadbeat mode, and > 0 where concrete."""
    from simsrc.errors import SimsrcInputError

    if landing != "deadbeat":
        raise SimsrcInputError("`deadbeat_speed_m_per_s` is the deadbeat foot placement's speed "
                               "target: it needs landing='deadbeat'")
    try:
        bad = not bool(np.all(np.asarray(speed, float) > 0))
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        bad = False                        # traced (under jit or grad): not checked here
    if bad:
        raise SimsrcInputError(f"deadbeat_speed_m_per_s must be > 0 m/s, got "
                               f"{np.asarray(speed).tolist()!r}")


def _deadbeat(p, s, apex_m, speed):
    """The ``"deadbeat"`` mode's state at the start: the angle of attack of ``p`` as the first
    guess, the target apex height (the start's where None) and, with a speed target, the energy
    control of ``p`` (its push in BW, or minus its leg damping in √(k m))."""
    y_aim = s.y_m if apex_m is None else jnp.asarray(apex_m, float)
    if speed is None:
        return Deadbeat(p.angle_of_attack_rad, y_aim)
    u = jnp.where(p.push_force_bw > 0, p.push_force_bw,
                  -p.leg_damping_n_s_per_m / jnp.sqrt(p.leg_stiffness_n_per_m * p.mass_kg))
    return HeldDeadbeat(p.angle_of_attack_rad, u, y_aim, jnp.asarray(speed, float))


def _placement(p, s, placement) -> Placement:
    """The ``"raibert"`` mode's state at the start: the leg spring's half period π√(m/k) as the
    last contact time, the gain and the aim (the start's speed where None); checked."""
    from simsrc.errors import SimsrcInputError

    try:
        gain, aim = placement
    except (TypeError, ValueError):
        raise SimsrcInputError("`placement` must be (gain_s, speed_m_per_s), got "
                               f"{placement!r}") from None
    aim = s.vx_m_per_s if aim is None else aim
    gain, aim = jnp.asarray(gain, float), jnp.asarray(aim, float)
    for name, v, ok, allowed in (("gain_s", gain, lambda v: (v >= 0) & (v <= 2), "in [0, 2] s"),
                                 ("speed_m_per_s", aim, lambda v: v > 0, "> 0 m/s")):
        try:
            bad = not bool(np.all(ok(np.asarray(v))))
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
            bad = False                    # traced (under jit or grad): not checked here
        if bad:
            raise SimsrcInputError(f"placement {name} must be {allowed}, got "
                                   f"{np.asarray(v).tolist()!r}")
    tau = jnp.pi * jnp.sqrt(p.mass_kg / p.leg_stiffness_n_per_m)
    return Placement(tau, gain, aim)


def _pad(tree, n: int):
    """Flat batch leaves of length ``n`` padded to ``batch.bucket_size(n)`` by repeating the
    last element: one compiled program serves every batch size up to the bucket."""
    extra = bucket_size(n) - n
    if extra == 0:
        return tree
    return _pad_rows(extra, tree)


# The padding and its removal are one small program each (per batch size), not one eager op per
# leaf (~60 for a run's records): ``simulate`` on a batch of 1,000 canonical strides took
# 14.7-17 ms with the eager ops and takes 7.8-8.3 ms (benchmarks/README.md, "Engine").
@functools.partial(jax.jit, static_argnums=0)
def _pad_rows(extra: int, tree):
    return jax.tree_util.tree_map(
        lambda v: jnp.concatenate([v, jnp.repeat(v[-1:], extra, axis=0)]), tree)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _unpad(n: int, shape: tuple, tree):
    """The first ``n`` rows of every leaf, the flat batch axis reshaped to ``shape``."""
    return jax.tree_util.tree_map(lambda v: v[:n].reshape(shape + v.shape[1:]), tree)


def _run(p, s, n_steps, options, swing=None):
    return run(p, s, n_steps, options, swing)


_run_jit = jax.jit(_run, static_argnums=(2, 3))
_run_batch = jax.jit(jax.vmap(_run, in_axes=(0, 0, None, None, 0)), static_argnums=(2, 3))


@functools.lru_cache(maxsize=64)
def _bound_upto(n_steps, options):
    """``run`` of ``n_steps`` steps of which the first ``n_active`` (an argument) count, jitted
    (``_bound``'s counterpart for a single runner's padded step count)."""
    return jax.jit(lambda p, s, legs, n_active: run(p, s, n_steps, options, legs, n_active))


@functools.lru_cache(maxsize=64)
def _bound(fn, n_steps, options):
    """``fn`` with its static arguments bound, jitted: what ``stored.call`` exports (the stored
    program is then compiled with the XLA options of ``options.compile_profile``; this jit
    itself, used where programs are not stored, with XLA's defaults)."""
    return jax.jit(lambda p, s, legs: fn(p, s, n_steps, options, legs))
