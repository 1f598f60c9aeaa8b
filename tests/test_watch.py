"""FIT reader on the three shipped watch recordings and on corrupted copies.

Facts checked come from simsrc/data/README.md: record counts, which running fields each file
has, the fenix 5 user profile (68 kg, 1.75 m), the Stryd file's Leg Spring Stiffness in kN/m.
"""

import numpy as np
import pytest

from simsrc.measured.datasets import data_path
from simsrc.errors import SimsrcInputError
from simsrc.measured.watch import read_fit

FENIX2 = "watch_fit/activity-small-fenix2-run.fit"
STRYD = "watch_fit/developer-types-sample.fit"
FENIX5 = "watch_fit/garmin-fenix-5-run.fit"


@pytest.fixture(scope="module")
def recordings():
    return {name: read_fit(data_path(name)) for name in (FENIX2, STRYD, FENIX5)}


@pytest.mark.parametrize("name, n_records", [(FENIX2, 2809), (STRYD, 3424), (FENIX5, 21)])
def test_record_counts(recordings, name, n_records):
    rec = recordings[name]
    assert rec.n_samples == n_records
    for field in (
        "time_s", "speed_m_per_s", "ground_contact_time_s", "vertical_oscillation_m",
        "cadence_steps_per_min", "step_length_m", "power_w", "leg_spring_stiffness_n_per_m",
    ):
        values = getattr(rec, field)
        assert values.shape == (n_records,) and values.dtype == np.float64
    assert rec.time_s[0] == 0.0
    assert np.all(np.diff(rec.time_s) > 0.0)


def test_fenix2_duration_and_distance(recordings):
    rec = recordings[FENIX2]
    # 9.0 km run at about 1 record per second.
    assert np.nanmax(rec.distance_m) == pytest.approx(9000.0, rel=0.02)
    assert rec.time_s[-1] == pytest.approx(rec.n_samples, rel=0.02)


def test_stryd_distance_uses_standard_field(recordings):
    # 6.75 km run (standard distance field, not the developer Distance).
    assert np.nanmax(recordings[STRYD].distance_m) == pytest.approx(6750.0, rel=0.01)


def test_fenix5_user_profile(recordings):
    rec = recordings[FENIX5]
    assert rec.body_mass_kg == pytest.approx(68.0)
    assert rec.body_height_m == pytest.approx(1.75)
    assert rec.time_s[-1] == pytest.approx(57.0, abs=1.5)


@pytest.mark.parametrize("name", [FENIX2, STRYD])
def test_other_files_state_no_body_size(recordings, name):
    assert recordings[name].body_mass_kg is None
    assert recordings[name].body_height_m is None


@pytest.mark.parametrize(
    "name, present, absent",
    [
        (FENIX2, {"stance_time", "vertical_oscillation", "cadence", "enhanced_speed"},
         {"step_length", "vertical_ratio", "Leg Spring Stiffness"}),
        (STRYD, {"stance_time", "vertical_oscillation", "cadence", "power",
                 "Leg Spring Stiffness"}, {"step_length", "vertical_ratio"}),
        (FENIX5, {"stance_time", "vertical_oscillation", "vertical_ratio", "step_length",
                  "cadence", "fractional_cadence"}, {"Leg Spring Stiffness", "power"}),
    ],
)
def test_fields_present(recordings, name, present, absent):
    rec = recordings[name]
    assert present <= set(rec.fields_present)
    assert not (absent & set(rec.fields_present))


@pytest.mark.parametrize("name", [FENIX2, STRYD, FENIX5])
def test_running_values_in_si_units(recordings, name):
    """Running: contact 0.15-0.45 s, vertical oscillation 3-15 cm, 130-210 steps/min."""
    rec = recordings[name]
    running = rec.speed_m_per_s > 1.5
    assert np.count_nonzero(running) > 0.5 * rec.n_samples
    gct = np.nanmedian(rec.ground_contact_time_s[running])
    assert 0.15 < gct < 0.45
    assert 0.03 < np.nanmedian(rec.vertical_oscillation_m[running]) < 0.15
    cadence = np.nanmedian(rec.cadence_steps_per_min[running])
    assert 130.0 < cadence < 210.0  # steps/min: strides/min doubled


def test_fenix5_step_length_consistent_with_speed_and_cadence(recordings):
    rec = recordings[FENIX5]
    ok = (rec.speed_m_per_s > 1.5) & np.isfinite(rec.step_length_m)
    implied_m = rec.speed_m_per_s[ok] / (rec.cadence_steps_per_min[ok] / 60.0)
    np.testing.assert_allclose(np.median(rec.step_length_m[ok]), np.median(implied_m), rtol=0.1)
    # vertical ratio (%) = vertical oscillation / step length; the watch smooths the ratio
    # over time, so compare typical values only.
    both = ok & np.isfinite(rec.vertical_ratio_percent) & np.isfinite(rec.vertical_oscillation_m)
    np.testing.assert_allclose(
        np.median(rec.vertical_ratio_percent[both]),
        np.median(100.0 * rec.vertical_oscillation_m[both] / rec.step_length_m[both]),
        rtol=0.15,
    )


def test_fenix5_has_half_strides_in_fractional_cadence(recordings):
    cadence = recordings[FENIX5].cadence_steps_per_min
    finite = cadence[np.isfinite(cadence)]
    # 2 * (cadence + k/128): odd step counts appear only through fractional_cadence.
    assert np.any(np.mod(finite, 2.0) != 0.0)


def test_stryd_leg_spring_stiffness(recordings):
    stiffness = recordings[STRYD].leg_spring_stiffness_n_per_m
    finite = stiffness[np.isfinite(stiffness)]
    assert finite.size > 0.95 * stiffness.size
    median = np.median(finite)
    assert 5e3 < median < 20e3  # kN/m converted to N/m
    assert np.mean((finite > 5e3) & (finite < 25e3)) > 0.99


def test_stryd_power(recordings):
    power = recordings[STRYD].power_w
    assert 100.0 < np.nanmedian(power) < 400.0


def test_recording_arrays_read_only(recordings):
    with pytest.raises(ValueError):
        recordings[FENIX5].speed_m_per_s[0] = 1.0


def _corrupt_copy(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fraction", [0.5, 0.99])
def test_truncated_fit(tmp_path, fraction):
    data = data_path(FENIX5).read_bytes()
    path = _corrupt_copy(tmp_path, "truncated.fit", data[: int(len(data) * fraction)])
    with pytest.raises(SimsrcInputError) as info:
        read_fit(path)
    assert str(path) in str(info.value)
    assert info.value.__cause__ is not None  # re-raised from fitdecode's error


def test_garbage_fit(tmp_path):
    path = _corrupt_copy(tmp_path, "garbage.fit", np.random.default_rng(1).bytes(4000))
    with pytest.raises(SimsrcInputError, match="not a readable FIT file") as info:
        read_fit(path)
    assert str(path) in str(info.value)


def test_corrupted_byte_fails_crc(tmp_path):
    data = bytearray(data_path(FENIX5).read_bytes())
    data[len(data) // 2] ^= 0x01
    path = _corrupt_copy(tmp_path, "flipped.fit", bytes(data))
    with pytest.raises(SimsrcInputError, match="flipped.fit"):
        read_fit(path)


def test_empty_and_missing_fit(tmp_path):
    path = _corrupt_copy(tmp_path, "empty.fit", b"")
    with pytest.raises(SimsrcInputError, match="empty.fit.*empty file"):
        read_fit(path)
    with pytest.raises(SimsrcInputError, match="absent.fit.*not found"):
        read_fit(tmp_path / "absent.fit")
