"""Fitting: transforms, the solver against scipy, and parameter recovery from simulated data.

Where the expected numbers come from:
- the solver and its covariance are checked against scipy (``least_squares`` and
  ``curve_fit``'s ``pcov``, an independent implementation of s²(JᵀJ)⁻¹) on a toy problem;
- recovery: data are simulated by ``simsrc.simulate`` (not by the fitting code) from chosen
  "true" parameters, resampled at 300 Hz like the Fukuchi files, with Gaussian noise of
  σ = 20 N (the files' noise, simsrc/data/README.md); the fit must put the truth within 3
  reported standard errors, report a residual SD near the 20 N that was added, and errors
  small enough to be useful (k to 3 %: the spread of leg stiffness between runners is ~20 %,
  Farley & Gonzalez 1996) — so an absurdly large error fails the test;
- stride metrics: the truth is a periodic gait found by ``simsrc.gait.find_gait_1d``.
"""
from __future__ import annotations

import math

import jax
import numpy as np
import pytest

import simsrc
from simsrc.fit.force import fit_force_curve, make_force_curve
from simsrc.fit.solver import CONVERGED, Solution, levenberg_marquardt, uncertainty
from simsrc.fit.stride import fit_stride_metrics, make_stride_data
from simsrc.fit.transforms import Bound, derivative, to_internal, to_natural
from simsrc.gait import find_gait_1d, specific_energy_j_per_kg
from simsrc.metrics.steps import step_metrics

G = 9.81
RATE_HZ = 300.0
NOISE_N = 20.0


# ----------------------------------------------------------------------------- transforms

@pytest.mark.parametrize("bound, theta", [
    (Bound("k", 0.0, math.inf), [1.0, 2e4, 3e-3]),
    (Bound("a", math.radians(30), math.radians(90)), [0.6, 1.2, 1.5]),
    (Bound("x", -math.inf, math.inf), [-2.0, 0.0, 5.0]),
])
def test_transforms_round_trip_and_derivative(bound, theta):
    theta = np.asarray(theta)
    u = to_internal(bound, theta)
    np.testing.assert_allclose(np.asarray(to_natural(bound, u)), theta, rtol=1e-12)
    h = 1e-6
    fd = (np.asarray(to_natural(bound, u + h)) - np.asarray(to_natural(bound, u - h))) / (2 * h)
    np.testing.assert_allclose(derivative(bound, u), fd, rtol=1e-6)


# ----------------------------------------------------------------------------- solver

def _decay_problem(seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 4.0, 40)
    y = 2.5 * np.exp(-1.3 * t) + 0.5 + rng.normal(0.0, 0.05, t.size)
    return t, y


def test_levenberg_marquardt_and_covariance_match_scipy():
    """y = a e^{-b t} + c, a and b positive through log transforms, c free."""
    from scipy.optimize import curve_fit, least_squares

    t, y = _decay_problem()
    bounds = (Bound("a", 0.0, math.inf), Bound("b", 0.0, math.inf), Bound("c", -math.inf,
                                                                          math.inf))

    def evaluate(u):
        a, b, c = np.exp(u[:, 0:1]), np.exp(u[:, 1:2]), u[:, 2:3]
        e = np.exp(-b * t)
        r = a * e + c - y
        jac = np.stack([a * e, -a * b * t * e, np.ones_like(e)], axis=-1)
        return r, jac

    u0 = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 2.0]])  # two starts, both must converge
    sol = levenberg_marquardt(evaluate, u0)
    assert np.all(sol.status == CONVERGED)
    fit = uncertainty(bounds, sol, t.size)

    def model(tt, a, b, c):
        return a * np.exp(-b * tt) + c
    popt, pcov = curve_fit(model, t, y, p0=[1.0, 1.0, 0.0])
    ref = least_squares(lambda p: model(t, *p) - y, [1.0, 1.0, 0.0], xtol=1e-14, ftol=1e-14)
    for row in range(2):
        np.testing.assert_allclose(fit.value[row], ref.x, rtol=1e-7)
        np.testing.assert_allclose(fit.covariance[row], pcov, rtol=1e-5)
        np.testing.assert_allclose(fit.stderr[row], np.sqrt(np.diag(pcov)), rtol=1e-5)
    assert fit.dof[0] == t.size - 3


def test_parameter_on_its_bound_is_held_fixed():
    """A parameter at a bound gets no error; the others get the reduced problem's errors."""
    rng = np.random.default_rng(1)
    jac = rng.normal(size=(1, 30, 3))
    r = rng.normal(size=(1, 30))
    bounds = (Bound("p", 0.0, 2.0), Bound("q", -math.inf, math.inf),
              Bound("s", -math.inf, math.inf))
    u = np.array([[-30.0, 0.3, -0.2]])  # p = 2 σ(-30) ≈ 0: on its lower bound
    sol = Solution(u, r, jac, 0.5 * np.sum(r**2, axis=1), np.array([5]), np.array([CONVERGED]))
    fit = uncertainty(bounds, sol, 30)
    assert bool(fit.at_bound[0, 0]) and np.isnan(fit.stderr[0, 0])
    sub = jac[0][:, 1:]
    s2 = np.sum(r**2) / (30 - 2)
    np.testing.assert_allclose(fit.covariance[0][1:, 1:], s2 * np.linalg.inv(sub.T @ sub),
                               rtol=1e-10)


# ----------------------------------------------------------------------------- force curve

TRUTH = {"leg_stiffness_n_per_m": 14e3, "angle_of_attack_rad": math.radians(67.0),
         "push_force_bw": 0.3, "apex_drop_m": 0.010}
MASS_KG, LEG_M, SPEED = 62.0, 0.96, 3.5


@pytest.fixture(scope="module")
def true_stance():
    """The true step, densely sampled by the simulator: (t from touchdown, Fy, Fx (N), t_c,
    t_f)."""
    p = simsrc.canonical_params(mass_kg=MASS_KG, leg_length_m=LEG_M,
                                leg_stiffness_n_per_m=TRUTH["leg_stiffness_n_per_m"],
                                angle_of_attack_rad=TRUTH["angle_of_attack_rad"],
                                push_force_bw=TRUTH["push_force_bw"])
    y0 = LEG_M * math.sin(TRUTH["angle_of_attack_rad"]) + TRUTH["apex_drop_m"]
    out = simsrc.simulate(p, simsrc.apex(y0, SPEED), 1, trajectory=True, stance_samples=400)
    tr, rec = out.trajectory, out.records
    stance = np.asarray(tr.phase[0]) == 1
    t = np.asarray(tr.t_s[0])[stance] - float(rec.touchdown_time_s[0])
    t_f = float(rec.touchdown_time_s[0] + rec.flight_time_s[0])
    return (t, np.asarray(tr.vertical_force_n[0])[stance],
            np.asarray(tr.horizontal_force_n[0])[stance], float(rec.contact_time_s[0]), t_f)


def _noisy_curve(true_stance, seed):
    """The true stance sampled at 300 Hz from touchdown, plus N(0, 20 N) noise."""
    t, fy, fx, tc, tf = true_stance
    rng = np.random.default_rng(seed)
    ts = np.arange(0.0, tc, 1.0 / RATE_HZ)
    fv = np.interp(ts, t, fy) + rng.normal(0.0, NOISE_N, ts.size)
    fh = np.interp(ts, t, fx) + rng.normal(0.0, NOISE_N, ts.size)
    return make_force_curve(ts, fv, fh, body_weight_n=MASS_KG * G, speed_m_per_s=SPEED,
                            contact_time_s=ts[-1] + 1.0 / RATE_HZ, flight_time_s=tf)


def test_force_curve_fit_recovers_the_truth_within_its_errors(true_stance):
    fit = fit_force_curve(_noisy_curve(true_stance, seed=3), mass_kg=MASS_KG, leg_length_m=LEG_M)
    assert int(fit.status) == CONVERGED
    truth = np.array([TRUTH[n] for n in fit.names])
    z = (fit.value - truth) / fit.stderr
    assert np.all(np.abs(z) < 3.0), dict(zip(fit.names, z))
    # useful errors: k to 3 %, angle to 0.5 deg, push to 0.1 BW, apex drop to 3 mm
    limits = {"leg_stiffness_n_per_m": 0.03 * TRUTH["leg_stiffness_n_per_m"],
              "angle_of_attack_rad": math.radians(0.5), "push_force_bw": 0.1,
              "apex_drop_m": 0.003}
    for name, se in zip(fit.names, fit.stderr):
        assert 0.0 < se < limits[name], (name, se)
    # the residual SD estimates the noise that was added (20 N, in body weights)
    assert math.sqrt(float(fit.residual_variance)) == pytest.approx(NOISE_N / (MASS_KG * G),
                                                                    rel=0.2)


def test_force_curve_errors_match_the_scatter_of_repeated_fits(true_stance):
    """Eight noise realisations fitted as one batch: the spread of the estimates is what the
    reported errors say (ratio within 0.5-2: an 8-sample SD is good to ~25 %)."""
    curves = [_noisy_curve(true_stance, seed=10 + i) for i in range(8)]
    batch = type(curves[0])(*[np.stack(v) for v in zip(*curves)])
    fit = fit_force_curve(batch, mass_kg=MASS_KG, leg_length_m=LEG_M, starts=1)
    assert np.all(fit.status == CONVERGED)
    truth = np.array([TRUTH[n] for n in fit.names])
    assert np.all(np.abs(fit.value - truth) < 3.5 * fit.stderr)
    ratio = np.std(fit.value, axis=0, ddof=1) / np.mean(fit.stderr, axis=0)
    assert np.all((ratio > 0.5) & (ratio < 2.0)), dict(zip(fit.names, ratio))


# ----------------------------------------------------------------------------- stride metrics

@pytest.fixture(scope="module")
def periodic_stride():
    """A periodic SLIP gait (find_gait_1d) and its stride metrics (step_metrics)."""
    p = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11.6e3,
                                angle_of_attack_deg=66.0)
    y_td = 0.95 * math.sin(math.radians(66.0))
    energy = specific_energy_j_per_kg(p, y_td + 0.02, 3.6)
    gait = find_gait_1d(p, energy)
    assert bool(np.asarray(gait.converged))
    y = float(np.asarray(gait.apex_height_m))
    vx = math.sqrt(2.0 * (float(energy) - G * y))
    run = simsrc.simulate(p, simsrc.apex(y, vx), 1)
    m = step_metrics(p, run.records)
    metrics = {k: float(np.asarray(getattr(m, k))[0]) for k in (
        "contact_time_s", "flight_time_s", "speed_m_per_s", "com_vertical_oscillation_m")}
    truth = {"leg_stiffness_n_per_m": 11.6e3, "angle_of_attack_rad": math.radians(66.0),
             "apex_drop_m": y - y_td, "apex_speed_m_per_s": vx}
    return metrics, truth


def test_stride_fit_recovers_exact_data_exactly(periodic_stride):
    metrics, truth = periodic_stride
    data = make_stride_data(metrics["contact_time_s"], metrics["flight_time_s"],
                            metrics["speed_m_per_s"],
                            vertical_oscillation_m=metrics["com_vertical_oscillation_m"])
    fit = fit_stride_metrics(data, mass_kg=70.0, leg_length_m=0.95)
    assert int(fit.status) == CONVERGED
    np.testing.assert_allclose(fit.value, [truth[n] for n in fit.names], rtol=1e-5)


def test_stride_fit_with_noise_recovers_within_errors(periodic_stride):
    metrics, truth = periodic_stride
    rng = np.random.default_rng(7)
    sig = {"contact_time_s": 0.005, "flight_time_s": 0.007, "speed_m_per_s": 0.05,
           "vertical_oscillation_m": 0.01}
    noisy = {k: metrics[k if k != "vertical_oscillation_m" else "com_vertical_oscillation_m"]
             + rng.normal(0.0, s) for k, s in sig.items()}
    data = make_stride_data(noisy["contact_time_s"], noisy["flight_time_s"],
                            noisy["speed_m_per_s"],
                            vertical_oscillation_m=noisy["vertical_oscillation_m"], sigma=sig)
    fit = fit_stride_metrics(data, mass_kg=70.0, leg_length_m=0.95)
    assert int(fit.status) == CONVERGED and int(fit.dof) == 1
    value, se = fit.get("leg_stiffness_n_per_m")
    assert abs(value - truth["leg_stiffness_n_per_m"]) < 3.0 * se
    assert 0.0 < se < 0.1 * truth["leg_stiffness_n_per_m"]   # 5 ms of contact time ~ 5 % of k
    a, a_se = fit.get("angle_of_attack_rad")
    assert abs(a - truth["angle_of_attack_rad"]) < 3.0 * a_se < math.radians(3.0)


@pytest.mark.slow
def test_surface_stiffness_fit_recovers_the_truth():
    """Leg and surface in series (elastic ground, 150 kN/m), no push: k, α, apex drop and the
    surface stiffness from one noisy stance (compiles the algebraic surface model: ~1 min,
    ~2 GB)."""
    p = simsrc.canonical_params(mass_kg=MASS_KG, leg_length_m=LEG_M, leg_stiffness_n_per_m=14e3,
                                angle_of_attack_deg=67.0, surface_stiffness_n_per_m=150e3)
    y0 = LEG_M * math.sin(math.radians(67.0)) + 0.01
    out = simsrc.simulate(p, simsrc.apex(y0, SPEED), 1, trajectory=True, stance_samples=400)
    tr, rec = out.trajectory, out.records
    stance = np.asarray(tr.phase[0]) == 1
    t = np.asarray(tr.t_s[0])[stance] - float(rec.touchdown_time_s[0])
    tc = float(rec.contact_time_s[0])
    rng = np.random.default_rng(5)
    ts = np.arange(0.0, tc, 1.0 / RATE_HZ)
    fv = np.interp(ts, t, np.asarray(tr.vertical_force_n[0])[stance])
    fh = np.interp(ts, t, np.asarray(tr.horizontal_force_n[0])[stance])
    curve = make_force_curve(ts, fv + rng.normal(0, NOISE_N, ts.size),
                             fh + rng.normal(0, NOISE_N, ts.size), body_weight_n=MASS_KG * G,
                             speed_m_per_s=SPEED, contact_time_s=ts[-1] + 1.0 / RATE_HZ,
                             flight_time_s=float(rec.touchdown_time_s[0] + rec.flight_time_s[0]))
    free = ("leg_stiffness", "angle_of_attack", "apex_drop", "surface_stiffness")
    fit = fit_force_curve(curve, mass_kg=MASS_KG, leg_length_m=LEG_M, free=free, starts=1)
    assert int(fit.status) == CONVERGED
    truth = np.array([14e3, math.radians(67.0), 0.01, 150e3])
    assert np.all(np.abs(fit.value - truth) < 3.0 * fit.stderr)
    # series springs: k and k_s trade off, so the surface is only loosely determined
    assert fit.stderr[0] < 0.1 * 14e3 and fit.stderr[3] < 150e3


def test_a_fit_is_trusted_only_when_it_converged_and_its_parameters_are_determined():
    """The verdict behind `simsrc fit`'s exit code: converged, and every free parameter's
    standard error at most its value (a parameter held at its bound has none and is fine)."""
    from simsrc.fit.report import trusted
    fit = {"status": ["converged", "converged", "max_iterations", "converged"],
           "parameters": [
               {"value": np.array([11e3, 6.9e5, 11e3, 11e3]),
                "stderr": np.array([0.3e3, 6.9e6, 0.3e3, np.nan]),
                "at_bound": np.array([False, False, False, False])},
               {"value": np.array([1.2, 1.2, 1.2, 0.0]),
                "stderr": np.array([0.01, 0.01, 0.01, np.nan]),
                "at_bound": np.array([False, False, False, True])}]}
    np.testing.assert_array_equal(trusted(fit), [True, False, False, False])
    fit["parameters"][0]["stderr"][3] = 0.3e3      # the last one's NaN was the free stiffness
    assert trusted(fit)[3]
    single = {"status": "converged", "parameters": [
        {"value": np.float64(2.0), "stderr": np.float64(2.5), "at_bound": np.bool_(False)}]}
    assert not trusted(single)


def test_fit_batches_are_padded_to_shared_sizes_and_cut_back():
    """``batch.call_padded``: rows padded to ``fit_rows`` (powers of two from 8 to 32, then
    multiples of 32 in calls of 32), each output cut back to the real rows, equal to the
    unpadded kernel's; the per-step fits of 77 and 84 steps x 4 starts call one shape."""
    from simsrc.engine import batch

    assert [batch.fit_rows(n) for n in (1, 8, 9, 16, 17, 32, 33, 308, 336)] == \
        [8, 8, 16, 16, 32, 32, 64, 320, 352]
    shapes = []

    def kernel(u, data):
        shapes.append(u.shape)
        return u * data["scale"][:, None], (u.sum(axis=1), -u)

    padded = set()
    for n in (3, 77, 84):
        u = np.arange(n * 2, dtype=float).reshape(n, 2)
        data = {"scale": np.linspace(1.0, 2.0, n)}
        got = batch.call_padded(kernel, n, u, data)
        padded.update(shapes)
        shapes.clear()
        want = kernel(u, data)                       # the unpadded reference
        shapes.clear()
        for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
            assert g.shape == w.shape
            np.testing.assert_array_equal(g, w)
    assert padded == {(8, 2), (32, 2)}
