"""The explorer's JSON API (Starlette's TestClient, one warmed app per session): what a state
answers, how bad values are refused, the exports, and that the explorer's one general set of
numerical options gives the numbers of the specialised programs ``simsrc run`` uses."""
from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from explore_cases import warm_app  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from simsrc.config.load import base_point, parse_config  # noqa: E402
from simsrc.config.schema import BY_NAME  # noqa: E402
from simsrc.explore.controls import (CONTROLS, FROM_PRESET, PLACEMENT,  # noqa: E402
                                     SURFACE_NUMBERS, TARGET_SPEED, default_state, parse_state)
from simsrc.gait.steady import REASONS  # noqa: E402

STIFFNESS_KEY = "leg_stiffness_kn_per_m"


@pytest.fixture(scope="module")
def client():
    return TestClient(warm_app())


def gait(client, **query):
    r = client.get("/api/gait", params=query)
    assert r.status_code == 200, r.text
    return r.json()


def test_status_is_ready_after_the_warm_up(client):
    s = client.get("/api/status").json()
    assert s["ready"] and s["phase"] == "ready" and s["seconds"] > 0


def test_every_slider_range_is_allowed_by_the_config_schema(client):
    """The sliders offer only allowed values (the allowed ranges are the schema's)."""
    meta = client.get("/api/controls").json()
    keys = [c["key"] for c in meta["controls"]]
    assert keys == [c.key for c in CONTROLS]
    for c in CONTROLS:
        if c.key in (TARGET_SPEED, "surface", PLACEMENT):
            continue
        ok = BY_NAME[c.key].ok
        if c.choices:                        # a select: the schema's names (the landing modes
            # without the pendulum), its default among them
            assert set(c.choices) <= set(BY_NAME[c.key].choices) and ok(c.default), c
            assert c.default in c.choices, c
            continue
        assert ok(c.low) and ok(c.high) and c.low <= c.high, c
        if c.key in SURFACE_NUMBERS:         # the preset's numbers until moved
            assert c.default == FROM_PRESET, c
            continue
        assert ok(c.default) and c.low <= c.default <= c.high, c
    assert {s["name"] for s in meta["surfaces"]} >= {"firm", "sand", "rigid"}
    # every preset's own numbers, in the controls' units, are allowed values of their keys
    from simsrc.engine.surface import SURFACE_PRESETS
    for s in meta["surfaces"]:
        preset = SURFACE_PRESETS[s["name"]]
        numbers = s["numbers"]
        assert set(numbers) == set(SURFACE_NUMBERS) == set(meta["surface_number_keys"])
        assert numbers["surface_damping_n_s_per_m"] == preset.damping_n_s_per_m
        assert numbers["surface_restitution"] == preset.restitution
        k = numbers["surface_stiffness_kn_per_m"]
        assert (k is None) if math.isinf(preset.stiffness_n_per_m) else (
            k == pytest.approx(preset.stiffness_n_per_m / 1e3, rel=1e-12))
        for key, v in numbers.items():
            assert v is None or BY_NAME[key].ok(v), (s["name"], key, v)
    assert meta["lessons"] and all(set(l) >= {"question", "try", "look_for", "setup"}
                                   for l in meta["lessons"])
    for lesson in meta["lessons"]:          # every lesson's setup is a valid state
        parse_state(lesson["setup"])
        parse_state({**lesson["setup"], **lesson.get("compare", {})})


def test_the_default_runner_holds_its_speed(client):
    a = gait(client)
    s = a["steady"]
    assert s["converged"] and s["reason"] == 0
    assert s["metrics"]["speed_m_per_s"] == pytest.approx(3.5, rel=1e-8)
    assert set(s["solved"]) == {"apex_speed_m_per_s", "angle_of_attack_rad", "push_force_bw"}
    assert 55 < s["solved"]["angle_of_attack_rad"]["value"] < 80      # degrees on the page
    # the built-in human runner: its damped leg loses energy every step, and on level ground
    # the push puts exactly that back (the steady step's ledger closes)
    e = s["energy"]
    assert 0.9 < e["return_ratio"] < 0.99 and e["lost_j"] > 50
    assert e["injected_j"] == pytest.approx(e["lost_j"], abs=1e-2)
    assert 0.5 < s["solved"]["push_force_bw"]["value"] < 1.5
    # with the foot placement that holds the apex height, the gait is stable
    assert s["stability"]["verdict"].startswith("stable"), s["stability"]
    anim = a["animation"]
    assert anim["n_steps"] == 3 and all(st == "ok" for st in anim["status"])
    assert any(p == 1 for p in anim["phase"][0])                     # a stance to draw


def test_a_stiffer_leg_shortens_the_contact(client):
    t = [gait(client, leg_stiffness_kn_per_m=k)["steady"]["metrics"]["contact_time_s"]
         for k in (12, 15, 20, 30)]
    assert all(np.isfinite(t)) and t[0] > t[1] > t[2] > t[3], t


@pytest.mark.slow   # compiles the two-mass stance (tens of seconds cold); CI runs it
def test_a_foot_strike_shows_the_impact_of_the_steady_gait(client):
    """The foot strike control (issue "impact and foot strike": impact metrics in the explorer):
    a heel strike in a cushioned shoe shows an impact peak (between 1 and 3 BW, 5-60 ms after
    touchdown) and loading rates; a barefoot heel hits harder than a cushioned one (the
    midsole in series softens the contact); a barefoot forefoot strike shows no larger peak
    (Lieberman et al. 2010: no impact transient); "none" shows none; a bad name is refused."""
    heel = gait(client, foot_strike="heel")
    assert heel["steady"]["converged"] and heel["impact"]["peak_found"]
    row = {r[0]: r[4] for r in heel["impact"]["rows"]}
    assert 1.0 < row["impact_peak_bw"] < 3.0 and 5.0 < row["impact_peak_time_s"] < 60.0
    assert row["impact_loading_rate_bw_per_s"] > 0.0
    bare = {r[0]: r[4] for r in gait(client, foot_strike="heel", shoe="barefoot")["impact"]["rows"]}
    assert bare["impact_peak_bw"] > row["impact_peak_bw"]
    fore = gait(client, foot_strike="forefoot", shoe="barefoot")["impact"]
    fore_peak = {r[0]: r[4] for r in fore["rows"]}["impact_peak_bw"]
    assert not fore["peak_found"] or fore_peak < row["impact_peak_bw"]
    assert gait(client)["impact"] is None
    r = client.get("/api/gait", params={"foot_strike": "toe"})
    assert r.status_code == 400 and "foot_strike" in r.text


def test_sand_leaves_a_footprint_and_returns_less_energy(client):
    firm, sand = gait(client), gait(client, surface="sand")
    assert firm["steady"]["converged"] and sand["steady"]["converged"]
    assert max(firm["animation"]["footprint_depth_m"]) == 0.0
    assert min(sand["animation"]["footprint_depth_m"]) > 0.01                # cm deep
    returned = [a["steady"]["energy"]["return_ratio"] for a in (firm, sand)]
    assert returned[1] < returned[0] - 0.05
    # the sand's losses (on top of the leg's damping) are paid by a harder push, and they
    # show in the ledger's bars; each step's ledger closes: what is lost is pushed back
    push = [a["steady"]["solved"]["push_force_bw"]["value"] for a in (firm, sand)]
    assert push[1] > push[0] + 0.3
    lost = [a["steady"]["energy"]["lost_j"] for a in (firm, sand)]
    assert lost[1] > lost[0] + 50.0
    assert sand["steady"]["energy"]["injected_j"] == pytest.approx(lost[1], abs=0.1)


@pytest.mark.parametrize("query,field,words", [
    ({"leg_stiffness_kn_per_m": "-3"}, "leg_stiffness_kn_per_m", ["must be > 0", "-3"]),
    ({"mass_kg": "heavy"}, "mass_kg", ["must be a number", "heavy"]),
    ({"surface": "snd"}, "surface", ["\"snd\"", "did you mean \"sand\""]),
    ({"lean_deg": "75"}, "lean_deg", ["in (-60, 60)", "75"]),
    ({TARGET_SPEED: "25"}, TARGET_SPEED, ["(0, 20)", "25"]),
    ({"knee_angle": "3"}, "knee_angle", ["unknown control"]),
    ({"surface_stiffness_kn_per_m": "-5"}, "surface_stiffness_kn_per_m", ["must be > 0", "-5"]),
    ({"surface_damping_n_s_per_m": "soft"}, "surface_damping_n_s_per_m",
     ["must be a number", "soft"]),
    ({"surface_restitution": "1.5"}, "surface_restitution", ["in (0, 1]", "1.5"]),
])
def test_a_bad_value_is_refused_with_a_message_naming_it(client, query, field, words):
    for route in ("/api/gait", "/api/export.toml", "/api/export.csv"):
        r = client.get(route, params=query)
        assert r.status_code == 400
        body = r.json()
        assert body["field"] == field
        for w in words:
            assert w in body["error"], body["error"]


def test_a_softer_surface_gives_a_longer_contact_and_a_deeper_sink(client):
    """The surface's stiffness overrides the preset's: firm ground at 50 kN/m instead of its
    945.7 lets the foot sink deeper and the contact last longer (springs in series)."""
    firm = gait(client, surface="firm")
    soft = gait(client, surface="firm", surface_stiffness_kn_per_m=50)
    assert firm["steady"]["converged"] and soft["steady"]["converged"]
    assert soft["state"]["surface_stiffness_kn_per_m"] == 50.0
    assert firm["state"]["surface_stiffness_kn_per_m"] == FROM_PRESET

    def sink(a):
        return max(v for row in a["animation"]["sink_m"] for v in row if v is not None)
    assert sink(soft) > 5 * sink(firm) > 0
    assert (soft["steady"]["metrics"]["contact_time_s"]
            > firm["steady"]["metrics"]["contact_time_s"] + 0.005)
    # the surface stores more of the step's energy, and (elastic, r = 1) returns it
    e = soft["steady"]["energy"]
    assert e["details"]["surface_elastic_peak_j"] > 5 * firm["steady"]["energy"]["details"][
        "surface_elastic_peak_j"]


def test_a_presets_own_numbers_given_are_the_preset():
    """Given explicitly, sand's own numbers build the runner the preset builds; a lower
    restitution or more damping is another runner."""
    from simsrc.engine.surface import SURFACE_PRESETS

    sand = SURFACE_PRESETS["sand"]
    p_preset, _ = base_point(parse_state({"surface": "sand"}).config)
    given = {"surface": "sand", "surface_stiffness_kn_per_m": sand.stiffness_n_per_m / 1e3,
             "surface_damping_n_s_per_m": sand.damping_n_s_per_m,
             "surface_restitution": sand.restitution}
    p_given, _ = base_point(parse_state(given).config)
    assert p_given == p_preset
    p_other, _ = base_point(parse_state({**given, "surface_restitution": 0.5}).config)
    assert p_other.surface_restitution == 0.5 and p_other != p_preset
    # empty (or "preset") is the preset's number
    p_empty, _ = base_point(parse_state({"surface": "sand", "surface_restitution": "",
                                         "surface_damping_n_s_per_m": "preset"}).config)
    assert p_empty == p_preset


def test_surface_numbers_reuse_the_one_compiled_program(client):
    """Moving the surface's numbers runs the programs compiled at the warm-up (answer.OPTIONS):
    no program is added in this process."""
    from simsrc.engine import stored

    if stored.folder() is None:
        pytest.skip("stored programs are off (SIMSRC_NO_COMPILE_CACHE/SIMSRC_NO_STORED_PROGRAMS)")
    gait(client, surface="grass")
    before = set(stored._LOADED)
    for query in ({"surface_stiffness_kn_per_m": 80, "surface_damping_n_s_per_m": 300,
                   "surface_restitution": 0.6},
                  {"surface": "rigid", "surface_stiffness_kn_per_m": 200},
                  {"surface": "sand", "surface_restitution": 1.0, "surface_damping_n_s_per_m": 0}):
        assert gait(client, **query)["steady"]["converged"], query
    assert set(stored._LOADED) == before


def test_the_toml_export_keeps_the_surface_numbers(client):
    query = {"surface": "grass", "surface_stiffness_kn_per_m": "80", "surface_restitution": "0.6"}
    text = client.get("/api/export.toml", params=query).text
    config = parse_config(tomllib.loads(text), "explorer.toml")
    assert config.values["surface_stiffness_kn_per_m"] == 80.0
    assert config.values["surface_restitution"] == 0.6
    assert config.values["surface_damping_n_s_per_m"] is None           # the preset's
    assert base_point(config) == base_point(parse_state(query).config)


def test_no_steady_gait_says_why(client):
    """Sand takes energy and, with the speed free and no push, nothing puts it back."""
    a = gait(client, surface="sand", target_speed_m_per_s="off", push_force_bw=0)
    s = a["steady"]
    assert not s["converged"]
    assert s["message"] == REASONS[s["reason"]] and s["reason"] != 0
    assert "loses energy every step" in s["hint"]
    assert a["animation_from"].startswith("the start")
    assert s["stability"] is None


def test_free_speed_is_decided_by_the_energy_balance(client):
    slow, fast = (gait(client, surface="sand", target_speed_m_per_s="off", push_force_bw=f,
                       leg_damping_ratio=0) for f in (0.5, 0.7))
    assert slow["steady"]["converged"] and fast["steady"]["converged"]
    assert set(slow["steady"]["solved"]) == {"apex_height_m", "apex_speed_m_per_s"}
    assert fast["steady"]["metrics"]["speed_m_per_s"] > slow["steady"]["metrics"]["speed_m_per_s"]


def test_downhill_the_runner_brakes_instead_of_pushing(client):
    s = gait(client, slope_deg=-10)["steady"]
    assert s["converged"]
    assert "leg_damping_n_s_per_m" in s["solved"] and "push_force_bw" not in s["solved"]
    assert s["solved"]["leg_damping_n_s_per_m"]["value"] > 0
    assert s["energy"]["lost_j"] > 1.0


def test_the_toml_export_loads_to_the_same_runner(client, tmp_path):
    from simsrc.cli.main import main

    query = {"leg_stiffness_kn_per_m": "21.5", "surface": "sand", "slope_deg": "2",
             "mass_kg": "62", "leg_length_m": "0.9", "lean_deg": "4",
             "leg_damping_ratio": "0.05", TARGET_SPEED: "4.2", "apex_height_m": "0.88"}
    r = client.get("/api/export.toml", params=query)
    assert r.status_code == 200
    text = r.text
    assert "simsrc run explorer.toml --target-speed 4.2" in text
    config = parse_config(tomllib.loads(text), "explorer.toml")
    p_file, s_file = base_point(config)
    p_page, s_page = base_point(parse_state(query).config)
    for f in p_page._fields:
        a, b = getattr(p_file, f), getattr(p_page, f)
        assert a == b or (math.isnan(a) and math.isnan(b)), f
    assert s_file == s_page and s_file.vx_m_per_s == 4.2
    path = tmp_path / "explorer.toml"
    path.write_text(text)
    assert main(["check", str(path)]) == 0


def test_the_csv_export_holds_the_animated_steps(client):
    r = client.get("/api/export.csv", params={"surface": "sand"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = [line.split(",") for line in r.text.strip().splitlines()]
    assert rows[0][:4] == ["step", "t_s", "phase", "x_m"]
    body = np.array([[float(c) for c in row] for row in rows[1:]])
    assert set(body[:, 0]) == {1.0, 2.0, 3.0}
    stance = body[body[:, 2] == 1]
    assert stance[:, 5].max() > 0.01                       # the foot sinks into the sand
    assert stance[:, 7].max() > 2.0 * 70 * 9.81            # peak vertical force > 2 BW


def test_the_default_state_is_the_default_runner():
    from simsrc.config.load import default_config

    state = parse_state({})
    p_default, s_default = base_point(default_config())      # `simsrc run`'s built-in runner
    p, s = base_point(state.config)
    assert p == p_default                                  # every runner parameter
    assert state.target_speed_m_per_s == 3.5 == s_default.vx_m_per_s
    assert s.y_m == default_state()["apex_height_m"]


@pytest.mark.slow
@pytest.mark.parametrize("surface", ["firm", "sand"])
def test_the_general_options_give_the_numbers_of_the_specialised_programs(surface):
    """``OPTIONS`` (damped contact model, push and damping on) and 64-row solves against what
    ``simsrc run --target-speed`` compiles for this runner: on firm ground the damped model's
    ARK3 (40 steps) against DOP853 (10 steps) agree to 5e-6 relative in the times and 3e-5 in
    the peak force (measured), and the push that holds the speed is 8e-5 BW instead of 0: it
    makes up ARK3's energy error, which the metabolic estimate then counts (2e-4 of about 4
    J/kg/m). On sand both are the damped model."""
    from simsrc.config.runner import steady_config
    from simsrc.explore.answer import steady

    state = parse_state({"surface": surface})
    _, general = steady(state)
    _, special = steady_config(state.config, target_speed_m_per_s=3.5)
    assert general.converged and special.converged
    rtol = 1e-4 if surface == "firm" else 1e-9
    for f in ("contact_time_s", "flight_time_s", "step_length_m", "peak_vertical_force_n",
              "metabolic_cost_j_per_kg_per_m", "morin_leg_stiffness_n_per_m"):
        a, b = float(getattr(general.metrics, f)), float(getattr(special.metrics, f))
        small = 1e-3 if f == "metabolic_cost_j_per_kg_per_m" else 1e-9   # J/kg/m
        assert a == pytest.approx(b, rel=rtol, abs=small), f
    # apex speed (m/s), landing angle (rad), push (BW)
    np.testing.assert_allclose(general.values, special.values, rtol=rtol, atol=1e-4)


def test_the_command_prints_its_address_and_serves_the_page(tmp_path):
    """``simsrc explore --port 0 --no-browser`` in a fresh process: it prints its address at
    once, serves the page and its scripts from the package, and says it is warming up."""
    import os
    import subprocess
    import sys

    import httpx

    from explore_cases import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "simsrc", "explore", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("simsrc explore: http://127.0.0.1:"), line
        url = line.split()[2]
        for _ in range(200):
            try:
                page = httpx.get(url, timeout=5)
                break
            except httpx.ConnectError:
                import time
                time.sleep(0.05)
        assert page.status_code == 200 and "<title>simsrc explore</title>" in page.text
        for asset in ("static/explorer.js", "static/explorer.css"):
            r = httpx.get(url + asset, timeout=5)
            assert r.status_code == 200
            # nothing is fetched from elsewhere (the SVG namespace is a name, not an address)
            assert "http" not in r.text.replace('"http://www.w3.org/2000/svg"', "")
        assert "http" not in page.text
        status = httpx.get(url + "api/status", timeout=5).json()
        assert status["phase"] in ("warming up", "ready")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_simsrc_run_answers_the_toml_export_as_the_explorer_does(client, tmp_path):
    """The exported file, run with the command its header gives, reports the explorer's gait
    (sand: both compile the damped contact model, so they agree to solver precision)."""
    import json

    from simsrc.cli.main import main

    query = {"surface": "sand", STIFFNESS_KEY: "18", "lean_deg": "2"}
    text = client.get("/api/export.toml", params=query).text
    command = next(line for line in text.splitlines() if "simsrc run" in line)
    assert command.endswith("simsrc run explorer.toml --target-speed 3.5")
    path, out = tmp_path / "explorer.toml", tmp_path / "run.json"
    path.write_text(text)
    assert main(["run", str(path), "--target-speed", "3.5", "--json", str(out)]) == 0
    ran = json.loads(out.read_text())["steady"]
    shown = gait(client, **query)["steady"]
    assert ran["converged"] and shown["converged"]
    for f in ("speed_m_per_s", "contact_time_s", "flight_time_s", "peak_vertical_force_bw",
              "metabolic_cost_j_per_kg_per_m"):
        assert ran["metrics"][f] == pytest.approx(shown["metrics"][f], rel=1e-8), f
    assert ran["values"]["push_force_bw"] == pytest.approx(
        shown["solved"]["push_force_bw"]["value"], rel=1e-8)


def _lesson_answers(client, lesson):
    a = gait(client, **lesson["setup"])
    b = gait(client, **{**lesson["setup"], **lesson["compare"]}) if "compare" in lesson else None
    return a, b


def _largest(ans):
    return ans["steady"]["stability"]["verdict_multipliers_abs"][0]


def _m(ans, key):
    return ans["steady"]["metrics"][key]


def _solved(ans, key):
    return ans["steady"]["solved"][key]["value"]


#: For each lesson, the direction its text claims, in the API's numbers (a: its setup, b: its
#: compare, or a second state where the lesson asks to move a control).
LESSON_CLAIMS = {
    # the leg spring stores the step's energy and returns all of it; the ground holds little
    "springs": lambda c, a, b: (
        a["steady"]["energy"]["return_ratio"] == pytest.approx(1.0, abs=1e-6)
        and abs(a["steady"]["energy"]["lost_j"]) < 0.1
        and a["steady"]["energy"]["details"]["leg_elastic_peak_j"]
        > 20 * a["steady"]["energy"]["details"]["surface_elastic_peak_j"] > 0),
    # sand: lower energy return, more lost, a footprint and a higher metabolic estimate
    "sand": lambda c, a, b: (
        b["steady"]["energy"]["return_ratio"] < a["steady"]["energy"]["return_ratio"] - 0.05
        and b["steady"]["energy"]["lost_j"] > a["steady"]["energy"]["lost_j"] + 10
        and min(b["animation"]["footprint_depth_m"]) > 0.01
        and _m(b, "metabolic_cost_j_per_kg_per_m") > _m(a, "metabolic_cost_j_per_kg_per_m")),
    # free speed: more push, a faster steady gait
    "push": lambda c, a, b: (
        _m(gait(c, **{**LESSON["push"]["setup"], "push_force_bw": 0.7}), "speed_m_per_s")
        > _m(gait(c, **{**LESSON["push"]["setup"], "push_force_bw": 0.5}), "speed_m_per_s")),
    # faster: harder push, longer steps, greater peak force, shorter (not longer) contact
    "force_speed": lambda c, a, b: (
        _solved(b, "push_force_bw") > _solved(a, "push_force_bw")
        and _m(b, "step_length_m") > 1.3 * _m(a, "step_length_m")
        and _m(b, "peak_vertical_force_bw") > _m(a, "peak_vertical_force_bw")
        and _m(b, "contact_time_s") < _m(a, "contact_time_s")),
    # the foot placement undoes the lean: same gait, angle to the body differs by the lean
    "lean": lambda c, a, b: (
        all(_m(a, k) == pytest.approx(_m(b, k), rel=1e-6, abs=1e-6)
            for k in ("landing_angle_deg", "contact_time_s", "braking_impulse_n_s",
                      "step_length_m"))
        and _solved(a, "angle_of_attack_rad") - _solved(b, "angle_of_attack_rad")
        == pytest.approx(7.0, abs=1e-3)),
    # stiffer: shorter contact, higher cadence, smaller oscillation; Morin's estimate rises
    # with the model's stiffness and stays below it (the damped, pushing leg)
    "stiffness": lambda c, a, b: (lambda s: (
        _m(s, "contact_time_s") < _m(a, "contact_time_s")
        and _m(s, "cadence_steps_per_min") > _m(a, "cadence_steps_per_min")
        and _m(s, "com_vertical_oscillation_m") < _m(a, "com_vertical_oscillation_m")
        and _m(s, "peak_vertical_force_bw") > _m(a, "peak_vertical_force_bw")
        and 2 * _m(a, "morin_leg_stiffness_n_per_m") < _m(s, "morin_leg_stiffness_n_per_m")
        < 30e3))(gait(c, leg_stiffness_kn_per_m=30)),
    # uphill: more positive work and a higher cost; downhill (-10 deg): braking solved
    # instead of the push, more negative work, none injected
    "slope": lambda c, a, b: (lambda down, level: (
        _m(a, "muscle_positive_work_j") > _m(level, "muscle_positive_work_j") + 50
        and _m(a, "metabolic_cost_j_per_kg_per_m") > _m(level, "metabolic_cost_j_per_kg_per_m") + 1
        and "leg_damping_n_s_per_m" in down["steady"]["solved"]
        and _m(down, "muscle_negative_work_j") > _m(level, "muscle_negative_work_j") + 50
        and abs(down["steady"]["energy"]["injected_j"]) < 1.0))(
        gait(c, slope_deg=-10), gait(c, slope_deg=0)),
    # faster: the foot must land flatter, the cadence falls, the flight is longer
    "swing": lambda c, a, b: (
        _m(b, "landing_angle_deg") < _m(a, "landing_angle_deg") - 2
        and _m(b, "cadence_steps_per_min") < _m(a, "cadence_steps_per_min")
        and _m(b, "flight_time_s") > _m(a, "flight_time_s")),
    # a fixed landing angle: unstable; the same runner under foot placement: stable
    "stability": lambda c, a, b: (
        _largest(a) > 1.0 and a["steady"]["stability"]["verdict"].startswith("unstable")
        and _largest(b) < 1.0 and b["steady"]["stability"]["verdict"].startswith("stable")),
}


def _lessons():
    from simsrc.explore.lessons import LESSONS
    return {lesson["id"]: lesson for lesson in LESSONS}


LESSON = _lessons()


def test_there_is_a_lesson_for_every_gallery_claim():
    figures = {lesson["figure"] for lesson in LESSON.values() if lesson["figure"]}
    assert figures == {f"figures/e{i}_{name}.png" for i, name in enumerate(
        ("springs", "sand", "force_speed", "lean_overstriding", "stiffness", "slope",
         "swing_leg", "stability"), start=1)}
    assert set(LESSON_CLAIMS) == set(LESSON)
    for lesson in LESSON.values():
        assert lesson["number"] and lesson["question"] and lesson["look_for"]


@pytest.mark.parametrize("lesson_id", list(LESSON))
def test_every_lesson_shows_what_it_claims(client, lesson_id):
    """Its setup (and compare) solve to a steady gait, and the direction its text claims holds
    in the API's numbers."""
    lesson = LESSON[lesson_id]
    a, b = _lesson_answers(client, lesson)
    assert a["steady"]["converged"], a["steady"]["message"]
    if b is not None:
        assert b["steady"]["converged"], b["steady"]["message"]
    assert LESSON_CLAIMS[lesson_id](client, a, b)


def test_raibert_placement_lets_the_lean_set_the_speed(client):
    """'raibert' foot placement: Raibert's law sets the landing angle (the angle control does
    nothing), the push is as set and the energy balance decides the speed, so leaning forward
    runs faster (e4's claim); the verdict is the closed loop's."""
    back, upright, forward = (gait(client, foot_placement="raibert", lean_deg=lean)
                              for lean in (-5, 0, 5))
    for a in (back, upright, forward):
        assert a["steady"]["converged"], a["steady"]["message"]
        assert a["placement"] == "raibert" and not a["held_speed"]
        assert a["steady"]["stability"]["verdict"] == "stable under Raibert's foot placement"
    v = [_m(a, "speed_m_per_s") for a in (back, upright, forward)]
    assert v[0] + 0.5 < v[1] < v[2] - 0.5, v
    other = gait(client, foot_placement="raibert", angle_of_attack_deg=60)
    assert _m(other, "speed_m_per_s") == pytest.approx(v[1], rel=1e-6)
    # the gain matters: a larger gain brings the speed nearer the aim (3.5 m/s)
    assert v[1] < _m(gait(client, foot_placement="raibert", placement_gain_s=0.2),
                     "speed_m_per_s") < 3.5


def test_retraction_lands_where_the_apex_angle_and_the_rate_put_the_leg(client):
    """The retraction landing mode, holding the speed: the foot placement solves the angle at
    the apex, so the landing angle and the whole gait are the fixed mode's; the leg turns at
    the retraction rate for the fall from the apex to touchdown, whose time is the free fall's
    sqrt(2 (y_apex - L0 sin(alpha_td)) / g) (closed form)."""
    fixed = gait(client)
    rate = 50.0
    ret = gait(client, mode="retraction", retraction_rate_deg_per_s=rate)
    assert ret["steady"]["converged"] and ret["landing_mode"] == "retraction"
    for k in ("landing_angle_deg", "contact_time_s", "step_length_m", "peak_vertical_force_bw"):
        assert _m(ret, k) == pytest.approx(_m(fixed, k), rel=1e-6), k
    td = math.radians(_m(ret, "landing_angle_deg"))
    state = parse_state({})
    drop = _m(ret, "apex_height_m") - state.config.values["leg_length_m"] * math.sin(td)
    fall = math.sqrt(2.0 * drop / 9.81)
    assert _solved(ret, "angle_of_attack_rad") + rate * fall == pytest.approx(
        _m(ret, "landing_angle_deg"), abs=1e-4)


@pytest.mark.parametrize("query, field", [({"mode": "pendulum"}, "mode"),
                                          ({PLACEMENT: "deadbeat"}, PLACEMENT)])
def test_a_landing_mode_or_placement_not_offered_is_refused(client, query, field):
    r = client.get("/api/gait", params=query)
    assert r.status_code == 400
    body = r.json()
    assert body["field"] == field and "must be one of" in body["error"]
