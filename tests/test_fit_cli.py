"""Batched per-second fits equal single fits; `simsrc fit` on shipped files and on bad input.

Facts about the data come from simsrc/data/README.md (runner 62.0 kg at 3.5 m/s, peaks about
2.2-2.5 body weights, contact about 0.22 s; fenix 5 user_profile 68 kg, 1.75 m; 21 records)
and from the recordings themselves, not from the fitting code.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simsrc.cli.main import main
from simsrc.measured.datasets import data_path
from simsrc.fit.solver import CONVERGED
from simsrc.fit.stride import StrideData, fit_stride_metrics
from simsrc.fit.watch import watch_stride_data
from simsrc.measured.watch import read_fit

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """The command in a fresh interpreter, as a user runs it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "simsrc", "fit", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


# ----------------------------------------------------------------------------- batching

@pytest.mark.slow   # 114 s from an empty compile cache (2 loaded cores); CI runs it
def test_batched_per_second_fits_equal_single_fits():
    """20 running seconds of the fenix 2 run as one batch, and 3 of them one at a time."""
    rec = read_fit(data_path("watch_fit/activity-small-fenix2-run.fit"))
    data, ok = watch_stride_data(rec)
    idx = np.flatnonzero(ok)[100:2000:95][:20]
    rows = StrideData(*[np.asarray(v)[idx] for v in data])
    batch = fit_stride_metrics(rows, mass_kg=70.0, leg_length_m=0.95)
    assert np.all(batch.status == CONVERGED)
    for i in (0, 7, 19):
        one = fit_stride_metrics(StrideData(*[v[i] for v in rows]), mass_kg=70.0,
                                 leg_length_m=0.95)
        np.testing.assert_allclose(one.value, batch.value[i], rtol=1e-9)
        np.testing.assert_allclose(one.stderr, batch.stderr[i], rtol=1e-6)


# ----------------------------------------------------------------------------- the command

def test_fit_command_on_a_force_plate_file(tmp_path, capsys):
    out = tmp_path / "f35"
    assert main(["fit", str(ROOT / "configs" / "fit" / "fukuchi_3p5.toml"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for word in ("leg_stiffness", "± ", "kN/m", "RMS error", "Morin", "correlations"):
        assert word in text
    body = json.loads((out / "fit.json").read_text())
    params = {p["name"]: p for p in body["fit"]["parameters"]}
    assert body["fit"]["status"] == "converged"
    k = params["leg_stiffness_n_per_m"]
    assert k["stderr"] > 0 and k["stderr"] < 0.1 * k["value"]
    corr = np.asarray(body["fit"]["correlation"], float)
    np.testing.assert_allclose(np.diag(corr), 1.0, rtol=1e-12)
    # the fitted curve follows the measured one to a fraction of the 2.2-2.5 BW peak
    assert body["rms_vertical_bw"] < 0.25
    with open(out / "residuals.csv") as f:
        rows = list(csv.DictReader(f))
    measured = np.array([float(r["measured_vertical_bw"]) for r in rows])
    model = np.array([float(r["model_vertical_bw"]) for r in rows])
    assert 2.2 <= measured.max() <= 2.6
    assert abs(model.max() - measured.max()) < 0.25
    assert (out / "force_fit.png").stat().st_size > 10_000
    assert "[fit]" in (out / "fit_config.toml").read_text()


@pytest.mark.slow   # 60 s from an empty compile cache (2 loaded cores); CI runs it
def test_fit_command_on_a_watch_file(tmp_path, capsys):
    out = tmp_path / "f5"
    assert main(["fit", "--data", "watch_fit/garmin-fenix-5-run.fit", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "68 kg" in text and "user_profile" in text   # mass from the file itself
    body = json.loads((out / "fit.json").read_text())
    assert body["records"] == 21 and body["converged"] >= 10
    with open(out / "residuals.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 21
    k = np.array([float(r["leg_stiffness_n_per_m"]) for r in rows if r["leg_stiffness_n_per_m"]])
    se = np.array([float(r["leg_stiffness_stderr_n_per_m"]) for r in rows
                   if r["leg_stiffness_stderr_n_per_m"]])
    assert np.all(se > 0) and np.all(se < 0.2 * k)
    assert (out / "stiffness.png").is_file()


@pytest.mark.parametrize("args, words", [
    (["--data", "no_such_file.c3d", "--speed", "3.5", "--mass", "62"],
     ["no_such_file.c3d", "not found", "fukuchi2017/RBDS001runT35.c3d"]),
    (["--data", "fukuchi2017/RBDS001runT35.c3d", "--speed", "3.5", "--mass", "62",
      "--free", "leg_stiffness,wings"], ["free", "wings", "angle_of_attack"]),
    (["--data", "fukuchi2017/RBDS001runT35.c3d", "--mass", "62"], ["speed_m_per_s", "--speed"]),
    (["--data", "fukuchi2017/RBDS001runT35.c3d", "--speed", "3.5", "--mass", "62",
      "--free", "apex_speed"], ["apex_speed", "allowed"]),
])
def test_fit_command_bad_input_is_one_line_and_exit_2(args, words, tmp_path):
    res = cli(*args, "--out", str(tmp_path / "x"))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    for word in words:
        assert word in res.stderr, (word, res.stderr)


def test_fit_command_bad_config_key_names_the_file_and_key(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[data]\nfile = "fukuchi2017/RBDS001runT35.c3d"\nspeed_m_per_s = 3.5\n'
                      '[runner]\nmass_kg = 62\n[fit]\nstarts = 4\nhorizontl = true\n')
    res = cli(str(config))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    for word in ("bad.toml", "[fit]", "horizontl", "horizontal"):
        assert word in res.stderr, (word, res.stderr)
    config.write_text('[data]\nfile = "fukuchi2017/RBDS001runT35.c3d"\nspeed_m_per_s = "fast"\n')
    res = cli(str(config))
    assert res.returncode == 2
    for word in ("bad.toml", "speed_m_per_s", '"fast"', "> 0"):
        assert word in res.stderr, (word, res.stderr)


def test_fit_command_on_a_stride_table(tmp_path, capsys):
    """One fit per CSV row; the rows' own mass column is used."""
    table = tmp_path / "strides.csv"
    table.write_text("speed_m_per_s,contact_time_s,flight_time_s,mass_kg\n"
                     "2.5,0.282,0.100,62\n3.5,0.229,0.122,62\n")   # Fukuchi's mean steps
    out = tmp_path / "s"
    assert main(["fit", "--data", str(table), "--height", "1.81", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "row 1:" in text and "row 2:" in text and "default 70 kg" not in text
    body = json.loads((out / "fit.json").read_text())
    assert body["runner"]["mass_kg"] == [62.0, 62.0]
    assert body["fit"]["status"] == ["converged", "converged"]
    with open(out / "residuals.csv") as f:
        rows = list(csv.DictReader(f))
    # three metrics and periodicity for four unknowns: the residuals vanish
    for row in rows:
        for key in ("residual_sigma_contact_time_s", "residual_sigma_flight_time_s",
                    "residual_sigma_speed_m_per_s", "residual_sigma_periodicity"):
            assert abs(float(row[key])) < 1e-6


@pytest.mark.slow
def test_a_fit_that_cannot_be_believed_exits_1_with_a_warning(tmp_path, capsys):
    """Issue 15, end to end: a stride row fitted to its contact time alone leaves the model's
    unknowns undetermined; the command names it in a warning on stderr and exits 1 (no usable
    fit), not 0 (bad input would be 2). A new kernel (one metric): about 45 s cold."""
    table = tmp_path / "strides.csv"
    table.write_text("speed_m_per_s,contact_time_s,flight_time_s,mass_kg\n3.5,0.229,0.122,62\n")
    out = tmp_path / "f"
    code = main(["fit", "--data", str(table), "--height", "1.81", "--metrics", "contact_time_s",
                 "--out", str(out), "--no-figures"])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 of 1 fits did not converge or left a parameter undetermined" in captured.err
    from simsrc.fit.report import trusted
    assert not trusted(json.loads((out / "fit.json").read_text())["fit"]).any()
