"""Sweep figures on a constructed dataset (no engine run): axes and colour bars carry human labels
with units, a point whose run_status is not 0 is never drawn as a value (a failed point's 0
J/kg/m cost included) but marked by its status, and the legend counts the points of each status.
"""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simsrc.config.grid import Axis
from simsrc.metrics.summary import NO_GAIT, STATUS_NAMES
from simsrc.viz.labels import label, status_words, value_text
from simsrc.viz.plots import status_counts, sweep_figure, sweep_figures

SLOWS, NO_FLIGHT, FALLS = NO_GAIT + 7, NO_GAIT + 8, NO_GAIT + 1
FLAGS = {"flag_values": np.array(list(STATUS_NAMES), np.int32),
         "flag_meanings": " ".join(STATUS_NAMES.values())}


def axis(name, values, scale="list"):
    return Axis(name, (name,), (tuple(values),), (list(values),), scale)


def dataset(axes, status, cost, answer="steady"):
    """A sweep dataset as ``simsrc.sweep.results.build_dataset`` lays it out: one dimension per
    axis, ``run_status`` with its flags, per-point means with their units."""
    dims = tuple(a.name for a in axes)
    coords = {a.name: (a.name, np.asarray(a.values[0]), {"units": "1"}) for a in axes}
    status = np.asarray(status, np.int32)
    speed = np.linspace(3.0, 4.0, status.size).reshape(status.shape)
    return xr.Dataset(
        {"run_status": (dims, status, dict(FLAGS)),
         "steps_completed": (dims, (status == 0).astype(np.int32), {"units": "1"}),
         "mean_speed_m_per_s": (dims, speed, {"units": "m/s"}),
         "mean_metabolic_cost_j_per_kg_per_m": (dims, np.asarray(cost, float),
                                                {"units": "J/kg/m"})},
        coords=coords, attrs={"answer": answer})


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


# ------------------------------------------------------------------------------------ labels

@pytest.mark.parametrize("name,want", [
    ("leg_stiffness_kn_per_m", "leg stiffness (kN/m)"),
    ("lean_deg", "lean (°)"),
    ("push_force_bw", "push force (body weights)"),
    ("mean_speed_m_per_s", "speed (m/s)"),
    ("mean_cadence_steps_per_min", "cadence (steps/min)"),
    ("mean_contact_time_s", "contact time (s)"),
    ("mean_metabolic_cost_j_per_kg_per_m", "metabolic estimate (J/kg/m)"),
    ("mean_peak_vertical_force_bw", "peak vertical force (body weights)"),
    ("mean_duty_factor", "duty factor"),
    ("mean_dissipated_j", "dissipated (J)"),          # not in a table: words and the suffix's unit
    ("max_abs_multiplier", "max_abs_multiplier"),     # unknown: the name itself
])
def test_labels_carry_units(name, want):
    assert label(name) == want


def test_value_text_and_status_words():
    assert value_text("lean_deg", np.float64(5.0)) == "lean = 5°"
    assert value_text("push_force_bw", 1.05) == "push force = 1.05 body weights"
    assert value_text("surface", "sand") == "surface = sand"
    assert status_words(0, steady=True) == "steady"
    assert status_words(SLOWS, steady=True) == "slows"
    assert status_words(NO_FLIGHT, steady=True) == "no flight"
    assert status_words(1, steady=False) == "fall"


# ------------------------------------------------------------------------------ line plots

def line_case():
    stiff = axis("leg_stiffness_kn_per_m", [10.0, 12.0, 14.0, 16.0, 18.0, 20.0], "linear")
    status = [0, SLOWS, 0, NO_FLIGHT, SLOWS, 0]
    cost = [4.1, 0.0, 4.3, 0.0, 0.0, 4.6]       # a failed point's cost reads 0 J/kg/m
    return [stiff], dataset([stiff], status, cost), np.asarray(status)


def test_line_masks_failed_points_and_counts_them():
    axes, ds, status = line_case()
    fig = sweep_figure(ds, axes, "mean_metabolic_cost_j_per_kg_per_m")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "leg stiffness (kN/m)"
    assert ax.get_ylabel() == "metabolic estimate (J/kg/m)"
    values = ax.lines[0]
    y = np.asarray(values.get_ydata(), float)
    assert np.all(np.isnan(y[status != 0])), "a failed point is drawn as a value"
    np.testing.assert_allclose(y[status == 0], [4.1, 4.3, 4.6])
    for line in ax.lines[1:]:  # the failure markers sit on the x axis, not at a value
        assert line.get_transform() != ax.transData
    drawn = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in ax.lines
                            if ln.get_transform() == ax.transData])
    assert not np.any(drawn == 0.0)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["steady: 3 of 6", "slows: 2", "no flight: 1"]


def test_line_markers_differ_by_status():
    axes, ds, status = line_case()
    ax = sweep_figure(ds, axes, "mean_speed_m_per_s").axes[0]
    slows, no_flight = ax.lines[1], ax.lines[2]
    assert slows.get_marker() != no_flight.get_marker()
    assert slows.get_color() != no_flight.get_color()
    np.testing.assert_array_equal(slows.get_xdata(), [12.0, 18.0])


# -------------------------------------------------------------------------------- heatmaps

def heat_case(answer="steady"):
    stiff = axis("leg_stiffness_kn_per_m", [10.0, 15.0, 20.0, 25.0], "linear")
    lean = axis("lean_deg", [-5.0, 0.0, 5.0])
    status = np.zeros((4, 3), np.int32)
    status[0, 0] = status[3, 2] = SLOWS
    status[1, 2] = NO_FLIGHT
    cost = np.where(status == 0, 4.0 + np.arange(12).reshape(4, 3) / 10, 0.0)
    return [stiff, lean], dataset([stiff, lean], status, cost, answer), status


def test_heatmap_masks_failed_cells_and_counts_them():
    axes, ds, status = heat_case()
    fig = sweep_figure(ds, axes, "mean_metabolic_cost_j_per_kg_per_m")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "leg stiffness (kN/m)"
    assert ax.get_ylabel() == "lean (°)"
    arr = ax.collections[0].get_array()   # the QuadMesh: rows are lean, columns stiffness
    mask = np.ma.getmaskarray(arr).reshape(3, 4)
    np.testing.assert_array_equal(mask, status.T != 0)
    assert np.ma.min(arr) > 0, "a failed point's 0 J/kg/m cost is drawn"
    bar = fig.axes[-1]
    assert bar.get_ylabel() == "metabolic estimate (J/kg/m)"
    assert ax.collections[0].get_clim()[0] == pytest.approx(4.0 + 1 / 10)  # ok points only
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["steady: 9 of 12", "slows: 2", "no flight: 1"]


def test_heatmap_hatches_each_status_on_its_cells():
    axes, ds, status = heat_case()
    ax = sweep_figure(ds, axes, "mean_speed_m_per_s").axes[0]
    hatched = {c.get_gid(): c for c in ax.collections[1:]}
    assert set(hatched) == {f"status {SLOWS}", f"status {NO_FLIGHT}"}
    assert len(hatched[f"status {SLOWS}"].get_paths()) == 2
    assert len(hatched[f"status {NO_FLIGHT}"].get_paths()) == 1
    assert hatched[f"status {SLOWS}"].get_hatch() != hatched[f"status {NO_FLIGHT}"].get_hatch()


def test_a_steps_sweep_masks_runs_that_failed_later():
    """A steps sweep: a run that failed after some steps has a mean over them, not drawn."""
    axes, ds, status = heat_case(answer="steps")
    status = np.where(status == SLOWS, 1, np.where(status == NO_FLIGHT, 6, 0))
    ds["run_status"].values[:] = status
    fig = sweep_figure(ds, axes, "mean_speed_m_per_s")
    mask = np.ma.getmaskarray(fig.axes[0].collections[0].get_array()).reshape(3, 4)
    np.testing.assert_array_equal(mask, status.T != 0)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["every step completed: 9 of 12", "fall: 2", "ledger open: 1"]


def test_small_multiples_count_the_drawn_panels_and_title_them_in_words():
    stiff = axis("leg_stiffness_kn_per_m", [10.0, 15.0], "linear")
    lean = axis("lean_deg", [0.0, 5.0])
    push = axis("push_force_bw", [0.9, 1.05])
    status = np.zeros((2, 2, 2), np.int32)
    status[0, 1, 1] = SLOWS
    ds = dataset([stiff, lean, push], status, np.ones((2, 2, 2)))
    fig = sweep_figure(ds, [stiff, lean, push], "mean_speed_m_per_s")
    titles = [ax.get_title() for ax in fig.axes[:2]]
    assert titles == ["push force = 0.9 body weights", "push force = 1.05 body weights"]
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["steady: 7 of 8", "slows: 1"]


def test_run_status_figure_counts_and_files(tmp_path):
    axes, ds, status = heat_case()
    fig = sweep_figure(ds, axes, "run_status")
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["steady: 9 of 12", "slows: 2", "no flight: 1"]
    paths = sweep_figures(ds, axes, ["speed_m_per_s", "metabolic_cost_j_per_kg_per_m",
                                     "not_in_dataset"], str(tmp_path))
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == [
        "mean_metabolic_cost_j_per_kg_per_m.png", "mean_speed_m_per_s.png", "run_status.png"]


def test_status_counts_order_ok_first_then_by_code():
    assert status_counts([FALLS, 0, SLOWS, 0, FALLS], steady=True) == [
        (0, "steady: 2 of 5"), (FALLS, "falls: 2"), (SLOWS, "slows: 1")]
    assert status_counts([SLOWS], steady=True)[0] == (0, "steady: 0 of 1")


def test_a_log_axis_shows_its_swept_values():
    stiff = axis("leg_stiffness_kn_per_m", [10.0, 20.0, 40.0], "log")
    ds = dataset([stiff], np.zeros(3, np.int32), np.ones(3))
    ax = sweep_figure(ds, [stiff], "mean_speed_m_per_s").axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "20", "40"]


def test_every_failure_status_has_its_own_marker_and_hatch():
    from simsrc.viz.plots import _pyplot, _status_mark

    marks = [_status_mark(_pyplot(), c) for c in STATUS_NAMES if c != 0]
    assert len({m[1] for m in marks}) == len(marks) and all(m[1] for m in marks)
    assert len({m[2] for m in marks}) == len(marks)
