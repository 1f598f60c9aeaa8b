"""A tiny sweep shared by test_sweep.py and test_cli.py, so that they share compiled programs.

Rigid ground and RK4 keep the compile short; every test uses n_steps = 3 and chunks of 4
points, so one batched and one single-run compile serve the whole test set. The angle of
attack of 5° puts the landing leg 85° from the normal: those points are `invalid_params`.
"""
from __future__ import annotations

TINY_RUN = """\
[ground]
surface = "rigid"
[numerics]
method = "rk4"
[run]
n_steps = 3
"""

TINY_SWEEP = TINY_RUN + """\
[sweep]
leg_stiffness_kn_per_m = [14, 16]
angle_of_attack_deg = [5, 68, 69]
[output]
metrics = ["speed_m_per_s"]
"""

CHUNK = 4  # 6 points: one full chunk and one padded


def write(tmp_path, text: str, name: str = "tiny.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path
