"""Step detection on synthetic forces and on the shipped Fukuchi et al. (2017) recordings.

Facts checked on the real data come from simsrc/data/README.md (contact about 0.28 s at
2.5 m/s and 0.22 s at 3.5 m/s, peaks about 2.2-2.5 body weights, whole-step mean vertical
force close to 1 body weight, runner 62.0 kg) and from the dataset's own processed file
RBDS001processed.txt (GRF in N/kg over the gait cycle, NaN during swing), an independent
processing of the same trials.
"""

import numpy as np
import pytest

from simsrc.measured.datasets import data_path
from simsrc.errors import SimsrcInputError
from simsrc.measured.forceplate import ForceRecording, read_force_c3d, read_force_text
from simsrc.measured.contacts import detect_steps, mean_stance_curve

MASS_KG = 62.0
WEIGHT_N = MASS_KG * 9.80665


# --------------------------------------------------------------------------- synthetic


def synthetic_running(
    contact_s=0.25, flight_s=0.12, n_steps=20, rate_hz=300.0, peak_n=1500.0, lead_s=0.05,
    noise_n=20.0, flight_offset_n=(10.0, 30.0), seed=0,
):
    """Half-sine vertical and sine AP forces with uniform noise and a flight offset."""
    rng = np.random.default_rng(seed)
    n_contact = int(round(contact_s * rate_hz))
    n_flight = int(round(flight_s * rate_hz))
    n_lead = int(round(lead_s * rate_hz))
    phase = (np.arange(n_contact) + 0.5) / n_contact
    vertical, horizontal, starts = [np.zeros(n_lead)], [np.zeros(n_lead)], []
    position = n_lead
    for _ in range(n_steps):
        starts.append(position)
        vertical += [peak_n * np.sin(np.pi * phase), np.zeros(n_flight)]
        horizontal += [-200.0 * np.sin(2 * np.pi * phase), np.zeros(n_flight)]
        position += n_contact + n_flight
    v = np.concatenate(vertical)
    h = np.concatenate(horizontal)
    flight = v == 0.0
    v = v + rng.uniform(-noise_n, noise_n, v.size)
    v[flight] += rng.uniform(*flight_offset_n, flight.sum())
    h = h + rng.uniform(-noise_n, noise_n, h.size)
    rec = ForceRecording(np.arange(v.size) / rate_hz, v, h, rate_hz, "synthetic")
    return rec, np.asarray(starts), n_contact, n_flight


def test_synthetic_steps_found_with_noise_and_flight_offset():
    rec, starts, n_contact, n_flight = synthetic_running()
    steps = detect_steps(rec)
    # 20 contacts; the last one has no following touchdown, so 19 complete steps.
    assert steps.n_steps == 19
    step_s = (n_contact + n_flight) / rec.sample_rate_hz
    np.testing.assert_allclose(steps.step_time_s, step_s, atol=1.5 / rec.sample_rate_hz)
    # A half-sine of 1500 N is above 35 N except for ~2 % of its duration at each end.
    assert np.all(np.abs(steps.contact_time_s - 0.25) < 0.02)
    assert np.all(np.abs(steps.start_index - starts[:19]) <= 3)
    np.testing.assert_allclose(steps.peak_vertical_n, 1500.0, rtol=0.03)
    # Impulse of a half sine: peak * contact * 2 / pi.
    np.testing.assert_allclose(steps.vertical_impulse_n_s, 1500.0 * 0.25 * 2 / np.pi, rtol=0.03)
    np.testing.assert_allclose(steps.braking_impulse_n_s, -200.0 * 0.25 / np.pi, rtol=0.1)
    np.testing.assert_allclose(steps.propulsive_impulse_n_s, 200.0 * 0.25 / np.pi, rtol=0.1)
    np.testing.assert_array_equal(steps.end_index[:-1], steps.start_index[1:])


def test_partial_steps_at_the_edges_are_dropped():
    rec, starts, n_contact, _ = synthetic_running(lead_s=0.0)
    cut = starts[0] + n_contact // 2  # begin mid-stance, end mid-stance
    end = starts[-2] + n_contact // 2
    part = ForceRecording(
        rec.time_s[cut:end] - rec.time_s[cut], rec.vertical_n[cut:end],
        rec.horizontal_n[cut:end], rec.sample_rate_hz, "cut",
    )
    steps = detect_steps(part)
    # Whole contacts inside: starts[1] .. starts[-3]; each is followed by a touchdown (the
    # last one by that of the contact cut at the end), so each makes a complete step.
    assert steps.n_steps == len(starts) - 3
    assert steps.start_index[0] == pytest.approx(starts[1] - cut, abs=3)
    assert steps.start_index[0] > 0
    assert steps.end_index[-1] < part.n_samples


def test_short_noise_dip_and_spike_do_not_split_or_add_steps():
    rec, *_ = synthetic_running(noise_n=0.0, flight_offset_n=(0.0, 0.0))
    v = rec.vertical_n.copy()
    steps_clean = detect_steps(rec, lowpass_hz=None)
    a = int(steps_clean.start_index[3])
    b = int(steps_clean.toe_off_index[3])
    v[(a + b) // 2] = 0.0  # one-sample dropout mid-stance
    v[b + 10] = 400.0  # one-sample spike in flight
    noisy = ForceRecording(rec.time_s, v, rec.horizontal_n, rec.sample_rate_hz, "spiky")
    steps = detect_steps(noisy, lowpass_hz=None)
    assert steps.n_steps == steps_clean.n_steps
    np.testing.assert_allclose(steps.contact_time_s, steps_clean.contact_time_s, atol=1e-12)


def test_no_flight_gives_no_steps_and_curve_refuses():
    t = np.arange(3000) / 300.0
    walking = ForceRecording(t, 700.0 + 300.0 * np.sin(2 * np.pi * 2 * t), 0 * t, 300.0, "walk")
    steps = detect_steps(walking)
    assert steps.n_steps == 0
    with pytest.raises(SimsrcInputError, match="no complete steps"):
        mean_stance_curve(walking, steps)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"on_threshold_n": -5.0},
        {"off_threshold_n": 100.0, "on_threshold_n": 60.0},
        {"lowpass_hz": 200.0},
        {"min_contact_s": float("nan")},
    ],
)
def test_bad_parameters(kwargs):
    rec, *_ = synthetic_running(n_steps=3)
    with pytest.raises(SimsrcInputError, match="not allowed"):
        detect_steps(rec, **kwargs)


def test_curve_rejects_bad_n_samples():
    rec, *_ = synthetic_running(n_steps=4)
    with pytest.raises(SimsrcInputError, match="n_samples"):
        mean_stance_curve(rec, detect_steps(rec), n_samples=1)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real():
    """(recording, steps, speed code) at 2.5 m/s (text file) and 3.5 m/s (C3D file)."""
    slow = read_force_text(data_path("fukuchi2017/RBDS001runT25forces.txt"))
    fast = read_force_c3d(data_path("fukuchi2017/RBDS001runT35.c3d"))
    return {2.5: (slow, detect_steps(slow), "25"), 3.5: (fast, detect_steps(fast), "35")}


@pytest.fixture(scope="module")
def processed():
    path = data_path("fukuchi2017/RBDS001processed.txt")
    return np.genfromtxt(path, names=True, delimiter="\t")


@pytest.mark.parametrize("speed, expected_contact_s", [(2.5, 0.28), (3.5, 0.22)])
def test_contact_time_matches_readme(real, speed, expected_contact_s):
    _, steps, _ = real[speed]
    assert steps.contact_time_s.mean() == pytest.approx(expected_contact_s, abs=0.015)
    # Steady treadmill running: little step-to-step spread.
    assert steps.contact_time_s.std() < 0.02
    assert np.all(steps.flight_time_s > 0.03)


def test_faster_running_shorter_contact_higher_peak(real):
    slow, fast = real[2.5][1], real[3.5][1]
    assert fast.contact_time_s.mean() < slow.contact_time_s.mean()
    assert fast.peak_vertical_n.mean() > slow.peak_vertical_n.mean()


@pytest.mark.parametrize("speed", [2.5, 3.5])
def test_every_step_of_the_30_s_is_found(real, speed):
    rec, steps, _ = real[speed]
    # All steps but the partial ones at the two ends: cover (almost) the whole recording.
    covered_s = steps.step_time_s.sum()
    assert rec.duration_s - 2.5 * steps.step_time_s.mean() < covered_s < rec.duration_s
    np.testing.assert_array_equal(steps.end_index[:-1], steps.start_index[1:])
    assert np.all(steps.step_time_s < 1.5 * np.median(steps.step_time_s))


@pytest.mark.parametrize("speed", [2.5, 3.5])
def test_whole_step_mean_vertical_force_is_body_weight(real, speed):
    _, steps, _ = real[speed]
    mean_n = steps.vertical_impulse_n_s.sum() / steps.step_time_s.sum()
    assert mean_n / WEIGHT_N == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("speed", [2.5, 3.5])
def test_peak_force_in_body_weights(real, speed):
    _, steps, _ = real[speed]
    assert 2.1 < steps.peak_vertical_n.mean() / WEIGHT_N < 2.6


@pytest.mark.parametrize("speed", [2.5, 3.5])
def test_braking_and_propulsive_impulses_balance(real, speed):
    _, steps, _ = real[speed]
    assert np.all(steps.braking_impulse_n_s < 0.0)
    assert np.all(steps.propulsive_impulse_n_s > 0.0)
    net = steps.braking_impulse_n_s.sum() + steps.propulsive_impulse_n_s.sum()
    assert abs(net) < 0.1 * steps.propulsive_impulse_n_s.sum()


@pytest.mark.parametrize("speed", [2.5, 3.5])
def test_peak_force_agrees_with_processed_file(real, processed, speed):
    """The dataset's processed GRF (N/kg), times 62 kg, has the same peaks; the alternate
    steps reproduce its left/right difference."""
    _, steps, code = real[speed]
    right = np.nanmax(processed[f"RgrfY{code}"]) * MASS_KG
    left = np.nanmax(processed[f"LgrfY{code}"]) * MASS_KG
    assert steps.peak_vertical_n.mean() == pytest.approx(0.5 * (left + right), rel=0.04)
    even, odd = steps.peak_vertical_n[0::2].mean(), steps.peak_vertical_n[1::2].mean()
    assert max(even, odd) == pytest.approx(max(left, right), rel=0.04)
    assert min(even, odd) == pytest.approx(min(left, right), rel=0.04)


@pytest.mark.parametrize("speed", [2.5, 3.5])
def test_stance_time_agrees_with_processed_file(real, processed, speed):
    """Stance fraction of the gait cycle in the processed file (non-NaN GRF rows, 1 % each)
    times the stride time (two steps) measured here gives the same contact time."""
    _, steps, code = real[speed]
    stride_s = 2.0 * steps.step_time_s.mean()
    fractions = [
        np.count_nonzero(~np.isnan(processed[f"{side}grfY{code}"])) / 100.0 for side in "RL"
    ]
    processed_contact_s = np.mean(fractions) * stride_s
    assert steps.contact_time_s.mean() == pytest.approx(processed_contact_s, rel=0.12)


@pytest.mark.parametrize("speed", [2.5, 3.5])
def test_mean_stance_curve_shape(real, processed, speed):
    rec, steps, code = real[speed]
    curve = mean_stance_curve(rec, steps, n_samples=101)
    assert curve.n_steps == steps.n_steps
    assert curve.stance_fraction.shape == (101,)
    assert curve.stance_fraction[0] == 0.0 and curve.stance_fraction[-1] == 1.0
    peak_at = curve.stance_fraction[np.argmax(curve.vertical_mean_n)]
    assert 0.3 < peak_at < 0.7  # forefoot striker: single rounded peak mid-stance
    assert curve.vertical_mean_n[0] < 0.3 * WEIGHT_N
    assert curve.vertical_mean_n[-1] < 0.3 * WEIGHT_N
    processed_peak_n = np.nanmean(
        [np.nanmax(processed[f"{s}grfY{code}"]) for s in "RL"]
    ) * MASS_KG
    assert curve.vertical_mean_n.max() == pytest.approx(processed_peak_n, rel=0.05)
    # Braking in the first part of stance, propulsion in the second.
    assert curve.stance_fraction[np.argmin(curve.horizontal_mean_n)] < 0.5
    assert curve.stance_fraction[np.argmax(curve.horizontal_mean_n)] > 0.5
    assert np.all(curve.vertical_std_n >= 0.0)
    assert curve.mean_contact_time_s == pytest.approx(steps.contact_time_s.mean())
