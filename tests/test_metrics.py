"""Stride metrics (simsrc.metrics.steps): formulas, the impulse law, the sine-wave estimator, the
steady-state verdict and human-like numbers.

Published ranges used in ``test_human_numbers_in_published_ranges`` (endurance running at
3-4 m/s, recreational and trained runners):

- contact time 0.18-0.30 s and flight time 0.06-0.15 s: Cavanagh & Kram 1989 (Med Sci Sports
  Exerc 21:467), Weyand et al. 2000 (J Appl Physiol 89:1991, about 0.2 s at 4 m/s), Morin et al.
  2005 (J Appl Biomech 21:167, 0.2-0.3 s at 3.3-6.7 m/s);
- cadence 150-200 steps/min (step frequency 2.5-3.3 Hz): Cavanagh & Kram 1989 (stride
  frequency about 1.4-1.5 Hz at 3.8 m/s, i.e. 170-180 steps/min);
- peak vertical ground force 2.0-3.0 body weights: Cavanagh & Lafortune 1980 (J Biomech 13:397,
  about 2.5-2.8 BW at 4.5 m/s), Keller et al. 1996 (Clin Biomech 11:253, 2.0-2.9 BW at 3-6 m/s);
- leg stiffness 7-16 kN/m and vertical stiffness 20-50 kN/m: Farley & Gonzalez 1996 (J Biomech
  29:181, k_leg about 11 kN/m and constant with speed), McMahon & Cheng 1990, Morin et al. 2005
  (k_leg about 8-12 kN/m, k_vert about 20-40 kN/m from the sine-wave method);
- duty factor 0.3-0.45 per foot: the running range (a walk has > 0.5).

The ranges are deliberately wide: the spring-mass model has no swing leg, no arms and a single
stiffness, and the test's job is to show that its default runner lands among humans, not to fit
one of them.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import simsrc
from simsrc.engine import status
from simsrc.engine.ledger import Ledger
from simsrc.metrics.steps import (StepMetrics, morin_estimate, steady_state, step_metrics,
                            summary_table)
from simsrc.engine.params import State
from simsrc.engine.step import StepRecord
import gait_cases as cases

# ----------------------------------------------------------------------------- a hand-made step

M, G, L0 = 80.0, 10.0, 1.0
P_HAND = simsrc.canonical_params(mass_kg=M, leg_length_m=L0, gravity_m_per_s2=G)


def hand_record():
    """A step with round numbers (g = 10 m/s², level ground), consistent by construction:
    apex (0, 1.0, 5, 0) -> 0.1 s flight -> touchdown (0.5, 0.95, 5, -1), foot at x = 0.8 ->
    0.2 s stance -> liftoff (1.5, 0.95, 5, 1) -> 0.1 s flight -> apex (2.0, 1.0, 5, 0)."""
    zero = 0.0
    led = Ledger(*([zero] * len(Ledger._fields)))._replace(
        leg_elastic_peak_j=125.0, leg_elastic_returned_j=100.0, leg_elastic_unreturned_j=25.0,
        leg_damping_loss_j=10.0, push_positive_j=40.0, push_negative_j=-5.0,
        surface_elastic_peak_j=20.0, surface_elastic_returned_j=12.0, hip_swing_work_j=3.0,
        hip_swing_positive_j=5.0, hip_swing_negative_j=-2.0, residual_j=1e-9)
    rec = StepRecord(
        status=jnp.int32(0), touchdown_time_s=0.1, contact_time_s=0.2, flight_time_s=0.1,
        touchdown=State(0.5, 0.95, 5.0, -1.0), liftoff=State(1.5, 0.95, 5.0, 1.0),
        end=State(2.0, 1.0, 5.0, 0.0), foot_x_m=0.8, peak_leg_force_n=2500.0,
        peak_vertical_force_n=2400.0, min_com_height_m=0.9, max_leg_compression_m=0.1,
        vertical_impulse_n_s=M * G * 0.4, horizontal_impulse_n_s=0.0,
        braking_impulse_n_s=-15.0, propulsive_impulse_n_s=15.0, mid_stance_time_s=0.06,
        surface_peak_sink_m=0.0, footprint_depth_m=0.0, ledger=led,
        landing_angle_rad=math.atan2(0.3, 0.95), swing=None)
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float64)
                                  if not isinstance(v, jax.Array) else v, rec)


def test_hand_computed_step():
    m = step_metrics(P_HAND, hand_record())
    m = {f: float(getattr(m, f)) for f in StepMetrics._fields}
    weight = M * G
    expected = {
        "step_time_s": 0.4, "step_length_m": 2.0, "speed_m_per_s": 5.0,
        "step_frequency_hz": 2.5, "cadence_steps_per_min": 150.0,
        "contact_time_s": 0.2, "flight_time_s": 0.2, "duty_factor": 0.25,
        "contact_fraction": 0.5, "apex_height_m": 1.0, "apex_speed_m_per_s": 5.0,
        "peak_vertical_force_bw": 3.0, "mean_vertical_force_n": 1600.0,
        "mean_vertical_force_bw": 2.0, "braking_impulse_n_s": -15.0,
        "propulsive_impulse_n_s": 15.0, "net_horizontal_impulse_n_s": 0.0,
        "com_max_height_m": 1.0, "com_min_height_m": 0.9, "com_vertical_oscillation_m": 0.1,
        "vertical_ratio": 0.05, "com_drop_in_stance_m": 0.05, "leg_compression_m": 0.1,
        "landing_angle_deg": math.degrees(math.atan2(0.95, 0.3)),
        "liftoff_angle_deg": math.degrees(math.atan2(0.95, 0.7)),
        # lab: sin(theta) = v t_c / (2 L0) = 0.5, dL = dy + L0 (1 - cos theta)
        "leg_stiffness_n_per_m": 2400.0 / (0.05 + 1.0 - math.sqrt(0.75)),
        "vertical_stiffness_n_per_m": 2400.0 / 0.05,
        "leg_stiffness_direct_n_per_m": 25000.0,
        # Morin: F = m g pi/2 (tf/tc + 1) = 800 pi; dy = F tc^2/(m pi^2) - g tc^2/8
        "morin_peak_force_n": 800.0 * math.pi,
        "morin_com_drop_m": 800.0 * math.pi * 0.04 / (M * math.pi**2) - G * 0.04 / 8,
        "leg_energy_return_ratio": 0.8, "surface_energy_return_ratio": 0.6,
        # W+ = leg returned + surface returned + push positive + hip positive
        "positive_work_j": 100.0 + 12.0 + 40.0 + 5.0,
        # muscle: push 40 + hip 5 positive; push 5 + leg damping 10 + hip 2 negative
        "muscle_positive_work_j": 45.0, "muscle_negative_work_j": 17.0,
        "mechanical_cost_of_transport": 157.0 / (weight * 2.0),
        "mechanical_work_j_per_kg_per_m": 157.0 / (M * 2.0),
        # 45 J / 0.25 + 17 J / 1.2 (Margaria 1968)
        "metabolic_energy_j": 180.0 + 17.0 / 1.2,
        "metabolic_cost_j_per_kg_per_m": (180.0 + 17.0 / 1.2) / (M * 2.0),
        "energy_residual_j": 1e-9,
    }
    dy_morin = expected["morin_com_drop_m"]
    dl_morin = 1.0 - math.sqrt(1.0 - 0.25) + dy_morin
    expected["morin_leg_compression_m"] = dl_morin
    expected["morin_vertical_stiffness_n_per_m"] = 800.0 * math.pi / dy_morin
    expected["morin_leg_stiffness_n_per_m"] = 800.0 * math.pi / dl_morin
    expected["leg_sweep_angle_deg"] = (180.0 - expected["landing_angle_deg"]
                                       - expected["liftoff_angle_deg"])
    for name, value in expected.items():
        assert m[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name
    assert m["status"] == 0


def test_metrics_work_under_jit_and_on_runs():
    """Elementwise: a run's records (n_steps,) and a batch (b, n_steps) go through unchanged,
    under jit too, and equal the per-step values."""
    rec = hand_record()
    run = jax.tree_util.tree_map(lambda v: jnp.stack([v, v, v]), rec)
    batch = jax.tree_util.tree_map(lambda v: jnp.stack([v, v]), run)
    pb = P_HAND._replace(mass_kg=jnp.array([M, 2 * M]))
    one = step_metrics(P_HAND, rec)
    many = jax.jit(step_metrics)(pb, batch)
    assert many.speed_m_per_s.shape == (2, 3)
    np.testing.assert_allclose(many.cadence_steps_per_min, 150.0, rtol=1e-14)
    np.testing.assert_allclose(many.metabolic_cost_j_per_kg_per_m[0],
                               one.metabolic_cost_j_per_kg_per_m, rtol=1e-14)
    np.testing.assert_allclose(many.metabolic_cost_j_per_kg_per_m[1],
                               0.5 * one.metabolic_cost_j_per_kg_per_m, rtol=1e-14)


def test_morin_estimate_of_a_true_sine():
    """For an exactly sinusoidal vertical force F(t) = F_max sin(pi t / t_c) of a vertical
    bouncer (v = 0), the estimator returns the true F_max and the true COM drop (closed form)."""
    m, g, tc, tf = 70.0, 9.81, 0.25, 0.12
    f_max = m * g * (tc + tf) / (2 * tc / math.pi)     # impulse balance over a step
    # COM drop from touchdown to mid-stance under F - m g, with vy(mid) = 0:
    w = math.pi / tc
    dy_true = f_max / (m * w**2) - g * (tc / 2) ** 2 / 2
    out = morin_estimate(m, 1.0, 0.0, tc, tf, g)
    assert float(out[0]) == pytest.approx(f_max, rel=1e-14)
    assert float(out[1]) == pytest.approx(dy_true, rel=1e-12)
    assert float(out[2]) == pytest.approx(dy_true, rel=1e-12)   # v = 0: no leg sweep


# ----------------------------------------------------------------------------- laws on a gait

def _gait_metrics(energy, **kw):
    g = cases.gait(energy, **kw)
    assert bool(g.converged)
    r = cases.run_from_gait(g, **kw)
    p = cases.params(**kw)
    return g, p, r, step_metrics(p, r.records)


def test_impulse_law_over_a_periodic_step():
    """MODEL.md §10: over a steady step on level ground the stance-average vertical force in
    body weights is (t_c + t_f)/t_c and the net horizontal impulse is zero."""
    _, _, r, m = _gait_metrics(cases.canonical_energy(), **cases.CANONICAL)
    assert np.all(np.asarray(r.records.status) == status.OK)
    tc, tf = np.asarray(m.contact_time_s), np.asarray(m.flight_time_s)
    np.testing.assert_allclose(m.mean_vertical_force_bw, (tc + tf) / tc, rtol=1e-9)
    braking = np.abs(np.asarray(m.braking_impulse_n_s))
    assert np.all(braking > 10.0)                                 # there is braking ...
    assert np.all(np.abs(np.asarray(m.net_horizontal_impulse_n_s)) < 1e-6 * braking)  # ... undone
    # and a periodic step is symmetric: landing angle = liftoff angle = alpha
    np.testing.assert_allclose(m.landing_angle_deg, 68.0, rtol=1e-12)
    np.testing.assert_allclose(m.liftoff_angle_deg, 68.0, rtol=1e-8)


@pytest.mark.parametrize("case", ["canonical", "human"])
def test_morin_recovers_vertical_stiffness(case):
    """MODEL.md §10: the sine-wave estimate recovers the vertical stiffness F_max/Δy of a
    simulated rigid-ground SLIP closely. Tolerance 2 %: the estimator's only approximation is a
    half-sine force (exact for a vertical spring-mass, slightly flattened by the leg's sweep;
    the error here is ~0.1 %); Morin et al. 2005 report their method within a few per cent of
    force-plate values, and a formula slip (a factor π/2, t_f vs t_c) moves it by > 20 %."""
    if case == "canonical":
        _, _, _, m = _gait_metrics(cases.canonical_energy(), **cases.CANONICAL)
    else:
        _, _, _, m = _gait_metrics(cases.human_energy(), **cases.HUMAN)
    k_lab = float(m.vertical_stiffness_n_per_m[0])
    assert float(m.morin_vertical_stiffness_n_per_m[0]) == pytest.approx(k_lab, rel=0.02)
    assert float(m.morin_peak_force_n[0]) == pytest.approx(float(m.peak_vertical_force_n[0]),
                                                           rel=0.02)
    assert float(m.morin_leg_stiffness_n_per_m[0]) == pytest.approx(
        float(m.leg_stiffness_n_per_m[0]), rel=0.02)
    # and the direct leg stiffness of a spring leg on rigid ground is the spring's k
    k = cases.CANONICAL["leg_stiffness_n_per_m"] if case == "canonical" else \
        cases.HUMAN["leg_stiffness_n_per_m"]
    assert float(m.leg_stiffness_direct_n_per_m[0]) == pytest.approx(k, rel=1e-7)


def test_conservative_gait_energetics():
    """No losses, no push: all the spring energy comes back, the muscles do nothing, and the
    positive work is the spring's return (Cavagna's external work of a spring-mass)."""
    _, _, r, m = _gait_metrics(cases.canonical_energy(), **cases.CANONICAL)
    np.testing.assert_allclose(m.leg_energy_return_ratio, 1.0, rtol=1e-12)
    np.testing.assert_allclose(m.metabolic_cost_j_per_kg_per_m, 0.0, atol=1e-15)
    np.testing.assert_allclose(m.positive_work_j, r.records.ledger.leg_elastic_peak_j, rtol=1e-12)
    assert np.all(np.abs(np.asarray(m.energy_residual_j)) < 1e-6)


def test_human_numbers_in_published_ranges():
    """The default human runner (tests/gait_cases.py HUMAN, rigid ground standing in for firm
    ground) on its periodic gait: every number inside the published ranges of the module
    docstring."""
    g, _, _, m = _gait_metrics(cases.human_energy(), **cases.HUMAN)
    assert bool(g.stable)
    one = {f: float(np.asarray(getattr(m, f))[0]) for f in StepMetrics._fields}
    assert 3.0 <= one["speed_m_per_s"] <= 4.0
    assert 0.18 <= one["contact_time_s"] <= 0.30
    assert 0.06 <= one["flight_time_s"] <= 0.15
    assert 150.0 <= one["cadence_steps_per_min"] <= 200.0
    assert 2.0 <= one["peak_vertical_force_bw"] <= 3.0
    assert 7e3 <= one["leg_stiffness_n_per_m"] <= 16e3
    assert 20e3 <= one["vertical_stiffness_n_per_m"] <= 50e3
    assert 7e3 <= one["morin_leg_stiffness_n_per_m"] <= 16e3
    assert 0.3 <= one["duty_factor"] <= 0.45


# ----------------------------------------------------------------------------- steady state

def test_steady_state_of_a_converging_run():
    """The canonical runner from 1 m / 5 m/s settles on its stable gait (|λ| ≈ 0.16): the
    run converges within a few steps and the averaged metrics are the gait's."""
    p = cases.params(**cases.CANONICAL)
    r = cases.run(simsrc.apex(1.0, 5.0), **cases.CANONICAL)
    ss = steady_state(p, r.records, last_steps=3, tol=1e-6)
    assert bool(ss.converged) and not bool(ss.fell) and not bool(ss.diverging)
    assert 2 <= int(ss.steps_to_converge) <= cases.N_STEPS - 3
    g = cases.gait(cases.canonical_energy(), **cases.CANONICAL)
    assert float(ss.metrics.apex_height_m) == pytest.approx(float(g.apex_height_m), rel=1e-6)
    assert int(ss.status) == status.OK and int(ss.failed_step) == -1


def test_steady_state_flags_a_fall():
    """Far outside the stable band (k = 20 kN/m at α = 76°) the runner loses its footing: the
    failure is reported with its step, and the run counts as diverging, never converged."""
    kw = dict(cases.CANONICAL, angle_of_attack_deg=76.0)
    p = cases.params(**kw)
    r = cases.run(simsrc.apex(1.0, 5.0), **kw)
    ss = steady_state(p, r.records, last_steps=3)
    assert bool(ss.fell) and bool(ss.diverging) and not bool(ss.converged)
    assert int(ss.status) != status.OK
    k = int(ss.failed_step)
    assert 0 <= k < cases.N_STEPS and int(np.asarray(r.records.status)[k]) != status.OK
    assert math.isnan(float(ss.metrics.speed_m_per_s))


def test_summary_table_is_plain_python():
    p = cases.params(**cases.CANONICAL)
    r = cases.run(simsrc.apex(1.0, 5.0), **cases.CANONICAL)
    tab = summary_table(p, r, last_steps=3, tol=1e-6)
    assert tab["status_name"] == "ok" and tab["converged"] is True
    assert isinstance(tab["steps_to_converge"], int)
    assert set(tab["steady"]) == set(StepMetrics._fields)
    assert all(type(v) in (int, float) for v in tab["steady"].values())
    assert len(tab["steps"]) == cases.N_STEPS
    assert tab["steps"][-1]["contact_time_s"] == pytest.approx(
        tab["steady"]["contact_time_s"], rel=1e-6)


# ----------------------------------------------------------------------- steps that are not physical

def test_a_step_whose_ledger_does_not_close_is_a_failure_and_so_are_the_later_ones():
    from simsrc.metrics.summary import LEDGER_TOLERANCE, METRIC_NAMES, checked_status, summarize
    ok, fall = status.OK, status.FALL
    st = np.array([[ok, ok, ok], [ok, ok, ok], [ok, fall, fall], [ok, ok, ok]])
    scale = np.full((4, 3), 1000.0)
    resid = np.zeros((4, 3))
    resid[1, 1] = 8e19                               # the case: absurd, and later steps
    resid[3, 0] = np.nan                             # a NaN residual is not a closed ledger
    resid[0, 2] = 0.5 * LEDGER_TOLERANCE * 1000.0    # inside the tolerance: still ok
    got = checked_status(st, resid, scale)
    lo = status.LEDGER_OPEN
    np.testing.assert_array_equal(got, [[ok, ok, ok], [ok, lo, lo], [ok, fall, fall],
                                        [lo, lo, lo]])
    # such steps never enter the means
    speed = np.array([[3.0, 3.0, 3.0], [3.0, 4.6e7, 4.6e7], [3.0, 9.0, 9.0], [5.0, 5.0, 5.0]])
    metrics = {"status": got, **{n: np.ones((4, 3)) for n in METRIC_NAMES}}
    metrics["speed_m_per_s"] = speed
    out = summarize(metrics)
    np.testing.assert_allclose(out["mean_speed_m_per_s"][:3], [3.0, 3.0, 3.0])
    assert np.isnan(out["mean_speed_m_per_s"][3])
    np.testing.assert_array_equal(out["run_status"], [ok, lo, fall, lo])
    assert status.name(lo) == "ledger_open"


def test_real_steps_keep_their_status_and_their_ledger_scale_is_the_step_energy():
    """The canonical SLIP's steps are ok after the check, and the energy scale the check uses
    is the step's mechanical energy at its start plus the leg's peak store (no surface, push)."""
    from simsrc.metrics.summary import _metrics_of, run_metrics
    p = simsrc.canonical_params()
    out = simsrc.simulate(p, simsrc.apex(1.0, 5.0), n_steps=2)
    m, _ = run_metrics(out.records, p)
    assert np.all(m["status"] == status.OK)
    led = out.records.ledger
    expect = (np.asarray(led.kinetic_horizontal_start_j) + np.asarray(led.kinetic_vertical_start_j)
              + np.abs(np.asarray(led.gravitational_start_j)) + np.asarray(led.leg_elastic_peak_j))
    np.testing.assert_allclose(np.asarray(_metrics_of(p, out.records)["energy_scale_j"]), expect,
                               rtol=1e-12)


@pytest.mark.slow   # its own 3-step batch program (about 20 s cold); CI runs it
def test_a_run_as_a_pandas_table_and_an_xarray_dataset():
    """``Run.to_dataframe()`` / ``to_xarray()`` (issue "the newcomer's path"): the records as a
    table, one row per (runner,) step, and as a labelled dataset; every value is the record's
    own (compared here field by field), and the units travel with the names."""
    import numpy as np

    p = simsrc.canonical_params()._replace(leg_stiffness_n_per_m=np.array([20e3, 25e3]))
    run = simsrc.simulate(p, simsrc.apex(1.0, 5.0), 3)
    df = run.to_dataframe()
    assert df.index.names == ["runner", "step"] and len(df) == 6
    rec = run.records
    np.testing.assert_array_equal(df["contact_time_s"].to_numpy(),
                                  np.asarray(rec.contact_time_s).reshape(-1))
    np.testing.assert_array_equal(df.loc[(1, 2), "touchdown_vx_m_per_s"],
                                  np.asarray(rec.touchdown.vx_m_per_s)[1, 1])
    np.testing.assert_array_equal(df["ledger_residual_j"].to_numpy(),
                                  np.asarray(rec.ledger.residual_j).reshape(-1))
    assert set(df["status_name"]) == {"ok"}
    one = simsrc.simulate(simsrc.canonical_params(), simsrc.apex(1.0, 5.0), 3).to_dataframe()
    assert one.index.name == "step" and list(one.index) == [1, 2, 3]
    ds = run.to_xarray()
    assert ds["contact_time_s"].dims == ("runner", "step")
    assert ds["contact_time_s"].attrs["units"] == "s"
    assert ds["touchdown_vx_m_per_s"].attrs["units"] == "m/s"
    assert ds["vertical_impulse_n_s"].attrs["units"] == "N s"
    np.testing.assert_array_equal(ds["peak_vertical_force_n"].values,
                                  np.asarray(rec.peak_vertical_force_n))
    assert run.to_xarray()["status_name"].values[1, 0] == "ok"
