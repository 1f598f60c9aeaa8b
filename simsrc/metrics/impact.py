"""The impact of a gait's foot strike (MODEL.md §12): the two-mass stance of
``simsrc.engine.impact`` started from a massless gait's touchdown.

The massless runner has no impact peak. Its touchdown (the body's velocity along and normal to
the surface, the landing angle from the surface normal) starts a stance of the runner whose
lower leg has mass, with a foot strike and a shoe from the presets (``FOOT_STRIKES``,
``SHOES``), the gait's leg damping and slope, and a leg stiffness that makes leg and contact in
series the massless runner's leg, and the gait's push (MODEL.md §4; it acts only once the leg
is behind the vertical, long after the impact). Its impact peak and loading rates are this
gait's impact (e6's third panel, ``simsrc run`` with ``[impact] foot_strike``); its contact
time, active peak and liftoff are those of the gait's stance with a lower leg that has mass
(the human runner's heel strike: 0.232 s against the massless gait's 0.237 s; without the push
the stance ended 7 % early).
"""
from __future__ import annotations

import functools

import numpy as np

#: The foot's touchdown velocity of each strike preset was estimated for a body landing at this
#: velocity (m/s, along and normal to the ground: experiments/e9_foot_strike.py's 3.5 m/s and
#: its TOUCHDOWN_VY_M_PER_S); a gait's foot moves relative to its body as the preset's does.
PRESET_BODY_V = (3.5, -0.6)


@functools.lru_cache(maxsize=None)
def _stance():
    """``jit(vmap(impact.stance))`` with the push term (``ImpactOptions(push=True)``: one
    program for gaits with and without a push; a zero push adds exactly nothing) through a
    stored program (``batch.batched_kernel``): a warm `simsrc run configs/human.toml --set
    foot_strike=heel` reads it back instead of tracing it (1.3 s of its 5.5 s warm before,
    cProfile)."""
    from simsrc.engine import batch
    from simsrc.engine import impact as im

    return batch.batched_kernel(im.stance, options=im.ImpactOptions(push=True))


def impact_params(params, n: int, strike: str = "heel", shoe: str = "cushioned"):
    """The two-mass runner (``simsrc.engine.impact``) of each of the ``n`` steady gaits
    (leaves of shape (n,)).

    The foot strike ``strike`` in the shoe ``shoe`` (their presets: e.g. the heel's foot mass
    8 % of body mass, the heel pad and midsole in series); the leg's damping (N·s/m, the
    braking solved downhill) and the slope as the steady gait has them. The leg's stiffness k'
    is set so that leg and contact in series are as stiff as the massless runner's leg on
    rigid ground, 1/k' + 1/k_p = 1/k (the rule of experiments/e9_foot_strike.py): the heel pad
    and shoe are part of the compliance the 11 kN/m leg stands for. The push (force and ramp)
    is the gait's.
    """
    from simsrc.engine import impact as im

    def flat(v):
        return np.broadcast_to(np.asarray(v, float).reshape(-1), (n,)) if np.ndim(v) \
            else np.full(n, float(v))

    k_p, exponent, c_p = im.contact_from_presets(strike, shoe)
    k, m = flat(params.leg_stiffness_n_per_m), flat(params.mass_kg)
    return im.ImpactParams(m, im.FOOT_STRIKES[strike].foot_mass_fraction * m,
                           flat(params.leg_length_m), 1.0 / (1.0 / k - 1.0 / k_p),
                           flat(params.leg_damping_n_s_per_m), flat(k_p), flat(exponent),
                           flat(c_p), flat(params.gravity_m_per_s2), flat(params.slope_rad),
                           flat(params.push_force_bw), flat(params.push_ramp_rad))


def impact_at_touchdown(params, records, ok, strike: str = "heel", shoe: str = "cushioned",
                        every_step: bool = False) -> dict:
    """The two-mass stance from each steady gait's touchdown: impact peak (BW), average and
    instantaneous loading rates (BW/s), the peak's time, the stance's contact time (s), active
    peak (BW), losses, push work and ledger residual (J), and the touchdown it starts from.
    NaN where the slope has no steady gait.

    ``every_step``: from every step's touchdown in ``records`` (``ok`` then has the steps'
    shape: False for a step that did not land), not only the first one's: the impact of each
    step of a transient run (``simsrc run --steps`` with a foot strike).

    The body lands as the steady gait lands: its velocity (along and normal to the slope) and
    landing angle from the surface normal at touchdown of the one steady step in ``records``,
    in the surface frame, where ``impact.py`` tilts gravity by the slope as ``frame.py`` does.
    The foot moves relative to the body as in the heel preset's touchdown: the preset's foot
    velocity less the body velocity it was estimated at (``PRESET_BODY_V``), added to the
    steady gait's body velocity, so a faster descent onto the ground lands the foot faster.
    The stance has the gait's push, which acts only once the leg is behind the vertical
    (MODEL.md §4), long after the impact (~15 ms): the impact measures do not depend on it,
    the later stance (contact time, active peak) does.
    """
    from simsrc.engine import batch
    from simsrc.engine import impact as im

    ok = np.asarray(ok, bool)
    shape = ok.shape
    td_rec = records.touchdown

    def pick(v):
        return np.asarray(v, float) if every_step else np.asarray(v, float)[..., 0]

    # the step's touchdown; where no gait (no landing), the preset's (a finite start; masked)
    vx, vy, beta = (np.where(ok, pick(v), fill).reshape(-1) for v, fill in
                    ((td_rec.vx_m_per_s, PRESET_BODY_V[0]), (td_rec.vy_m_per_s, PRESET_BODY_V[1]),
                     (records.landing_angle_rad, 0.35)))
    preset = im.FOOT_STRIKES[strike]
    foot_vx = vx + preset.foot_vx_m_per_s - PRESET_BODY_V[0]
    foot_vy = vy + preset.foot_vy_m_per_s - PRESET_BODY_V[1]
    p = impact_params(params, vx.size, strike, shoe)
    # padded (``batch.call_padded``): the steady gait's one stance and a run's few steps share
    # one program of 8 rows (simsrc run --steps 6 with a heel strike: 19.1 → 15.9 s cold)
    stance = batch.call_padded(_stance(), vx.size, p,
                               im.touchdown_state(p, beta, vx, vy, foot_vx, foot_vy))
    m, led = stance.metrics, stance.ledger

    def good(v):
        return np.where(ok, np.asarray(v, float).reshape(shape), np.nan)

    return {"impact_peak_bw": good(m.impact_peak_bw),
            "impact_peak_time_s": good(m.impact_peak_time_s),
            "impact_peak_found": np.asarray(m.impact_peak_found).reshape(shape) & ok,
            "impact_loading_rate_bw_per_s": good(m.average_loading_rate_bw_per_s),
            "impact_instantaneous_loading_rate_bw_per_s":
                good(m.instantaneous_loading_rate_bw_per_s),
            "impact_liftoff_found": np.asarray(stance.found).reshape(shape) & ok,
            "impact_ledger_residual_j": good(led.residual_j),
            "impact_collision_j": good(led.collision_j),
            "impact_contact_loss_j": good(led.contact_damping_loss_j),
            "impact_leg_damping_loss_j": good(led.leg_damping_loss_j),
            "impact_push_work_j": good(led.push_work_j),
            "impact_contact_time_s": good(stance.contact_time_s),
            "impact_active_peak_bw": good(m.active_peak_bw),
            "touchdown_vx_m_per_s": good(vx), "touchdown_vy_m_per_s": good(vy),
            "touchdown_foot_vy_m_per_s": good(foot_vy),
            "landing_angle_deg": good(np.degrees(beta))}
