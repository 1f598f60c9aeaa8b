"""The `simsrc` command line: help that teaches, a run's table, ledger, JSON and plot, and bad
input as one message on stderr with exit code 2, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simsrc.cli.main import main
from sweep_cases import CHUNK, TINY_RUN, TINY_SWEEP, write

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, **kw) -> subprocess.CompletedProcess:
    """The command in a fresh interpreter, as a user runs it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "simsrc", *args], capture_output=True,
                          text=True, cwd=kw.get("cwd", ROOT), env=env, timeout=120)


# ----------------------------------------------------------------------------- help

def test_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for text in ("run", "sweep", "check", "examples:", "simsrc run configs/", "--resume",
                 "--scheduler local", "configs/README.md"):
        assert text in out


@pytest.mark.parametrize("command", ["run", "sweep", "check", "explore"])
def test_subcommand_help(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "example" in capsys.readouterr().out


# ----------------------------------------------------------------------------- run

def test_run_prints_the_steady_gait_steps_and_ledger_and_writes_json(tmp_path, capsys):
    config = write(tmp_path, TINY_RUN)
    assert main(["run", str(config), "--steps", "--json", str(tmp_path / "run.json")]) == 0
    out = capsys.readouterr().out
    for text in ("steady gait (no losses: the energy of the start decides the speed",
                 "cadence", "steps/min",
                 "metabolic estimate", "J/kg/m", "Floquet multipliers",
                 "speed", "contact", "flight", "step len", "peak Fv", "BW", "status",
                 "energy ledger", "residual", "largest |residual|", "run status: ok",
                 "periodic gait"):
        assert text in out, text
    body = json.loads((tmp_path / "run.json").read_text())
    assert len(body["steps"]) == 3 and body["run_status"] == "ok"
    steady = body["steady"]
    assert steady["converged"] and steady["reason"] == 0
    # the steady step repeats: its end apex height is its start (the solver's scaled
    # tolerance is 1e-11) and its speed to the RK4 config's energy error (8e-3 J of 88 J)
    assert steady["metrics"]["apex_height_m"] == pytest.approx(steady["apex_height_m"],
                                                               abs=1e-9)
    assert steady["metrics"]["apex_speed_m_per_s"] == pytest.approx(
        steady["apex_speed_m_per_s"], abs=1e-4)
    # conservative: one multiplier is 1, to the RK4 config's energy error (5e-4 here)
    assert steady["multipliers_abs"][0] == pytest.approx(1.0, abs=2e-3)
    step = body["steps"][0]
    assert step["peak_vertical_force_bw"] == pytest.approx(
        step["peak_vertical_force_n"] / (70.0 * 9.81))
    assert abs(step["residual_j"]) < 1e-3 * step["leg_elastic_peak_j"]  # RK4, 10 stance steps


def test_run_with_no_steady_gait_says_why_and_shows_the_steps(tmp_path, capsys):
    """A push and nothing to dissipate it: no speed is steady. The command says so, names the
    missing side of the energy balance, and shows what happens instead (the steps)."""
    config = write(tmp_path, TINY_RUN.replace("[ground]", "[runner]\npush_force_bw = 0.3\n"
                                                "[ground]"))
    assert main(["run", str(config)]) == 0
    out = capsys.readouterr().out
    assert "no steady gait" in out and "nothing takes it away" in out
    assert "what happens instead, 3 steps from the config's start" in out
    assert "run status:" in out


def test_run_json_on_stdout_only(tmp_path, capsys):
    assert main(["run", str(write(tmp_path, TINY_RUN)), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["config"]["n_steps"] == 3 and body["options"]["method"] == "rk4"


def test_run_plot(tmp_path, capsys):
    png = tmp_path / "run.png"
    assert main(["run", str(write(tmp_path, TINY_RUN)), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_of_a_sweep_config_runs_its_base_point(tmp_path, capsys):
    assert main(["run", str(write(tmp_path, TINY_SWEEP)), "--json", "--steps"]) == 0
    captured = capsys.readouterr()
    assert "has a [sweep] table" in captured.err
    assert json.loads(captured.out)["steps_completed"] == 3


@pytest.mark.slow   # the built-in runner's program, in subprocesses
def test_run_formats_csv_and_json():
    """``simsrc run --format``: csv is one row of the steady gait whose numbers are the JSON's
    (the same solve printed two ways), or one row per step with --steps; json is the JSON on
    stdout; json with --json FILE is refused (exit 2)."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(cli("run", "--format", "csv").stdout)))
    assert len(rows) == 1 and rows[0]["converged"] == "True"
    answer = json.loads(cli("run", "--format", "json").stdout)
    for key in ("speed_m_per_s", "cadence_steps_per_min", "contact_time_s",
                "metabolic_cost_j_per_kg_per_m"):
        assert float(rows[0][key]) == answer["steady"]["metrics"][key]
    steps = list(csv.DictReader(io.StringIO(cli("run", "--format", "csv", "--steps", "3").stdout)))
    assert [r["step"] for r in steps] == ["1", "2", "3"] and steps[0]["status"] == "ok"
    bad = cli("run", "--format", "json", "--json", "x.json")
    assert bad.returncode == 2 and "--format json" in bad.stderr


@pytest.mark.slow
def test_run_builtin_default():
    """`simsrc run` with no config: the README's main command (compiles the firm-ground model
    with leg damping and push, tens of seconds on a loaded 2-core machine; hence slow). Its
    steady gait lies in the published human ranges that tests/test_metrics.py cites (contact,
    flight, cadence, peak force, leg and vertical stiffness, duty factor; Cavanagh & Kram 1989,
    Cavanagh & Lafortune 1980, Farley & Gonzalez 1996, Morin et al. 2005) and those of
    tests/test_energetics.py (COM oscillation: Cavagna et al. 1964, Lee & Farley 1998;
    metabolic cost about 4 J/kg/m: Margaria 1963, Kram & Taylor 1990)."""
    done = cli("run")
    assert done.returncode == 0, done.stderr
    assert "steady gait (the energy balance decides the speed" in done.stdout
    assert "metabolic estimate" in done.stdout
    answer = json.loads(cli("run", "--json").stdout)
    assert answer["steady"]["converged"]
    m = answer["steady"]["metrics"]
    assert 3.0 <= m["speed_m_per_s"] <= 4.0
    assert 0.18 <= m["contact_time_s"] <= 0.30
    assert 0.06 <= m["flight_time_s"] <= 0.15
    assert 150.0 <= m["cadence_steps_per_min"] <= 200.0
    assert 2.0 <= m["peak_vertical_force_bw"] <= 3.0
    assert 7e3 <= m["morin_leg_stiffness_n_per_m"] <= 16e3
    assert 20e3 <= m["vertical_stiffness_n_per_m"] <= 50e3
    assert 0.3 <= m["duty_factor"] <= 0.45
    assert 0.05 <= m["com_vertical_oscillation_m"] <= 0.10
    assert 3.0 <= m["metabolic_cost_j_per_kg_per_m"] <= 5.0
    # its energy ledger closes (MODEL.md §10): the steady step's and those of the steps from the
    # config's start, to 1e-4 of the leg's peak elastic energy (measured 3e-6 and 6e-6; 7e-3
    # and 2.4e-2 before the damped stance's first steps were graded and configs took the
    # contact model's own 40 stance steps instead of 10)
    led = answer["steady"]["ledger"]
    assert abs(led["residual_j"]) < 1e-4 * led["leg_elastic_peak_j"]
    steps = json.loads(cli("run", "--json", "--steps", "3").stdout)["steps"]
    assert len(steps) == 3
    for row in steps:
        assert abs(row["residual_j"]) < 1e-4 * row["leg_elastic_peak_j"], row


# ----------------------------------------------------------------------------- sweep

def test_sweep_command(tmp_path, capsys):
    config = write(tmp_path, TINY_SWEEP)
    out = tmp_path / "out"
    args = ["sweep", str(config), "--out", str(out), "--chunk-size", str(CHUNK), "--no-progress",
            "--no-figures"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "6 points x 3 steps" in printed and "invalid_params 2" in printed
    assert (out / "results.nc").exists() and (out / "results.csv").exists()
    assert main(args) == 2  # the folder holds a sweep: --resume or --overwrite
    assert "--resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 0


# ----------------------------------------------------------------------------- bad input

def test_bad_configs_in_a_fresh_process(tmp_path):
    """Exit code 2, the message on stderr, no traceback (as a user sees it)."""
    typo = write(tmp_path, "[leg]\nleg_stifness_kn_per_m = 20\n", "typo.toml")
    done = cli("run", str(typo))
    assert done.returncode == 2
    assert "did you mean `leg_stiffness_kn_per_m`" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout

    rng = write(tmp_path, "[sweep]\nlean_deg = {start = 0, stop = 5}\n", "range.toml")
    done = cli("sweep", str(rng), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "lean_deg needs num" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


BAD_CASES = {
    "wrong type": ('[runner]\nmass_kg = "70"\n', "must be a number (kg)"),
    "out of range": ("[ground]\nslope_deg = 60\n", "`slope_deg` must be in (-45, 45), got 60"),
    "unknown preset": ('[ground]\nsurface = "concrete"\n', "`surface` must be one of"),
    "not TOML": ("[runner\n", "is not valid TOML"),
    "cross-key combination": ("[landing]\nangle_of_attack_deg = 5\n", "landing angle"),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_config_exit_code(tmp_path, capsys, case):
    text, message = BAD_CASES[case]
    assert main(["run", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("simsrc run: error:")


def test_missing_config_and_sweep_without_grid(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    assert main(["sweep", str(write(tmp_path, TINY_RUN)), "--out", str(tmp_path / "o")]) == 2
    assert "no [sweep] table" in capsys.readouterr().err


def test_check(tmp_path, capsys):
    good, bad = write(tmp_path, TINY_SWEEP), write(tmp_path, "[legg]\n", "bad.toml")
    assert main(["check", str(good)]) == 0
    assert "6 points" in capsys.readouterr().out
    assert main(["check", str(good), str(bad)]) == 2
    assert "unknown table [legg]" in capsys.readouterr().err


def test_set_changes_a_key_from_the_command_line(tmp_path, capsys):
    """`--set KEY=VALUE` on run, gait, sweep and check; a bad one exits 2 before any work."""
    good = write(tmp_path, TINY_SWEEP)
    assert main(["check", str(good), "--set", "surface=sand"]) == 0
    for command in (["check", str(good)], ["run"], ["gait"], ["sweep", str(good)]):
        assert main([*command, "--set", "leg_stiffness_kn_per_m=-3"]) == 2, command
        err = capsys.readouterr().err
        assert "`leg_stiffness_kn_per_m` must be > 0, got -3" in err and "--set" in err


def test_every_shipped_config_checks(capsys):
    """Run and sweep configs, and the fit configs in configs/fit/ (checked as fit configs)."""
    configs = sorted(str(p) for p in (ROOT / "configs").glob("**/*.toml"))
    assert any("/fit/" in c for c in configs)
    assert main(["check", *configs]) == 0
    out = capsys.readouterr().out
    assert out.count("ok  ") == len(configs) and "a fit config" in out


@pytest.mark.slow
def test_gait_command_finds_the_periodic_gait_of_a_rigid_ground_runner(tmp_path, capsys):
    """`simsrc gait`: the fixed point maps to itself and the verdict excludes the neutral
    energy multiplier of a conservative runner."""
    from simsrc.cli.main import main
    cfg = tmp_path / "rigid.toml"   # the engine's default runner (conservative) on rigid ground
    cfg.write_text('[ground]\nsurface = "rigid"\n')
    assert main(["gait", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "stable" in out and "neutral energy direction" in out
    import re
    height, speed = map(float, re.search(r"height ([\d.]+) m, speed ([\d.]+)", out).groups())
    import simsrc
    from simsrc.config.load import base_point, load_config
    params, _ = base_point(load_config(str(cfg)))
    rec = simsrc.simulate(params, simsrc.apex(height, speed), 1).records
    assert abs(float(rec.end.y_m[0]) - height) < 1e-4      # printed to 5 decimals


@pytest.mark.slow
def test_gait_command_on_a_pendulum_config(capsys):
    """A pendulum config: settled by simulation, then the 6-D gait and its multipliers (about
    70 s on 2 loaded cores: the pendulum programs; tests/test_swing.py covers them in the
    default run)."""
    cfg = ROOT / "configs" / "e7_swing_leg.toml"
    assert main(["gait", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "Floquet multipliers of the 6-D apex map" in out and "stable" in out


def test_gait_target_speed_is_refused_for_a_pendulum_config(capsys):
    """Asking for a target speed in pendulum mode is refused before anything runs, with a
    message naming the file and the key (exit code 2)."""
    cfg = ROOT / "configs" / "e7_swing_leg.toml"
    assert main(["gait", str(cfg), "--target-speed", "4"]) == 2
    err = capsys.readouterr().err
    assert "`mode` = \"pendulum\"" in err and str(cfg) in err


def test_the_command_line_starts_without_jax():
    """`simsrc --help` and the parsing of every command import no JAX, matplotlib, xarray or
    scipy (issue "answers in seconds": 0.9-1.3 s and 31 MB instead of 3.7-4.5 s and 177 MB
    when `simsrc.cli.run` imported the metrics at the top); each command imports what it runs."""
    code = ("import sys; from simsrc.cli import main\n"
            "heavy = {m.split('.')[0] for m in sys.modules} & "
            "{'jax', 'jaxlib', 'matplotlib', 'xarray', 'scipy', 'pandas', 'dask'}\n"
            "print(sorted(heavy))")
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=root, env=dict(os.environ, PYTHONPATH=root), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.slow   # compiles the held-speed deadbeat step (about 45 s); CI runs it
def test_deadbeat_placement_config_runs_the_deadbeat_runner(capsys):
    """``[control] placement = "deadbeat"``: `simsrc run --steps` is the engine's deadbeat
    runner, every apex at the config's apex height and initial speed from the first step on
    (10° downhill: braking), and the steady answer is the held-speed gait at that speed."""
    import numpy as np

    from simsrc.config.load import load_config
    from simsrc.config.runner import run_config

    cfg = load_config(ROOT / "configs" / "human.toml", ["placement=deadbeat", "slope_deg=-10"])
    _, run = run_config(cfg, 3)
    r = run.records
    assert np.all(np.asarray(r.status) == 0)
    np.testing.assert_allclose(np.asarray(r.end.y_m), cfg.values["apex_height_m"], atol=1e-9)
    np.testing.assert_allclose(np.asarray(r.end.vx_m_per_s), cfg.values["speed_m_per_s"],
                               atol=1e-9)
    assert np.all(np.asarray(r.swing.control) < 0)          # braking downhill
    assert main(["run", str(ROOT / "configs" / "human.toml"), "--set", "placement=deadbeat",
                 "--set", "slope_deg=-10"]) == 0
    out = capsys.readouterr().out
    assert "deadbeat foot placement" in out and "speed held at 3.5 m/s" in out


def test_deadbeat_placement_needs_the_fixed_landing_mode(tmp_path, capsys):
    """The deadbeat placement chooses the landing angle itself: with the pendulum landing mode
    the run is refused before anything compiles, naming the file and both keys (exit 2)."""
    cfg = tmp_path / "pendulum_deadbeat.toml"
    cfg.write_text('[landing]\nmode = "pendulum"\n[control]\nplacement = "deadbeat"\n')
    assert main(["run", str(cfg), "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert str(cfg) in err and "`placement` = \"deadbeat\"" in err and "`mode`" in err
