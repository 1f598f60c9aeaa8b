"""Bad input ends in one clear message and exit code 2: no traceback, no hang, no memory kill,
no silent acceptance (issue 15).

The corpus is ``tests/robustness/``: odd files and a table of cases (``cases.toml``: command-line
arguments, exit code, what the message must and must not say). Each case runs in-process through
``simsrc.cli.main.main`` and fails before anything is simulated, so the module stays fast. The
tests after the table check what a command line cannot reach cheaply: the memory estimates
against a pretended machine, damaged sweep folders, and values that must round-trip.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from simsrc.cli.main import main
from simsrc.config import budget
from simsrc.config.dump import dump_config
from simsrc.config.grid import Axis
from simsrc.config.load import load_config, parse_config
from simsrc.errors import SimsrcInputError
from simsrc.sweep.store import ChunkStore

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "robustness"
CASES = tomllib.loads((CORPUS / "cases.toml").read_text())["case"]


def _fill(text: str, tmp_path: Path) -> str:
    return text.replace("{dir}", str(CORPUS)).replace("{tmp}", str(tmp_path))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_gets_a_message_and_exit_code_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)      # nothing a case writes lands in the repository
    for src, dest in case.get("copy", []):
        target = tmp_path / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / src, target)
    try:
        code = main([_fill(a, tmp_path) for a in case["args"]])
    except SystemExit as e:          # argparse refuses a value of the wrong type itself
        code = e.code
    out, err = capsys.readouterr()
    text = out + err
    assert code == case.get("code", 2), text
    for want in case["expect"]:
        assert _fill(want, tmp_path) in err, f"{want!r} missing from: {err}"
    for never in case.get("forbid", []):
        assert never not in text, f"{never!r} (the file's contents) echoed: {text}"
    assert "Traceback" not in text


def _simsrc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "simsrc", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_real_terminal_sees_no_traceback(tmp_path):
    """The same refusals from a separate process: exit code 2, one line, no traceback."""
    done = _simsrc("check", str(CORPUS / "not_utf8.toml"), str(CORPUS / "binary.toml"),
                   "/dev/zero", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.count("error:") == 3 and "not UTF-8" in done.stderr
    done = _simsrc("sweep", str(CORPUS / "sweep_small.toml"), "--scheduler", "not-an-address",
                   cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "not-an-address" in done.stderr


# ----------------------------------------------------------------------------- files

def test_a_config_over_1_mib_is_refused_unread(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text("# padding\n" * 200_000)          # 2 MB of comments: valid TOML
    with pytest.raises(SimsrcInputError, match=r"big.toml has 2,000,000 bytes.*1 MiB"):
        load_config(path)


def test_a_description_with_a_newline_round_trips(tmp_path):
    """The resolved config a sweep writes reruns as is, whatever the description holds."""
    text = 'description = "two\\nlines, a \\"quote\\", a tab\\t, a \\\\ and \\u0001"\n'
    config = parse_config(tomllib.loads(text), "x.toml")
    again = tomllib.loads(dump_config(config, "header\nover two lines"))
    assert again["description"] == config.description
    assert parse_config(again, "y.toml").values == config.values


# ----------------------------------------------------------------------------- memory

GIB = 1 << 30


@pytest.fixture
def one_gib_available(monkeypatch):
    """Pretend the machine has 1 GiB available (the estimates read it through this function)."""
    monkeypatch.setattr(budget, "available_memory_bytes", lambda: GIB)


def test_an_automatic_chunk_passes_its_own_memory_check(one_gib_available):
    """The automatic chunk size leaves room for the two chunks in flight that plan_sweep's
    check counts: e8's 100 x 100 grid of 20 damped steps (46 KiB per point and step) on a
    machine with 1 GiB available was refused by the check of its own automatic size."""
    from simsrc.sweep.run import MIN_CHUNK, plan_sweep

    config = load_config(Path(__file__).parents[1] / "configs" / "e8_stability.toml")
    plan = plan_sweep(config)              # raised SimsrcInputError before the fix
    assert MIN_CHUNK < plan.chunk_size < config.n_points    # the memory, not the grid, set it
    per_point = budget.bytes_per_point_step(
        budget.stance_steps_or_most(config.values["stance_steps"]),
        config.values["search_steps"]) * config.n_steps
    assert 2 * plan.chunk_size * per_point <= budget.MEMORY_FRACTION * GIB


def test_stance_steps_are_refused_by_memory_not_by_a_fixed_cap(one_gib_available, tmp_path):
    path = tmp_path / "steps.toml"
    path.write_text("[numerics]\nstance_steps = 100000\n")        # 9 GB for one point
    with pytest.raises(SimsrcInputError, match=r"stance_steps = 100,000.*1 GiB available"):
        load_config(path)
    path.write_text("[numerics]\nstance_steps = 1000\n")          # 90 MB: allowed
    assert load_config(path).values["stance_steps"] == 1000


def test_grid_results_are_refused_by_the_disk(monkeypatch, tmp_path):
    """A grid's result files are checked against the free disk (1 GiB pretended here), not
    against memory: the results are assembled block by block (benchmarks/README.md)."""
    monkeypatch.setattr(budget, "available_disk_bytes", lambda folder=".": GIB)
    path = tmp_path / "grid.toml"
    grid = "[sweep]\nmass_kg = {start = 50, stop = 90, num = 500}\n" \
           "leg_length_m = {start = 0.8, stop = 1.0, num = 500}\n"
    path.write_text(grid)                   # 250,000 points x 10 steps x 72 metrics: 3.7 GB
    with pytest.raises(SimsrcInputError, match=r"250,000 points.*of disk.*per_step = false"):
        load_config(path)
    path.write_text(grid + "[output]\nper_step = false\n")         # 0.8 GB: allowed
    assert load_config(path).n_points == 250_000


def test_the_disk_estimate_reads_the_nearest_existing_folder(tmp_path):
    import shutil

    assert budget.available_disk_bytes(str(tmp_path / "not" / "yet")) == pytest.approx(
        shutil.disk_usage(tmp_path).free, rel=0.01)


def test_chunk_size_is_clipped_to_the_grid_and_checked_against_memory(one_gib_available, tmp_path,
                                                                      capsys):
    from simsrc.sweep.run import plan_sweep

    config = load_config(CORPUS / "sweep_small.toml")
    assert plan_sweep(config, chunk_size=10**12).chunk_size == 2          # the grid: 2 points
    path = tmp_path / "grid.toml"
    path.write_text("[sweep]\nmass_kg = {start = 50, stop = 90, num = 2000}\n")
    code = main(["sweep", str(path), "--chunk-size", "2000", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "--chunk-size 2,000" in err and "1 GiB available" in err
    assert not (tmp_path / "out").exists()                    # refused before writing


def test_check_reports_the_grid_size(capsys):
    assert main(["check", str(CORPUS / "sweep_small.toml")]) == 0
    assert "mass_kg 2 = 2 points" in capsys.readouterr().out


# ----------------------------------------------------------------------------- sweep folders

def _store(out: Path, n_points=10, chunk=4) -> ChunkStore:
    return ChunkStore(str(out), "fp", n_points, chunk)


def test_a_damaged_chunk_is_computed_again_and_the_others_kept(tmp_path):
    first = _store(tmp_path)
    first.open(resume=False)
    for i in range(3):
        first.write_chunk(i, {"run_status": np.zeros(first.chunk_range(i)[1] - 4 * i)})
    Path(first.chunk_path(1)).write_bytes(b"PK\x03\x04 not a zip any more")
    again = _store(tmp_path)
    again.open(resume=True)
    assert again.done == {0, 2} and again.damaged == [1] and again.pending == [1]
    assert json.loads((tmp_path / "manifest.json").read_text())["done"] == [0, 2]


def test_a_chunk_damaged_after_the_resume_check_names_its_file(tmp_path):
    store = _store(tmp_path, n_points=4)
    store.open(resume=False)
    store.write_chunk(0, {"run_status": np.zeros(4)})
    Path(store.chunk_path(0)).write_bytes(b"\x00" * 10)
    with pytest.raises(SimsrcInputError, match=r"chunk_000000.npz is damaged.*--resume"):
        store.load_all()


def test_overwrite_clears_a_folder_whose_manifest_is_damaged(tmp_path):
    store = _store(tmp_path)
    store.open(resume=False)
    store.write_chunk(0, {"run_status": np.zeros(4)})
    (tmp_path / "manifest.json").write_bytes(b"\xff{ not json")
    (tmp_path / "notes.txt").write_text("the user's own file")
    with pytest.raises(SimsrcInputError, match="manifest.json is damaged"):
        ChunkStore.read_manifest(str(tmp_path))
    assert ChunkStore.holds_sweep(str(tmp_path))
    ChunkStore.check_writable(str(tmp_path))        # a sweep's own folder: no refusal
    ChunkStore.clear(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_resumed_chunk_size_is_checked_against_memory(tmp_path):
    """A manifest of this very sweep whose chunk size was damaged to 10^12 points is refused,
    not allocated."""
    from simsrc.sweep.run import fingerprint, plan_sweep, run_sweep

    config = load_config(CORPUS / "sweep_small.toml")
    body = {"fingerprint": fingerprint(plan_sweep(config)), "n_points": 2,
            "chunk_size": 10**12, "n_chunks": 1, "per_step": True, "done": []}
    (tmp_path / "manifest.json").write_text(json.dumps(body))
    with pytest.raises(SimsrcInputError, match=r"chunk size 1,000,000,000,000 that .* was begun"):
        run_sweep(config, str(tmp_path), resume=True, progress=False)


def test_valid_scheduler_addresses_pass():
    from simsrc.sweep.run import check_scheduler

    for address in ("local", "tcp://10.0.0.5:8786", "tls://scheduler.example.org:8786",
                    "scheduler:8786", "tcp://[::1]:8786", None):
        check_scheduler(address, None)
    check_scheduler("local", 2)
    for address in ("not-an-address", "tcp://", "http://host:8786", "host:port", ""):
        with pytest.raises(SimsrcInputError, match="--scheduler"):
            check_scheduler(address, None)


# ----------------------------------------------------------------------------- datasets

class _Plan:
    def __init__(self, axes, n_steps=2):
        self.axes, self.n_steps = axes, n_steps


def test_sweeping_the_initial_speed_assembles_a_dataset():
    """The swept initial speed is the coordinate; each step's own speed is step_speed_m_per_s.
    Other sweeps keep the metric names."""
    from simsrc.sweep.results import build_dataset, flat_table

    speeds = (3.0, 4.0, 5.0)
    per_step = np.arange(6.0).reshape(3, 2)
    arrays = {"speed_m_per_s": per_step, "apex_height_m": per_step + 1,
              "contact_time_s": per_step / 10, "mean_speed_m_per_s": per_step.mean(1),
              "run_status": np.zeros(3, np.int32)}
    plan = _Plan((Axis("speed_m_per_s", ("speed_m_per_s",), (speeds,), ([3, 4, 5],)),))
    ds = build_dataset(plan, arrays)
    assert list(ds["speed_m_per_s"].values) == list(speeds)
    np.testing.assert_array_equal(ds["step_speed_m_per_s"].values, per_step)
    assert "apex_height_m" in ds.data_vars and "contact_time_s" in ds.data_vars
    assert ds["step_speed_m_per_s"].attrs["units"] == "m/s"
    assert list(flat_table(ds)["speed_m_per_s"]) == list(speeds)
    plan = _Plan((Axis("mass_kg", ("mass_kg",), ((60.0, 70.0, 80.0),), ([60, 70, 80],)),))
    ds = build_dataset(plan, arrays)
    assert "speed_m_per_s" in ds.data_vars and "step_speed_m_per_s" not in ds.data_vars


def test_results_are_assembled_block_by_block_and_equal_the_in_memory_assembly(tmp_path,
                                                                              monkeypatch):
    """write_results streams the chunk files (bounded memory: the 10^6-point assembly peaks
    near 0.47 GB against 1.9 GB in memory, benchmarks/README.md). With tiny blocks, no read
    spans more than a block, and results.nc and results.csv hold exactly what assembling every
    chunk in memory gives (build_dataset, flat_table)."""
    import pandas as pd
    import xarray as xr

    from simsrc.engine.step import Options
    from simsrc.sweep import results

    shape = (5, 3, 4)   # 60 points, chunks of 7 (the last one short), blocks of rows of 12
    axes = tuple(Axis(name, (name,), (tuple(float(v) for v in range(n)),), (list(range(n)),))
                 for name, n in zip(("mass_kg", "lean_deg", "push_force_bw"), shape))
    plan = _Plan(axes, n_steps=2)
    plan.values, plan.options = {}, Options()
    store = ChunkStore(str(tmp_path), "fp", 60, 7)
    store.open(resume=False)
    rng = np.random.default_rng(1)
    for i in range(store.n_chunks):
        a, b = store.chunk_range(i)
        store.write_chunk(i, {"run_status": rng.integers(0, 3, b - a).astype(np.int32),
                              "mean_speed_m_per_s": rng.random(b - a),
                              "speed_m_per_s": rng.random((b - a, 2))})
    spans = []
    read = ChunkStore.read_points
    monkeypatch.setattr(ChunkStore, "read_points",
                        lambda self, k, lo, hi: spans.append(hi - lo) or read(self, k, lo, hi))
    monkeypatch.setattr(results, "NC_BLOCK_POINTS", 24)
    monkeypatch.setattr(results, "CSV_BLOCK_POINTS", 12)

    class _Config:
        description, source = "streamed", "test"

    streamed = results.write_results(plan, store, _Config())
    assert max(spans) == 24 and 12 in spans
    whole = results.build_dataset(plan, store.load_all())
    xr.testing.assert_equal(streamed, whole)
    xr.testing.assert_equal(results.load_results(str(tmp_path)), whole)
    written = pd.read_csv(tmp_path / "results.csv")
    expected = results.flat_table(whole)
    assert list(written.columns) == list(expected.columns) and len(written) == 60
    for column in expected.columns:
        np.testing.assert_array_equal(written[column].to_numpy(), expected[column].to_numpy(),
                                      err_msg=column)
