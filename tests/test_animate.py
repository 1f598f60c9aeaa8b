"""`simsrc animate`: a valid GIF with the requested frames, side by side for two configs, the
swing-leg interpolation, and bad input as exit code 2 with one clear message."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from simsrc.viz.animate import interpolated_swing_angle, spring_points
from simsrc.cli.main import main

RIGID = """
[runner]
mass_kg = 70.0
[leg]
leg_length_m = 0.95
leg_stiffness_kn_per_m = {k}
[landing]
angle_of_attack_deg = 69.0
[ground]
surface = "rigid"
[initial]
apex_height_m = 0.89
speed_m_per_s = 3.5
"""


def write(tmp_path, name, k=15.0):
    path = tmp_path / name
    path.write_text(RIGID.format(k=k))
    return str(path)


def test_animate_writes_a_gif_with_the_requested_frames(tmp_path):
    gif = tmp_path / "run.gif"
    assert main(["animate", write(tmp_path, "a.toml"), "-o", str(gif), "--frames", "12",
                 "--steps", "2"]) == 0
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.n_frames == 12
        single_height = im.size[1]
    two = tmp_path / "two.gif"
    assert main(["animate", write(tmp_path, "a.toml"), write(tmp_path, "b.toml", 16.0),
                 "-o", str(two), "--frames", "10", "--steps", "2"]) == 0
    with Image.open(two) as im:
        assert im.n_frames == 10
        assert im.size[1] > 1.5 * single_height      # two runners, one above the other


def test_bad_config_exits_2_without_a_traceback(tmp_path, capsys):
    assert main(["animate", str(tmp_path / "missing.toml"), "-o", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert "config file not found" in err and "Traceback" not in err
    assert not (tmp_path / "x.gif").exists()


def test_bad_frame_count_exits_2(tmp_path, capsys):
    assert main(["animate", write(tmp_path, "a.toml"), "--frames", "1"]) == 2
    assert "--frames must be >= 2" in capsys.readouterr().err


def test_swing_leg_swings_forward_from_liftoff_toward_its_next_landing():
    td = np.array([0.1, 0.4, 0.7, 1.0])
    lo = td + 0.15
    land = np.full(4, 0.35)
    lift = np.array([-0.3, -0.32, -0.31, -0.3])
    assert interpolated_swing_angle(lo[:1], td, lo, land, lift)[0] == pytest.approx(lift[0])
    assert interpolated_swing_angle(lo[1:2], td, lo, land, lift)[0] == pytest.approx(lift[1])
    # during step 1's stance the leg that left step 0 swings forward, toward step 2's landing
    t = np.linspace(td[1], lo[1] - 1e-6, 7)
    a = interpolated_swing_angle(t, td, lo, land, lift)
    assert np.all(np.diff(a) > 0)
    assert np.all((a > lift[0]) & (a < land[2]))


def test_spring_runs_from_the_foot_to_the_hip():
    pts = spring_points((0.3, -0.01), (0.5, 0.9))
    assert tuple(pts[:, 0]) == pytest.approx((0.3, -0.01))
    assert tuple(pts[:, -1]) == pytest.approx((0.5, 0.9))


def _frames(landing):
    import simsrc
    from simsrc.viz.animate import make_frames

    p = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3,
                                angle_of_attack_deg=64.5)
    run = simsrc.simulate(p, simsrc.apex(0.93, 3.5), 3, landing=landing, trajectory=True,
                          flight_samples=8, stance_samples=12)
    return run, make_frames(p, run, 40)


@pytest.mark.slow   # 57 s from an empty compile cache (2 loaded cores); CI runs it
def test_pendulum_mode_draws_the_engines_swinging_leg():
    """In the pendulum landing mode the leg that lands next is the integrated one (the
    trajectory's swing_angle_rad, interpolated to the frame times): the swinging leg in stance,
    the landing leg in flight; in the fixed mode, where the engine has no swinging leg (NaN),
    the eased interpolation is drawn instead."""
    run, frames = _frames("pendulum")
    tr = run.trajectory
    t = np.asarray(tr.t_s).ravel()
    a = np.asarray(tr.swing_angle_rad).ravel()
    assert np.all(np.isfinite(a))
    expected = np.interp(frames.t_s, t, a)
    st = frames.stance
    assert st.any() and (~st).any()
    np.testing.assert_allclose(frames.swing_leg_rad[st], expected[st], atol=1e-12)
    np.testing.assert_allclose(frames.landing_leg_rad[~st], expected[~st], atol=1e-12)
    _, fixed = _frames("fixed")
    assert np.all(np.isfinite(fixed.swing_leg_rad))
