"""Force-plate readers on the shipped Fukuchi et al. (2017) files and on corrupted copies.

Facts checked come from simsrc/data/README.md: 30 s at 300 Hz per file, Fy/Y vertical (up
positive), X antero-posterior with braking negative, runner of 62.0 kg (RBDSinfo.txt).
"""

import os

import numpy as np
import pytest

from simsrc.measured.datasets import DATA_FILES, data_path
from simsrc.errors import SimsrcInputError
from simsrc.measured.forceplate import ForceRecording, read_force_c3d, read_force_text

G_M_PER_S2 = 9.80665
TEXT_NAME = "fukuchi2017/RBDS001runT25forces.txt"
C3D_NAME = "fukuchi2017/RBDS001runT35.c3d"


@pytest.fixture(scope="module")
def text_recording() -> ForceRecording:
    return read_force_text(data_path(TEXT_NAME))


@pytest.fixture(scope="module")
def c3d_recording() -> ForceRecording:
    return read_force_c3d(data_path(C3D_NAME))


def subject1_mass_kg() -> float:
    """Subject 1's body mass from the dataset's own metadata file."""
    path = data_path("fukuchi2017/RBDSinfo.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        cells = line.split("\t")
        if cells[header.index("FileName")] == "RBDS001runT25forces.txt":
            return float(cells[header.index("Mass")])
    raise AssertionError("subject 1 not in RBDSinfo.txt")


def test_every_shipped_file_is_found():
    for name in DATA_FILES:
        assert data_path(name).is_file()


def test_data_path_rejects_unknown_name():
    with pytest.raises(SimsrcInputError, match="no_such_file.txt.*allowed names"):
        data_path("fukuchi2017/no_such_file.txt")


def test_subject1_mass_is_62_kg():
    assert subject1_mass_kg() == pytest.approx(62.0)


@pytest.mark.parametrize("which", ["text_recording", "c3d_recording"])
def test_thirty_seconds_at_300_hz(which, request):
    rec = request.getfixturevalue(which)
    assert rec.sample_rate_hz == 300.0
    assert rec.n_samples == 9000
    assert rec.time_s[0] == 0.0
    assert rec.time_s[-1] == pytest.approx(8999 / 300.0)
    for arr in (rec.time_s, rec.vertical_n, rec.horizontal_n):
        assert arr.dtype == np.float64 and arr.shape == (9000,)
        assert np.all(np.isfinite(arr))


@pytest.mark.parametrize("which", ["text_recording", "c3d_recording"])
def test_vertical_axis_and_units(which, request):
    """Mean over the 30 s is about body weight; peaks are 2-2.7 body weights (N, Y up)."""
    rec = request.getfixturevalue(which)
    weight_n = subject1_mass_kg() * G_M_PER_S2
    assert rec.vertical_n.mean() / weight_n == pytest.approx(1.0, abs=0.05)
    assert 2.0 < rec.vertical_n.max() / weight_n < 2.8
    # Flight phases: the force goes back to about zero (no offset, not negative body weight).
    assert np.percentile(rec.vertical_n, 5) > -40.0
    assert np.percentile(rec.vertical_n, 5) < 40.0


@pytest.mark.parametrize("which", ["text_recording", "c3d_recording"])
def test_horizontal_axis_is_antero_posterior_forward_positive(which, request):
    """Steady treadmill running: net AP impulse ~0, braking (negative) before propulsion."""
    rec = request.getfixturevalue(which)
    weight_n = subject1_mass_kg() * G_M_PER_S2
    assert abs(rec.horizontal_n.mean()) < 0.02 * weight_n
    loaded = rec.vertical_n > 0.5 * weight_n
    rising = loaded & (np.gradient(rec.vertical_n) > 0)  # early stance
    falling = loaded & (np.gradient(rec.vertical_n) < 0)  # late stance
    assert rec.horizontal_n[rising].mean() < -50.0
    assert rec.horizontal_n[falling].mean() > 50.0


def test_text_reader_uses_fy_as_vertical_and_fx_as_ap(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(
        "Time\tFx\tFy\tFz\tCOPx\tCOPy\tCOPz\tTy\n"
        "1\t-10\t700\t5\t0\t0\t0\t0\n"
        "2\t20\t800\t6\t0\t0\t0\t0\n"
        "3\t30\t900\t7\t0\t0\t0\t0\n"
    )
    rec = read_force_text(path, sample_rate_hz=100.0)
    np.testing.assert_array_equal(rec.vertical_n, [700.0, 800.0, 900.0])
    np.testing.assert_array_equal(rec.horizontal_n, [-10.0, 20.0, 30.0])
    np.testing.assert_allclose(rec.time_s, [0.0, 0.01, 0.02])
    assert rec.source == str(path)


def _copy_truncated_text(tmp_path, n_chars):
    text = data_path(TEXT_NAME).read_text(encoding="utf-8")
    path = tmp_path / "truncated.txt"
    path.write_text(text[:n_chars], encoding="utf-8")
    return path


def test_truncated_text_file_names_file_and_line(tmp_path):
    path = _copy_truncated_text(tmp_path, 200_003)  # cut inside a line
    with pytest.raises(SimsrcInputError) as info:
        read_force_text(path)
    message = str(info.value)
    assert str(path) in message and "line" in message and "truncated" in message


def test_text_with_non_numeric_cell(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(
        "Time\tFx\tFy\tFz\tCOPx\tCOPy\tCOPz\tTy\n"
        "1\t0\t700\t0\t0\t0\t0\t0\n2\t0\tabc\t0\t0\t0\t0\t0\n"
    )
    with pytest.raises(SimsrcInputError, match=r"line 3, column Fy: value 'abc'") as info:
        read_force_text(path)
    assert str(path) in str(info.value)


def test_text_with_wrong_header(tmp_path):
    path = tmp_path / "header.txt"
    path.write_text("t\tvertical\n0\t1\n1\t2\n")
    with pytest.raises(SimsrcInputError, match="header.*expected") as info:
        read_force_text(path)
    assert str(path) in str(info.value)


def test_text_with_gap_in_sample_index(tmp_path):
    path = tmp_path / "gap.txt"
    path.write_text(
        "Time\tFx\tFy\tFz\tCOPx\tCOPy\tCOPz\tTy\n"
        "1\t0\t1\t0\t0\t0\t0\t0\n2\t0\t1\t0\t0\t0\t0\t0\n4\t0\t1\t0\t0\t0\t0\t0\n"
    )
    with pytest.raises(SimsrcInputError, match="line 4, column Time"):
        read_force_text(path)


def test_text_rejects_bad_sample_rate(tmp_path):
    with pytest.raises(SimsrcInputError, match="sample_rate_hz"):
        read_force_text(data_path(TEXT_NAME), sample_rate_hz=0.0)


def test_missing_text_file(tmp_path):
    path = tmp_path / "absent.txt"
    with pytest.raises(SimsrcInputError, match="absent.txt"):
        read_force_text(path)


def test_garbage_c3d(tmp_path):
    path = tmp_path / "garbage.c3d"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(SimsrcInputError) as info:
        read_force_c3d(path)
    assert str(path) in str(info.value)
    assert info.value.__cause__ is not None  # re-raised from ezc3d's exception


def test_empty_c3d(tmp_path):
    path = tmp_path / "empty.c3d"
    path.write_bytes(b"")
    with pytest.raises(SimsrcInputError, match="empty.c3d"):
        read_force_c3d(path)


@pytest.mark.parametrize("fraction", [0.5, 0.999])
def test_truncated_c3d(tmp_path, fraction):
    """ezc3d silently reads fewer frames from a cut file; the reader must notice."""
    data = data_path(C3D_NAME).read_bytes()
    path = tmp_path / "truncated.c3d"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(SimsrcInputError, match="truncated") as info:
        read_force_c3d(path)
    assert str(path) in str(info.value)


def test_c3d_cut_inside_header(tmp_path):
    data = data_path(C3D_NAME).read_bytes()
    path = tmp_path / "header_only.c3d"
    path.write_bytes(data[:300])
    with pytest.raises(SimsrcInputError, match="header_only.c3d"):
        read_force_c3d(path)


def test_recording_is_immutable(text_recording):
    with pytest.raises(Exception):
        text_recording.sample_rate_hz = 1.0
    with pytest.raises(ValueError):
        text_recording.vertical_n[0] = 0.0


def test_source_is_the_file_path(text_recording):
    assert os.path.basename(text_recording.source) == "RBDS001runT25forces.txt"
