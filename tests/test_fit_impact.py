"""The two-mass force-curve fit (``simsrc.fit.impact_force``): it recovers the parameters of a
curve made by the model itself, it reaches the issue's accuracy target on a measured mean
curve, and the impact measures of sampled curves follow the rules of ``impact.ImpactMetrics``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2
from simsrc.errors import SimsrcInputError
from simsrc.fit import impact_force as fi
from simsrc.fit.force import force_curve_from_stance, make_force_curve
from simsrc.fit.solver import CONVERGED
from simsrc.measured.contacts import detect_steps, mean_stance_curve
from simsrc.measured.datasets import data_path
from simsrc.measured.forceplate import read_force_c3d

MASS_KG, LEG_M = 62.0, 0.53 * 1.81
TRUTH = {"leg_stiffness_n_per_m": 11e3, "leg_damping_n_s_per_m": 60.0,
         "angle_of_attack_rad": math.radians(69.0), "touchdown_vy_m_per_s": -0.6,
         "foot_mass_fraction": 0.08, "foot_vy_m_per_s": -1.0, "contact_stiffness": 60e3,
         "contact_exponent": 1.0, "contact_damping_s_per_m": 0.5,
         "touchdown_offset_s": 0.003}


def synthetic_curve(values, speed=3.5, options=fi.ImpactFitOptions()):
    """The model's own curve on a measured-like grid: 101 samples from the detected touchdown
    to the model's last non-zero vertical force (the foot lifted off its contact), with the
    zero-force extension (``make_force_curve``)."""
    runner = fi.Runner(MASS_KG, LEG_M, speed)
    t, fv, fh, s = fi.model_curves(values, runner, options)
    tc = float(np.asarray(t)[np.nonzero(np.asarray(fv) > 0)[0][-1]])
    ts = np.linspace(0.0, tc, 101)
    bw = MASS_KG * STANDARD_GRAVITY_M_PER_S2
    fv_s = np.interp(ts, np.asarray(t), np.asarray(fv)) * bw
    fh_s = np.interp(ts, np.asarray(t), np.asarray(fh)) * bw
    return make_force_curve(ts, fv_s, fh_s, body_weight_n=bw, speed_m_per_s=speed,
                            contact_time_s=tc, flight_time_s=0.12)


def test_recovers_known_parameters_from_a_noise_free_model_curve():
    """Noise-free data from the model (heel-strike-like values; the eight default parameters
    and the leg damping fitted):
    started 10-40 % away, the fit returns the truth to 1e-6 relative (measured: 4e-8 at
    most) with a residual RMS below 1e-7 BW (measured 2e-9)."""
    curve = synthetic_curve(TRUTH)
    start = {"leg_stiffness_n_per_m": 12.5e3, "leg_damping_n_s_per_m": 90.0,
             "angle_of_attack_rad": math.radians(67.5), "touchdown_vy_m_per_s": -0.5,
             "foot_mass_fraction": 0.06, "foot_vy_m_per_s": -0.8, "contact_stiffness": 45e3,
             "contact_damping_s_per_m": 0.4, "touchdown_offset_s": 0.002}
    res = fi.fit_impact_curve(curve, mass_kg=MASS_KG, leg_length_m=LEG_M, starts=1,
                              free=fi.DEFAULT_IMPACT_FREE + ("leg_damping_n_s_per_m",),
                              initial=start, max_iterations=100)
    assert int(res.status) == CONVERGED
    rv, rh = fi.impact_rms_bw(res, curve)
    assert rv < 1e-7 and rh < 1e-7
    for name, value in zip(res.names, res.value):
        assert abs(value - TRUTH[name]) < 1e-6 * abs(TRUTH[name]), (name, value, TRUTH[name])
    assert np.all(np.isfinite(res.stderr))


def test_recovers_a_push_from_a_noise_free_model_curve():
    """The same with the active push (0.3 BW, ramp 20°; ``ImpactOptions.push`` switched on
    by ``with_push`` because the push is fitted): started 10-40 % away (push 0.2 BW), the fit
    returns the truth to 1e-6 relative (measured: 1.5e-10 at most, 12 iterations), and the
    fitted stance's push does positive work (measured 20.8 J) that the ledger books."""
    truth = dict(TRUTH, leg_damping_n_s_per_m=0.0, push_force_bw=0.3)
    options = fi.with_push(fi.ImpactFitOptions(), ("push_force_bw",), None)
    assert options.stance.push and not fi.ImpactFitOptions().stance.push
    curve = synthetic_curve(truth, options=options)
    start = {"leg_stiffness_n_per_m": 12.5e3, "angle_of_attack_rad": math.radians(67.5),
             "touchdown_vy_m_per_s": -0.5, "foot_mass_fraction": 0.06,
             "foot_vy_m_per_s": -0.8, "contact_stiffness": 45e3,
             "contact_damping_s_per_m": 0.4, "touchdown_offset_s": 0.002,
             "push_force_bw": 0.2}
    res = fi.fit_impact_curve(curve, mass_kg=MASS_KG, leg_length_m=LEG_M, starts=1,
                              free=fi.DEFAULT_IMPACT_FREE + ("push_force_bw",),
                              initial=start, max_iterations=100)
    assert int(res.status) == CONVERGED
    for name, value in zip(res.names, res.value):
        assert abs(value - truth[name]) < 1e-6 * abs(truth[name]), (name, value, truth[name])
    out = fi.impact_summary(res, curve, mass_kg=MASS_KG, leg_length_m=LEG_M)
    assert out["push_work_j"] > 1.0 and abs(out["ledger_residual_j"]) < 1e-3


def test_standard_errors_match_the_scatter_of_noisy_fits():
    """Eight noisy copies (0.02 BW white noise on each force, about the mean curve's
    residual) of a model curve: every fitted parameter is within 4 s.e. of the truth, the
    truth's z-scores have an RMS near 1 (0.6-1.4; measured 0.87 over 12 copies, largest
    |z| 3.0) and the residual s.d. recovers the noise (measured 0.016-0.021 BW)."""
    truth = dict(TRUTH, leg_damping_n_s_per_m=0.0)
    curve = synthetic_curve(truth)
    w = np.asarray(curve.weight) > 0
    z, sd = [], []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        noisy = curve._replace(vertical_bw=curve.vertical_bw + w * rng.normal(0, 0.02, w.size),
                               horizontal_bw=curve.horizontal_bw
                               + w * rng.normal(0, 0.02, w.size))
        res = fi.fit_impact_curve(noisy, mass_kg=MASS_KG, leg_length_m=LEG_M, starts=4)
        assert int(res.status) == CONVERGED
        z.append([(v - truth[n]) / e for n, v, e in zip(res.names, res.value, res.stderr)])
        sd.append(math.sqrt(float(res.residual_variance)))
    z = np.array(z)
    assert np.all(np.abs(z) < 4.0), z
    assert 0.6 < math.sqrt(np.mean(z ** 2)) < 1.4
    assert 0.016 < np.mean(sd) < 0.024


@pytest.fixture(scope="module")
def fukuchi_35():
    rec = read_force_c3d(data_path("fukuchi2017/RBDS001runT35.c3d"))
    steps = detect_steps(rec)
    return force_curve_from_stance(mean_stance_curve(rec, steps),
                                   body_weight_n=MASS_KG * STANDARD_GRAVITY_M_PER_S2,
                                   speed_m_per_s=3.5,
                                   flight_time_s=float(steps.flight_time_s.mean()))


def test_measured_mean_curve_at_3_5_m_s_within_the_issue_target(fukuchi_35):
    """Issue 12: vertical RMS below 0.06 BW on the mean curve, impact region included, no
    push (the massless fit leaves 0.107 BW with a 1 BW push, 0.145 BW without;
    figures/fit_fukuchi_results.json). Measured here: 0.052 BW vertical, 0.062 horizontal.
    The fitted curve's impact reference point (13 % of the contact time: the mean curve has
    no local maximum in its first 60 ms) is within 0.1 BW of the measured one (measured:
    1.36 against 1.27 BW). Note that this fit's contact is not a heel pad (docs/fitting.md,
    "Impact: the two-mass fit"): the test states the accuracy, not the parameters."""
    res = fi.fit_impact_curve(fukuchi_35, mass_kg=MASS_KG, leg_length_m=LEG_M, starts=8)
    assert int(res.status) == CONVERGED
    rv, rh = fi.impact_rms_bw(res, fukuchi_35)
    assert rv < 0.06
    assert rh < 0.08
    out = fi.impact_summary(res, fukuchi_35, mass_kg=MASS_KG, leg_length_m=LEG_M)
    assert not out["measured_impact"]["found"]
    assert abs(out["model_impact"]["peak_bw"] - out["measured_impact"]["peak_bw"]) < 0.1
    assert abs(out["ledger_residual_j"]) < 1e-3


def test_curve_impact_follows_the_impact_metrics_rules():
    """A piecewise-linear curve: 0 -> 1.2 BW in 20 ms (60 BW/s), a dip to 1.0 BW at 35 ms,
    then 2.4 BW at mid-stance. Peak 1.2 BW at 20 ms, average (20-80 %) and instantaneous
    loading rates 60 BW/s. Without the dip the reference point is the value at 13 % of t_c."""
    t = np.arange(0.0, 0.2001, 0.001)
    f = np.interp(t, [0.0, 0.02, 0.035, 0.1, 0.2], [0.0, 1.2, 1.0, 2.4, 0.0])
    m = fi.curve_impact(t, f, 0.2)
    assert m.found
    assert m.peak_bw == pytest.approx(1.2) and m.peak_time_s == pytest.approx(0.02)
    assert m.average_loading_rate_bw_per_s == pytest.approx(60.0)
    assert m.instantaneous_loading_rate_bw_per_s == pytest.approx(60.0)
    g = np.interp(t, [0.0, 0.1, 0.2], [0.0, 2.4, 0.0])
    n = fi.curve_impact(t, g, 0.2)
    assert not n.found
    assert n.peak_time_s == pytest.approx(0.026) and n.peak_bw == pytest.approx(0.624)


def test_unknown_or_repeated_parameters_are_refused():
    with pytest.raises(SimsrcInputError, match="allowed"):
        fi.resolve_impact_free(("apex_drop_m",))
    with pytest.raises(SimsrcInputError, match="twice"):
        fi.resolve_impact_free(("leg_stiffness_n_per_m", "leg_stiffness_n_per_m"))
    with pytest.raises(SimsrcInputError, match="lower < upper"):
        fi.resolve_impact_free(("contact_stiffness",), {"contact_stiffness": (5.0, 1.0)})
