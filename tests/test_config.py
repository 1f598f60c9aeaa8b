"""Config files: every shipped config validates, every mistake gets a message that names the
file, the key, the value and what is allowed, and units convert once, at this boundary."""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

import simsrc
from simsrc.config.load import (default_config, load_config, numerical_options, parse_config,
                           to_params)
from simsrc.config.schema import KEYS, schema_markdown
from simsrc.config.dump import dump_config
from simsrc.errors import SimsrcInputError
from simsrc.config.grid import point_values

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))


def write(tmp_path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(SimsrcInputError) as e:
        load_config(path)
    assert str(path) in str(e.value)  # every message names the file
    return str(e.value)


# ----------------------------------------------------------------------------- shipped configs

def test_the_example_configs_exist():
    names = {p.name for p in CONFIGS}
    assert {"default.toml", "stiffness_lean_push_firm.toml", "stiffness_lean_push_sand.toml",
            "surface_stiffness.toml", "slope.toml", "canonical_stability_grid.toml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_loads_and_its_points_convert(path):
    cfg = load_config(path)
    flat = np.arange(cfg.n_points)
    params, state = to_params(point_values(cfg.values, cfg.axes, flat), str(path))
    assert np.all(np.asarray(params.mass_kg) > 0)
    if path.name[0] == "e" and path.name[1].isdigit():
        # experiment configs: the figure's full grid (the tests run them shrunk, in smoke mode)
        assert cfg.n_points <= 10_000
    else:
        assert cfg.n_points <= 200, "example grids stay modest (full sizes are documented)"


def test_default_toml_is_the_builtin_default():
    assert dict(load_config(ROOT / "configs" / "default.toml").values) == \
        dict(default_config().values)


def test_builtin_default_is_the_documented_human_runner():
    v = default_config().values
    assert (v["mass_kg"], v["leg_length_m"], v["surface"], v["speed_m_per_s"]) == \
        (70.0, 0.95, "firm", 3.5)


def test_readme_documents_every_key_with_its_default():
    readme = (ROOT / "configs" / "README.md").read_text()
    assert schema_markdown() in readme, "regenerate the key table: simsrc keys"
    for k in KEYS:
        assert f"`{k.name}`" in readme


# ----------------------------------------------------------------------------- conversions

def test_units_convert_to_si(tmp_path):
    cfg = load_config(write(tmp_path, """
[runner]
mass_kg = 80
lean_deg = 3
[leg]
leg_stiffness_kn_per_m = 20
[landing]
angle_of_attack_deg = 68
[ground]
surface = "sand"
surface_stiffness_kn_per_m = 50
slope_deg = -5
""", "ok.toml"))
    p, s = to_params(cfg.values, cfg.source)
    assert p.leg_stiffness_n_per_m == 20e3
    assert p.surface_compliance_m_per_n == pytest.approx(1 / 50e3)
    assert p.surface_restitution == 0.1  # the sand preset's, not overridden
    assert p.lean_rad == pytest.approx(math.radians(3))
    assert p.slope_rad == pytest.approx(math.radians(-5))
    assert (s.y_m, s.vx_m_per_s, s.vy_m_per_s) == (0.89, 3.5, 0.0)


def test_infinite_surface_stiffness_is_rigid(tmp_path):
    cfg = load_config(write(tmp_path, "[ground]\nsurface_stiffness_kn_per_m = inf\n", "ok.toml"))
    p, _ = to_params(cfg.values, cfg.source)
    assert p.surface_compliance_m_per_n == 0.0
    assert numerical_options(cfg.values, [p]).surface_model == "rigid"


def test_sweep_ranges_lists_and_zipped_groups(tmp_path):
    cfg = load_config(write(tmp_path, """
[sweep]
leg_stiffness_kn_per_m = {start = 5, stop = 80, num = 4, scale = "log"}
surface = ["sand", "firm"]
[sweep.zip.body]
mass_kg = [60, 70, 80]
leg_length_m = {start = 0.9, stop = 1.0, num = 3}
""", "ok.toml"))
    assert [a.name for a in cfg.axes] == ["leg_stiffness_kn_per_m", "surface", "body"]
    assert cfg.n_points == 4 * 2 * 3
    np.testing.assert_allclose(cfg.axes[0].values[0], np.geomspace(5, 80, 4))
    # C order: the last axis varies fastest
    v = point_values(cfg.values, cfg.axes, np.arange(cfg.n_points))
    assert list(v["mass_kg"][:3]) == [60, 70, 80]
    assert list(v["surface"][:4]) == ["sand", "sand", "sand", "firm"]
    np.testing.assert_allclose(v["leg_length_m"][:3], [0.9, 0.95, 1.0])
    p, _ = to_params(v, cfg.source)
    np.testing.assert_allclose(p.surface_restitution[:6], [0.1] * 3 + [1.0] * 3)


def test_granular_sand_scales_with_the_foot_and_given_numbers_do_not(tmp_path):
    """The sand preset's stiffness and damping are those under a 70 kg runner's foot; another
    runner's foot area, by geometric similarity, is (m / 70)^(2/3) times as large, and so are
    they. The config loader and ``make_params`` agree; firm ground and numbers given explicitly
    are not scaled."""
    sand = simsrc.SURFACE_PRESETS["sand"]
    cfg = load_config(write(tmp_path, """
[sweep]
surface = ["sand", "firm"]
mass_kg = [55, 70, 90]
""", "ok.toml"))
    v = point_values(cfg.values, cfg.axes, np.arange(cfg.n_points))
    p, _ = to_params(v, cfg.source)
    foot = (np.array([55.0, 70.0, 90.0]) / 70.0) ** (2.0 / 3.0)
    np.testing.assert_allclose(1.0 / p.surface_compliance_m_per_n[:3],
                               sand.stiffness_n_per_m * foot, rtol=1e-12)
    np.testing.assert_allclose(p.surface_damping_n_s_per_m[:3], sand.damping_n_s_per_m * foot,
                               rtol=1e-12)
    np.testing.assert_allclose(p.surface_restitution[:3], sand.restitution)
    firm = simsrc.SURFACE_PRESETS["firm"]
    np.testing.assert_allclose(1.0 / p.surface_compliance_m_per_n[3:], firm.stiffness_n_per_m)
    for m, f in zip((55.0, 70.0, 90.0), foot):
        q = simsrc.make_params(surface="sand", mass_kg=m)
        assert 1.0 / q.surface_compliance_m_per_n == pytest.approx(sand.stiffness_n_per_m * f)
        assert q.surface_damping_n_s_per_m == pytest.approx(sand.damping_n_s_per_m * f)
    given = simsrc.make_params(surface="sand", mass_kg=90.0, surface_stiffness_n_per_m=40e3,
                               surface_damping_n_s_per_m=1000.0)
    assert (1.0 / given.surface_compliance_m_per_n, given.surface_damping_n_s_per_m) == \
        pytest.approx((40e3, 1000.0))


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config(ROOT / "configs" / "stiffness_lean_push_firm.toml")
    again = parse_config(tomllib.loads(dump_config(cfg, "header")), "again.toml")
    assert dict(again.values) == dict(cfg.values)
    assert [(a.name, a.values) for a in again.axes] == [(a.name, a.values) for a in cfg.axes]
    assert dict(again.output) == dict(cfg.output)


# ----------------------------------------------------------------------------- bad configs

BAD = {
    "unknown key, did you mean": (
        "[leg]\nleg_stifness_kn_per_m = 20\n",
        ["unknown key `leg_stifness_kn_per_m`", "[leg]", "did you mean `leg_stiffness_kn_per_m`"]),
    "key in the wrong table": (
        "[runner]\nleg_length_m = 1.0\n", ["`leg_length_m` belongs in [leg], not [runner]"]),
    "unknown table": ("[legg]\nleg_length_m = 1.0\n", ["unknown table [legg]", "[leg]"]),
    "wrong type": (
        '[runner]\nmass_kg = "70"\n', ['`mass_kg` must be a number (kg), got "70" (a string)',
                                       "[runner]"]),
    "integer expected": ("[run]\nn_steps = 2.5\n", ["`n_steps` must be an integer (steps), got 2.5"]),
    "out of range": (
        "[leg]\nleg_stiffness_kn_per_m = -3\n",
        ["`leg_stiffness_kn_per_m` must be > 0, got -3", "[leg]"]),
    "restitution out of range": (
        "[ground]\nsurface_restitution = 1.5\n", ["`surface_restitution` must be in (0, 1]",
                                                  "got 1.5"]),
    "unknown preset": (
        '[ground]\nsurface = "snad"\n', ['`surface` must be one of', 'got "snad"',
                                         "did you mean \"sand\""]),
    "landing mode": ('[landing]\nmode = "pendullum"\n', ['`mode` must be one of "fixed"',
                                                         'got "pendullum"',
                                                         'did you mean "pendulum"']),
    "hip stiffness": ("[landing]\nhip_stiffness_n_m_per_rad = -1\n",
                      ["`hip_stiffness_n_m_per_rad` must be >= 0, got -1", "[landing]"]),
    "range without num": (
        "[sweep]\nlean_deg = {start = 0, stop = 5}\n", ["[sweep] lean_deg needs num"]),
    "range with num 0": (
        "[sweep]\nlean_deg = {start = 0, stop = 5, num = 0}\n", ["`num` must be an integer >= 1"]),
    "range key typo": (
        "[sweep]\nlean_deg = {start = 0, stop = 5, nun = 3}\n",
        ["unknown key `nun`", "did you mean `num`"]),
    "log range through zero": (
        '[sweep]\nleg_stiffness_kn_per_m = {start = 0, stop = 5, num = 3, scale = "log"}\n',
        ["a log range needs start > 0"]),
    "bad scale": (
        '[sweep]\nlean_deg = {start = 0, stop = 5, num = 3, scale = "lin"}\n',
        ['`scale` must be "linear" or "log"']),
    "swept value out of range": (
        "[sweep]\nleg_stiffness_kn_per_m = [10, -5]\n",
        ["`leg_stiffness_kn_per_m` must be > 0, got -5", "[sweep]"]),
    "not sweepable": ("[sweep]\nn_steps = [1, 2]\n", ["`n_steps` cannot be swept"]),
    "empty list": ("[sweep]\nlean_deg = []\n", ["is empty"]),
    "zip lengths": (
        "[sweep.zip.body]\nmass_kg = [60, 70]\nleg_length_m = [0.9, 0.95, 1.0]\n",
        ["equal lengths", "mass_kg: 2", "leg_length_m: 3"]),
    "swept twice": (
        "[sweep]\nmass_kg = [60, 70]\n[sweep.zip.body]\nmass_kg = [60, 70]\n"
        "leg_length_m = [0.9, 1.0]\n", ["`mass_kg` is swept twice"]),
    "both damping keys": (
        "[leg]\nleg_damping_ratio = 0.1\nleg_damping_n_s_per_m = 100\n", ["not both"]),
    "bad metric": ('[output]\nmetrics = ["speed_m_per_sec"]\n',
                   ["unknown metric", "did you mean `speed_m_per_s`"]),
    "not TOML": ("[runner\nmass_kg = 70\n", ["is not valid TOML"]),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_config_message(tmp_path, case):
    text, parts = BAD[case]
    message = error_of(tmp_path, text)
    for part in parts:
        assert part in message, message


def test_missing_file():
    with pytest.raises(SimsrcInputError, match="config file not found: nowhere.toml"):
        load_config("nowhere.toml")


def test_forced_surface_model_must_cover_the_ground(tmp_path):
    cfg = load_config(write(tmp_path, '[ground]\nsurface = "sand"\n[numerics]\n'
                                      'surface_model = "rigid"\n', "ok.toml"))
    p, _ = to_params(cfg.values, cfg.source)
    with pytest.raises(SimsrcInputError, match='needs "algebraic"'):
        numerical_options(cfg.values, [p])


# ----------------------------------------------------------------------------- --set overrides

def test_set_overrides_change_one_key_on_top_of_the_file_or_the_default():
    from simsrc.config.load import apply_overrides, default_config, load_config
    human = ROOT / "configs" / "human.toml"
    base = load_config(human)
    changed = load_config(human, ["surface=sand", "leg.leg_stiffness_kn_per_m=12",
                                  "speed_m_per_s=4", 'description="on sand"'])
    assert changed.values["surface"] == "sand" and base.values["surface"] == "rigid"
    assert changed.values["leg_stiffness_kn_per_m"] == 12.0
    assert changed.values["speed_m_per_s"] == 4.0
    assert changed.description == "on sand"
    # every other key is the file's
    same = {k for k in base.values if k not in ("surface", "leg_stiffness_kn_per_m",
                                                 "speed_m_per_s")}
    assert all(changed.values[k] == base.values[k] for k in same)
    # the built-in runner, and a damping given one way replaces the other
    assert default_config(["lean_deg=5"]).values["lean_deg"] == 5.0
    doc = apply_overrides({"leg": {"leg_damping_ratio": 0.1}}, ["leg_damping_n_s_per_m=50"])
    assert doc == {"leg": {"leg_damping_n_s_per_m": 50}}


@pytest.mark.parametrize("item, words", [
    ("leg_stifness_kn_per_m=12", ["--set", "unknown key", "did you mean `leg_stiffness_kn_per_m`"]),
    ("leg_stiffness_kn_per_m=-1", ["`leg_stiffness_kn_per_m` must be > 0", "got -1", "--set"]),
    ("ground.leg_stiffness_kn_per_m=1", ["is in the [leg] table, not [ground]"]),
    ("surface=snad", ['did you mean "sand"', "--set"]),
    ("no_equals_sign", ["expected KEY=VALUE"]),
    ("leg_stiffness_kn_per_m=stiff", ["must be a number", '"stiff"']),
])
def test_bad_set_overrides_name_the_option_key_and_value(item, words):
    from simsrc.config.load import default_config
    with pytest.raises(SimsrcInputError) as e:
        default_config([item])
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_notes_for_allowed_but_unusual_configs():
    """An empty file runs the engine's defaults, not the built-in human runner: the commands
    say so. A speed beyond the fastest human (12.3 m/s, schema.TYPICAL) is noted, in the base
    point or on a sweep axis; an ordinary config gets no note."""
    from simsrc.config.load import config_warnings

    (note,) = config_warnings(parse_config({}, "empty.toml"))
    assert "empty.toml sets no key" in note and "built-in human runner" in note
    assert config_warnings(parse_config({"leg": {"leg_stiffness_kn_per_m": 12}}, "one.toml")) == []
    (fast,) = config_warnings(parse_config({"initial": {"speed_m_per_s": 13.0}}, "fast.toml"))
    assert "`speed_m_per_s` = 13 in fast.toml" in fast and "Bolt" in fast
    swept = parse_config({"sweep": {"speed_m_per_s": [4.0, 12.0, 12.5]}}, "sweep.toml")
    (fast,) = config_warnings(swept)
    assert "= 12.5 in sweep.toml" in fast
