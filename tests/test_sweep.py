"""Sweeps: the dataset equals a loop of single runs, a crashed sweep resumes to the same
dataset, and a Dask cluster gives the same dataset as this process."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import xarray as xr

import simsrc
from simsrc.config.load import load_config, to_params
from simsrc.errors import SimsrcInputError
from simsrc.config.grid import point_values
from simsrc.metrics.summary import INVALID, step_metrics
from simsrc.sweep.run import auto_chunk_size, run_sweep
from simsrc.sweep.results import flat_table, load_results
from simsrc.viz.plots import sweep_figures
from sweep_cases import CHUNK, TINY_RUN, TINY_SWEEP, write


def sweep(config, out, **kw):
    return run_sweep(config, str(out), chunk_size=CHUNK, progress=False, **kw)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny config and its uninterrupted, in-process sweep (computed once)."""
    tmp = tmp_path_factory.mktemp("tiny")
    config = load_config(write(tmp, TINY_SWEEP))
    ds = sweep(config, tmp / "out")
    # the sweep writes results only; its figures are drawn by the caller (as `simsrc sweep`)
    sweep_figures(ds, config.axes, config.output["metrics"], str(tmp / "out" / "figures"))
    return config, ds, tmp / "out"


def test_dataset_equals_a_loop_of_single_runs(tiny):
    config, ds, _ = tiny
    options = simsrc.Options(**json.loads(ds.attrs["options"]))
    values = point_values(config.values, config.axes, np.arange(config.n_points))
    k_axis, a_axis = config.axes
    for flat in range(config.n_points):
        i, j = np.unravel_index(flat, (len(k_axis), len(a_axis)))
        point = ds.isel(leg_stiffness_kn_per_m=i, angle_of_attack_deg=j)
        one = {k: (v[flat] if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        if one["angle_of_attack_deg"] == 5:  # landing 85 deg from the normal: not allowed
            with pytest.raises(SimsrcInputError):
                to_params(one, "loop")
            assert int(point.run_status) == INVALID
            assert np.all(point.status.values == INVALID)
            assert np.all(np.isnan(point.speed_m_per_s.values))
            continue
        params, state = to_params(one, "loop")
        run = simsrc.simulate(params, state, config.n_steps, options=options)
        expected = step_metrics(run.records, params)
        np.testing.assert_array_equal(point.status.values, expected["status"])
        for name, want in expected.items():
            np.testing.assert_allclose(point[name].values, want, rtol=1e-9, atol=1e-9,
                                       err_msg=name)
    assert set(np.unique(ds.run_status.values)) >= {INVALID, 0}
    assert "landing angle" in ds.attrs["invalid_params_example"]


def test_outputs_are_written(tiny):
    config, ds, out = tiny
    assert ds.run_status.dims == ("leg_stiffness_kn_per_m", "angle_of_attack_deg")
    assert ds.speed_m_per_s.dims == ds.run_status.dims + ("step",)
    assert ds.speed_m_per_s.attrs["units"] == "m/s"
    assert ds.metabolic_cost_j_per_kg_per_m.attrs["units"] == "J/kg/m"
    assert set(np.unique(ds.converged.values)) <= {0, 1}
    xr.testing.assert_equal(load_results(out), ds)
    csv = (out / "results.csv").read_text().splitlines()
    assert len(csv) == 1 + config.n_points
    assert "status_name" in csv[0] and "invalid_params" in "\n".join(csv)
    assert sorted(os.listdir(out / "figures")) == ["mean_speed_m_per_s.png", "run_status.png"]
    rerun = load_config(out / "config.toml")  # the resolved config reruns the same sweep
    assert dict(rerun.values) == dict(config.values)
    assert json.loads((out / "run.json").read_text())["simsrc_version"] == simsrc.__version__


def test_a_crashed_sweep_resumes_to_the_same_dataset(tiny, tmp_path):
    config, full, _ = tiny

    def crash(index, n_done):
        raise RuntimeError("simulated crash after the first chunk")

    with pytest.raises(RuntimeError, match="simulated crash"):
        sweep(config, tmp_path, on_chunk_done=crash)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["done"] == [0] and manifest["n_chunks"] == 2
    assert not (tmp_path / "results.nc").exists()

    with pytest.raises(SimsrcInputError, match="--resume"):
        sweep(config, tmp_path)  # an existing sweep is never silently overwritten

    computed = []
    resumed = sweep(config, tmp_path, resume=True,
                    on_chunk_done=lambda index, n: computed.append(index))
    assert computed == [1], "only the missing chunk is computed"
    xr.testing.assert_equal(resumed, full)


def test_a_damaged_chunk_is_computed_again_on_resume(tiny, tmp_path, capsys):
    """A chunk file damaged on disk is recomputed by --resume; the valid one is kept."""
    import shutil

    config, full, out = tiny
    folder = tmp_path / "out"
    shutil.copytree(out, folder)
    (folder / "chunks" / "chunk_000001.npz").write_bytes(b"PK\x03\x04 damaged")
    computed = []
    resumed = sweep(config, folder, resume=True,
                    on_chunk_done=lambda index, n: computed.append(index))
    assert computed == [1]
    assert "1 chunk file(s)" in capsys.readouterr().err
    xr.testing.assert_equal(resumed, full)


def _full_disk_at(monkeypatch, module, name, after: int):
    """``module.name`` raises ENOSPC (a full disk) from its call number ``after + 1`` on."""
    import errno

    real, calls = getattr(module, name), []

    def fake(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, fake)


def test_a_full_disk_keeps_the_finished_chunks_and_resume_finishes(tiny, tmp_path,
                                                                   monkeypatch):
    """The disk fills while the second chunk is written: the error says what is kept and how
    to finish; the first chunk stays listed, no half-written file is left, and --resume
    computes only the missing chunk (issue 15)."""
    from simsrc.sweep import store

    config, full, _ = tiny
    with monkeypatch.context() as m:
        _full_disk_at(m, store.np, "savez", after=1)
        with pytest.raises(OSError, match=r"No space left.*chunk_000001.*--resume") as err:
            sweep(config, tmp_path)
    assert "points already computed are kept" in str(err.value)
    assert json.loads((tmp_path / "manifest.json").read_text())["done"] == [0]
    assert not [p for p in tmp_path.rglob("*.tmp")], "a half-written file was left"
    computed = []
    resumed = sweep(config, tmp_path, resume=True,
                    on_chunk_done=lambda index, n: computed.append(index))
    assert computed == [1]
    xr.testing.assert_equal(resumed, full)


def test_a_full_disk_while_writing_the_results_leaves_no_half_file(tiny, tmp_path,
                                                                    monkeypatch):
    """The disk fills while results.csv is written: every chunk is kept, neither results file
    is left half written, and --resume writes them without computing anything again."""
    from simsrc.sweep import results

    config, full, _ = tiny
    with monkeypatch.context() as m:
        _full_disk_at(m, results, "write_flat_table", after=0)
        with pytest.raises(OSError, match=r"No space left.*--resume"):
            sweep(config, tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text())["done"] == [0, 1]
    assert not (tmp_path / "results.nc").exists() and not (tmp_path / "results.csv").exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]
    computed = []
    resumed = sweep(config, tmp_path, resume=True,
                    on_chunk_done=lambda index, n: computed.append(index))
    assert computed == []
    xr.testing.assert_equal(resumed, full)
    assert (tmp_path / "results.csv").exists()


def test_sweeping_the_initial_speed_and_height_resumes_and_writes(tmp_path):
    """The swept start values are coordinates; each step's own speed and apex height are
    step_speed_m_per_s and step_apex_height_m (issue 15: the dataset failed to assemble)."""
    config = load_config(write(tmp_path, TINY_RUN + "[sweep]\nspeed_m_per_s = [3.5, 4.0]\n"
                               "apex_height_m = [0.9, 0.91, 0.92]\n"))

    def crash(index, n_done):
        raise RuntimeError("simulated crash after the first chunk")

    with pytest.raises(RuntimeError, match="simulated crash"):
        sweep(config, tmp_path / "out", on_chunk_done=crash)
    ds = sweep(config, tmp_path / "out", resume=True)
    assert list(ds["speed_m_per_s"].values) == [3.5, 4.0]
    assert ds["step_speed_m_per_s"].dims == ("speed_m_per_s", "apex_height_m", "step")
    assert ds["step_apex_height_m"].shape == (2, 3, 3)
    first = ds["step_speed_m_per_s"].isel(step=0).values
    assert np.all(np.abs(first - ds["speed_m_per_s"].values[:, None]) < 1.0)  # near its start
    sweep_figures(ds, config.axes, config.output["metrics"], str(tmp_path / "out" / "figures"))
    assert (tmp_path / "out" / "results.csv").exists()


def test_resume_refuses_a_different_config(tiny, tmp_path):
    config, _, out = tiny
    other = load_config(write(tmp_path, TINY_SWEEP.replace("[14, 16]", "[14, 17]")))
    with pytest.raises(SimsrcInputError, match="different config"):
        sweep(other, out, resume=True)


def test_dask_cluster_gives_the_same_dataset(tiny, tmp_path):
    distributed = pytest.importorskip("distributed")
    config, full, _ = tiny
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ds = sweep(config, tmp_path, scheduler=client)
    xr.testing.assert_equal(ds, full)


def test_auto_chunk_size():
    assert auto_chunk_size(6, 3) == 6                  # never more than the grid
    assert auto_chunk_size(10**6, 10, 2) % 2 == 0      # a multiple of the device count
    assert auto_chunk_size(10**6, 10) <= 8192
    assert auto_chunk_size(1000, 10, 1, min_chunks=8) == 125


def test_sweep_needs_a_sweep_table(tmp_path):
    config = load_config(write(tmp_path, "[run]\nn_steps = 3\n"))
    with pytest.raises(SimsrcInputError, match="no \\[sweep\\] table"):
        sweep(config, tmp_path / "out")


STEADY_SWEEP = """\
[runner]
mass_kg = 70.0
push_force_bw = 0.85
[leg]
leg_length_m = 0.95
leg_stiffness_kn_per_m = 11.0
leg_damping_ratio = 0.1
[landing]
angle_of_attack_deg = 66.86
[ground]
surface = "rigid"
[initial]
apex_height_m = 0.92
speed_m_per_s = 3.5
[run]
answer = "steady"
[sweep]
slope_deg = [-10, 0, 10]
[output]
metrics = ["metabolic_cost_j_per_kg_per_m"]
"""


@pytest.mark.slow   # 126 s from an empty compile cache (2 loaded cores); CI runs it
def test_steady_sweep_holds_the_speed_and_pays_for_the_slope(tmp_path):
    """``answer = "steady"``: each point is its steady gait at the initial speed (configs/
    slope.toml's runner). The speed is held to 1e-9; over the steady step the muscles' net
    work (push work minus what the leg damper absorbs) is m g d sin θ plus the leg's elastic
    energy left at liftoff (a passive loss); uphill the push pays, downhill (10°) the runner
    gains energy even without a push, so the push is zero and the braking (leg damping) is
    solved."""
    import math

    config = load_config(write(tmp_path, STEADY_SWEEP))
    ds = run_sweep(config, str(tmp_path / "out"), chunk_size=4, progress=False)
    assert (ds["run_status"].values == 0).all()
    assert np.allclose(ds["mean_speed_m_per_s"].values, 3.5, atol=1e-9)
    assert np.allclose(ds["steady_apex_height_m"].values, 0.92, atol=1e-9)
    muscle = (ds["mean_push_positive_j"] + ds["mean_push_negative_j"]
              - ds["mean_leg_damping_loss_j"] - ds["mean_leg_elastic_unreturned_j"]).values
    slope = np.radians(ds["slope_deg"].values)
    climb = 70.0 * 9.81 * np.sin(slope) * ds["mean_step_length_m"].values
    assert np.allclose(muscle, climb, atol=1e-5 * 70.0 * 9.81)
    push = ds["steady_push_force_bw"].values
    damping = ds["steady_leg_damping_n_s_per_m"].values
    config_damping = 0.1 * 2 * math.sqrt(11e3 * 70.0)
    assert push[0] == 0.0 and damping[0] > config_damping           # -10°: brakes
    assert push[2] > push[1] > 0 and np.allclose(damping[1:], config_damping)
    assert (ds["controlled_max_abs_multiplier"].values < 1.0).all()


@pytest.mark.slow   # the two-mass stance's program and a one-step program; CI runs it
def test_steady_sweep_reports_each_gaits_impact(tmp_path):
    """``[impact] foot_strike``: each steady point also carries the impact of its foot strike,
    the same numbers `simsrc run` gives for that point (``steady_impact``, another path: one
    runner, its gait from ``steady_config``), and downhill pounds: the impact peak and loading
    rate fall from -10° to +10° (the body lands further ahead and faster downhill, e6)."""
    from simsrc.config.runner import resolve_config, steady_config, steady_impact

    text = STEADY_SWEEP.replace("[sweep]", "[impact]\nfoot_strike = \"heel\"\n[sweep]")
    ds = run_sweep(load_config(write(tmp_path, text)), str(tmp_path / "out"), progress=False)
    assert (ds["run_status"].values == 0).all()
    peak = ds["impact_peak_bw"].values
    rate = ds["impact_loading_rate_bw_per_s"].values
    assert np.all(np.isfinite(peak)) and peak[0] > peak[1] > peak[2] > 0.5
    assert rate[0] > rate[1] > rate[2] > 0.0
    level = resolve_config(write(tmp_path, text), ["slope_deg=0"])
    one = steady_impact(*steady_config(level, target_speed_m_per_s=3.5))
    assert abs(one["impact_peak_bw"] - peak[1]) < 1e-6
    assert abs(one["impact_loading_rate_bw_per_s"] - rate[1]) < 1e-3


# ----------------------------------------------------------------------------- the folder

def test_overwrite_leaves_a_folder_that_holds_no_sweep_alone(tmp_path):
    """``--overwrite`` on a folder the sweep did not make (no manifest) deletes nothing: the
    sweep refuses, naming the files in the way (issue "hardening": it used to delete them,
    even when the command then failed on a bad option)."""
    out = tmp_path / "mine"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "plot.png").write_bytes(b"mine")
    (out / "run.json").write_text("{}")
    (out / "notes.txt").write_text("mine")
    config = load_config(write(tmp_path, TINY_SWEEP))
    with pytest.raises(SimsrcInputError, match="holds no sweep but already has run.json, figures"):
        run_sweep(config, str(out), overwrite=True, chunk_size=CHUNK, progress=False)
    assert (out / "figures" / "plot.png").read_bytes() == b"mine"
    assert (out / "run.json").exists() and (out / "notes.txt").exists()
    with pytest.raises(SimsrcInputError, match="--chunk-size must be >= 1"):
        run_sweep(config, str(tmp_path / "new"), overwrite=True, chunk_size=0, progress=False)
    assert not (tmp_path / "new").exists()


def test_the_config_read_is_never_overwritten(tmp_path):
    """``simsrc sweep config.toml --out .`` in the config's own folder would write the resolved
    config over the user's (comments lost): refused."""
    path = write(tmp_path, TINY_SWEEP, name="config.toml")
    config = load_config(path)
    with pytest.raises(SimsrcInputError, match="over the config it reads"):
        run_sweep(config, str(tmp_path), chunk_size=CHUNK, progress=False)
    assert path.read_text() == TINY_SWEEP


def test_a_second_writer_is_refused(tmp_path):
    """Two processes on one folder: the second stops with a message while the first holds
    the folder's lock (an fcntl lock, released when the holder exits or closes it)."""
    from simsrc.sweep.store import ChunkStore

    out = tmp_path / "out"
    held = ChunkStore.lock(str(out))
    try:
        config = load_config(write(tmp_path, TINY_SWEEP))
        with pytest.raises(SimsrcInputError, match="being written by another simsrc sweep"):
            run_sweep(config, str(out), chunk_size=CHUNK, progress=False)
        code = ("import sys; from simsrc.sweep.store import ChunkStore\n"
                "try:\n    ChunkStore.lock(sys.argv[1])\nexcept Exception as e:\n"
                "    print(e); sys.exit(3)\n")
        import subprocess
        import sys
        done = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True,
                              text=True, env=dict(os.environ, PYTHONPATH=str(
                                  os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
        assert done.returncode == 3 and "another simsrc sweep" in done.stdout
    finally:
        held.close()
    ChunkStore.lock(str(out)).close()       # free again


@pytest.mark.slow
def test_kill_9_in_the_middle_of_a_sweep_loses_nothing_written(tmp_path):
    """``simsrc sweep`` in its own process is killed with SIGKILL after a few of its 60 chunks:
    every chunk the manifest lists is whole, and ``--resume`` computes only the others and
    gives the dataset of an uninterrupted sweep (issue 15)."""
    import signal
    import subprocess
    import sys
    import time

    path = write(tmp_path, TINY_RUN + "[sweep]\nleg_stiffness_kn_per_m = {start = 12, stop = 18, "
                 "num = 10}\nangle_of_attack_deg = [66, 67, 68, 69, 70, 71]\n")
    out = tmp_path / "killed"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-m", "simsrc", "sweep", str(path), "--out",
                             str(out), "--chunk-size", "1"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, PYTHONPATH=root, SIMSRC_QUIET="1"))
    manifest = out / "manifest.json"
    deadline = time.monotonic() + 300
    done = []
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = json.loads(manifest.read_text())["done"]
        except (OSError, ValueError):
            done = []
        if len(done) >= 3:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    listed = json.loads(manifest.read_text())["done"]
    assert 3 <= len(listed) < 60, f"the kill landed outside the sweep ({len(listed)} chunks done)"
    for i in listed:
        with np.load(out / "chunks" / f"chunk_{i:06d}.npz") as z:
            assert z["run_status"].shape == (1,)
    config = load_config(path)
    computed = []
    resumed = run_sweep(config, str(out), resume=True, chunk_size=1, progress=False,
                        on_chunk_done=lambda index, n: computed.append(index))
    assert sorted(computed) == sorted(set(range(60)) - set(listed))
    whole = run_sweep(config, str(tmp_path / "whole"), chunk_size=1, progress=False)
    xr.testing.assert_equal(resumed, whole)


def test_steady_sweep_records_a_chunk_of_invalid_points(tmp_path):
    """A steady chunk whose every point is refused (a 5° angle of attack) is recorded as
    invalid_params beside the solved one, with the same variables."""
    text = STEADY_SWEEP.replace("slope_deg = [-10, 0, 10]", "angle_of_attack_deg = [5, 66.86]")
    config = load_config(write(tmp_path, text))
    ds = run_sweep(config, str(tmp_path / "out"), chunk_size=1, progress=False)
    assert list(ds["run_status"].values) == [INVALID, 0]
    assert np.isnan(ds["steady_push_force_bw"].values[0])
    assert ds["mean_speed_m_per_s"].values[1] == pytest.approx(3.5, abs=1e-9)


@pytest.mark.slow   # two 48-point steady sweeps of the damped-ground program; CI runs it
@pytest.mark.parametrize("name", ["firm", "sand"])
def test_shipped_stiffness_lean_push_sweeps_are_steady_at_nine_points_in_ten(name, tmp_path):
    """Issue "steady running everywhere": the shipped stiffness x lean x push sweeps answer with a
    steady gait at >= 90 % of their points, and every other point says why (its reason code and
    name). Each steady point's speed is the energy balance's, between a jog and a fast run."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cfg = load_config(os.path.join(root, "configs", f"stiffness_lean_push_{name}.toml"))
    ds = run_sweep(cfg, str(tmp_path / "out"), progress=False)
    status = np.asarray(ds["run_status"]).ravel()
    assert status.size == 48
    assert np.mean(status == 0) >= 0.9, np.unique(status, return_counts=True)
    table = flat_table(ds)
    failed = table[table["run_status"] != 0]
    assert len(failed) == np.sum(status != 0)
    assert all(n.startswith("no_gait") for n in failed["status_name"]), failed["status_name"]
    speed = np.asarray(ds["mean_speed_m_per_s"]).ravel()
    assert np.all((speed[status == 0] > 1.8) & (speed[status == 0] < 4.5))
    assert np.all(np.isnan(speed[status != 0]))


@pytest.mark.slow   # a 160-point held-speed sweep (about 40 s warm); CI runs it
def test_held_speed_sweep_covers_stiffness_lean_and_slope(tmp_path):
    """Issue "steady running everywhere": steady gaits at a held 3.5 m/s over leg stiffness
    6-40 kN/m x lean -5..10 deg x slope -10..10 deg (configs/held_speed_stiffness_lean_slope.toml)
    at >= 95 % of the points; each steady point holds the speed, and downhill its muscles do
    more negative than positive work, uphill the reverse."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cfg = load_config(os.path.join(root, "configs", "held_speed_stiffness_lean_slope.toml"))
    ds = run_sweep(cfg, str(tmp_path / "out"), progress=False)
    ok = np.asarray(ds["run_status"]) == 0
    assert ok.mean() >= 0.95, np.unique(np.asarray(ds["run_status"]), return_counts=True)
    speed = np.asarray(ds["mean_speed_m_per_s"])
    np.testing.assert_allclose(speed[ok], 3.5, atol=1e-6)
    slope = np.asarray(ds["slope_deg"])[None, None, :] * np.ones(ok.shape)
    pos = np.asarray(ds["mean_muscle_positive_work_j"])
    neg = np.asarray(ds["mean_muscle_negative_work_j"])
    assert np.all((neg > pos)[ok & (slope <= -5)])
    assert np.all((pos > neg)[ok & (slope >= 5)])


def test_default_devices_split_only_large_plain_sweeps_in_this_process():
    """``simsrc sweep`` without --devices: one CPU device per core (at most 8) from 10^6 steps
    in all, for a plain sweep in this process where XLA_FLAGS sets no count; one device for a
    smaller sweep (a split program compiles longer the first time, and e8's 10^4 points x 20
    steps saved nothing warm), a steady one (its solvers run on one device), Dask workers and
    one core."""
    from simsrc.cli.sweep import MOST_DEFAULT_DEVICES, default_devices

    assert default_devices(10**5, 10, None, None, 2, "") == 2
    assert default_devices(10**6, 10, "steps", None, 64, "") == MOST_DEFAULT_DEVICES
    assert default_devices(10**4, 20, None, None, 2, "") is None
    assert default_devices(10**5, 10, "steady", None, 2, "") is None
    assert default_devices(10**5, 10, None, "local", 2, "") is None
    assert default_devices(10**5, 10, None, None, 1, "") is None
    assert default_devices(10**5, 10, None, None, 2,
                           "--xla_force_host_platform_device_count=3") is None


@pytest.mark.slow   # two processes, each compiling the tiny sweep's program; CI runs it
def test_a_sweep_split_across_two_devices_gives_the_same_dataset(tiny, tmp_path):
    """``simsrc sweep --devices 2`` (what the default picks for a large sweep on two cores)
    places each chunk on two XLA CPU devices; its dataset equals the in-process sweep's on
    one device, every number to 1e-12 relative (the same program, partitioned)."""
    import subprocess
    import sys

    config, full, _ = tiny
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "split"
    done = subprocess.run([sys.executable, "-m", "simsrc", "sweep", str(config.source), "--out",
                           str(out), "--chunk-size", str(CHUNK), "--devices", "2",
                           "--no-progress", "--no-figures"], cwd=root, capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, PYTHONPATH=root))
    assert done.returncode == 0, done.stderr
    ds = xr.open_dataset(out / "results.nc")
    assert len(json.loads((out / "run.json").read_text())["devices"]) == 2
    for name in full.data_vars:
        a, b = np.asarray(ds[name].values), np.asarray(full[name].values)
        if np.issubdtype(b.dtype, np.floating):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
