"""The explorer in a real headless browser: Debian's Chromium (``chromium-headless-shell``)
driven by Playwright for Python against one live, warmed server per session. Skipped, with the
reason, only where the browser or Playwright is missing (``.ci/run`` installs both)."""
from __future__ import annotations

import tomllib
from urllib.parse import parse_qsl, urlsplit

import pytest

from explore_cases import CHROMIUM, live_server

pytest.importorskip("starlette")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed (pip install "
                               "playwright, or pip install -e '.[test]')")
if CHROMIUM is None:
    pytest.skip("no Chromium binary: apt-get install -y chromium-headless-shell (.ci/run does)",
                allow_module_level=True)

STIFFNESS = "leg_stiffness_kn_per_m"
PLACEMENT = "foot_placement"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    url = live_server()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        b.explorer_url = url
        yield b
        b.close()


@pytest.fixture
def page(browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    pg.close()
    assert not errors, errors


def open_page(pg, url, query=""):
    pg.goto(url + query)
    pg.wait_for_function("""document.querySelector('#status').textContent.startsWith('ready')
        && document.querySelector('.runner[data-runner="a"]')?.dataset.converged""",
                         timeout=TIMEOUT_MS)
    return metric(pg, "contact_time_s")


def metric(pg, name, runner="a"):
    cell = pg.locator(f'.runner[data-runner="{runner}"] tr[data-metric="{name}"] td.v')
    text = cell.get_attribute("data-value")
    return float(text) if text else None


def settled(pg, before=None, name="contact_time_s"):
    """Wait until the page shows a new answer (the metric differs from ``before``) and no
    request is in flight."""
    pg.wait_for_function(
        """([name, before]) => {
            const c = document.querySelector(`.runner[data-runner="a"] tr[data-metric="${name}"] td.v`);
            const s = document.querySelector('#status').textContent;
            return c && c.dataset.value !== undefined && c.dataset.value !== String(before)
                   && !s.startsWith('computing') && !s.startsWith('warming');
        }""", arg=[name, "" if before is None else str(before)], timeout=TIMEOUT_MS)
    return metric(pg, name)


def test_the_page_loads_with_the_default_runners_gait(page, browser):
    contact = open_page(page, browser.explorer_url)
    assert 0.1 < contact < 0.3
    assert metric(page, "speed_m_per_s") == pytest.approx(3.5, rel=1e-6)
    assert page.locator(".runner .scene .body").count() == 1
    assert page.locator(".runner .scene .leg").count() == 1
    assert page.locator(".runner .bars .bar-stored").count() == 1
    assert page.locator(".runner .curve .fv").count() == 1
    assert page.input_value(f"#in-{STIFFNESS}") == "11"
    assert "solved" in page.inner_text('.control[data-key="angle_of_attack_deg"] .solved')


def test_a_stiffer_leg_shortens_the_contact(page, browser):
    soft = open_page(page, browser.explorer_url)
    slider = page.locator(f"#range-{STIFFNESS}")
    slider.focus()
    for _ in range(10):                         # ten steps of 0.5 kN/m, as a hand would
        page.keyboard.press("ArrowRight")
    stiff = settled(page, soft)
    assert page.input_value(f"#in-{STIFFNESS}") == "16"
    assert stiff < soft - 0.01
    assert f"{STIFFNESS}=16" in page.url


def test_sand_shows_a_footprint_and_returns_less_energy(page, browser):
    open_page(page, browser.explorer_url)
    firm_return = metric(page, "energy_return_ratio")
    assert page.locator(".runner .scene .footprint").count() == 0
    page.select_option("#in-surface", "sand")
    settled(page, firm_return, "energy_return_ratio")
    assert page.locator(".runner .scene .footprint").count() >= 1
    assert metric(page, "energy_return_ratio") < firm_return - 0.05


def test_the_swinging_leg_goes_from_its_liftoff_to_its_next_landing(page, browser):
    """The animation's other leg (``swingAngle`` in explorer.js): at a step's liftoff it
    points where the stance leg left it (behind the hip), one step later at the landing angle
    of the step after next (ahead), full length at both ends and bent in between; and the
    drawn polyline moves."""
    open_page(page, browser.explorer_url)
    got = page.evaluate("""() => {
        const st = document.querySelector('.runner[data-runner="a"]').anim;
        const a = st.a, at = t => swingAngle(st, t);
        return { lo: st.lo, phiLo: st.phiLo, beta2: a.landing_angle_rad[2],
                 start: at(st.lo[0]), mid: at(0.5 * (st.lo[0] + st.lo[1])),
                 end: at(st.lo[1] - 1e-9),
                 drawn: document.querySelectorAll('.runner .scene .swing-leg').length };
    }""")
    assert got["drawn"] == 1
    assert len(got["lo"]) >= 2 and got["lo"][1] > got["lo"][0]
    assert got["phiLo"][0] < 0 < got["beta2"]              # behind at liftoff, ahead to land
    assert got["start"]["phi"] == pytest.approx(got["phiLo"][0], abs=1e-12)
    assert got["end"]["phi"] == pytest.approx(got["beta2"], abs=1e-6)
    assert got["start"]["length"] == pytest.approx(1.0, abs=1e-12)
    assert got["mid"]["length"] == pytest.approx(0.65, abs=1e-9)
    first = page.get_attribute(".runner .scene .swing-leg", "points")
    page.wait_for_function("p => document.querySelector('.runner .scene .swing-leg')"
                           ".getAttribute('points') !== p", arg=first, timeout=TIMEOUT_MS)


@pytest.mark.slow   # compiles the two-mass stance (tens of seconds cold); CI runs it
def test_choosing_a_heel_strike_shows_its_impact(page, browser):
    """The foot strike select adds the impact peak and loading rate to the gait's numbers and
    to the address; a barefoot heel shows a higher peak than the cushioned shoe."""
    open_page(page, browser.explorer_url)
    assert page.locator('.runner[data-runner="a"] tr[data-metric="impact_peak_bw"]').count() == 0
    page.select_option("#in-foot_strike", "heel")
    cushioned = settled(page, None, "impact_peak_bw")
    assert 1.0 < cushioned < 3.0 and "foot_strike=heel" in page.url
    assert metric(page, "impact_loading_rate_bw_per_s") > 0.0
    page.select_option("#in-shoe", "barefoot")
    assert settled(page, cushioned, "impact_peak_bw") > cushioned


def test_raibert_placement_sets_the_angle_and_frees_the_speed(page, browser):
    """Choosing Raibert's foot placement: the law sets the landing angle (its control greyed,
    the value shown under it), the speed is the energy balance's (no longer the held 3.5 m/s),
    the choice is in the address, and leaning forward then runs faster."""
    open_page(page, browser.explorer_url)
    held = metric(page, "speed_m_per_s")
    page.select_option(f"#in-{PLACEMENT}", "raibert")
    upright = settled(page, held, "speed_m_per_s")
    assert abs(upright - 3.5) > 0.05 and "foot_placement=raibert" in page.url
    angle = page.locator('.control[data-key="angle_of_attack_deg"]')
    assert "disabled" in angle.get_attribute("class")
    assert "solved" in angle.locator(".solved").inner_text()
    assert "disabled" not in page.locator('.control[data-key="placement_gain_s"]').get_attribute("class")
    page.fill("#in-lean_deg", "5")
    page.press("#in-lean_deg", "Enter")
    assert settled(page, upright, "speed_m_per_s") > upright + 0.3


def test_an_invalid_value_shows_its_message(page, browser):
    open_page(page, browser.explorer_url)
    page.fill(f"#in-{STIFFNESS}", "-3")
    page.press(f"#in-{STIFFNESS}", "Enter")
    error = page.locator(f'.control[data-key="{STIFFNESS}"] .error')
    error.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_function(f"""document.querySelector('.control[data-key="{STIFFNESS}"] .error')
                               .textContent.length > 0""", timeout=TIMEOUT_MS)
    words = error.inner_text()
    assert "leg_stiffness_kn_per_m" in words and "must be > 0" in words and "-3" in words
    assert "Not computed" in page.inner_text('.runner[data-runner="a"] .message')
    page.fill(f"#in-{STIFFNESS}", "abc")
    page.press(f"#in-{STIFFNESS}", "Enter")
    page.wait_for_function(f"""document.querySelector('.control[data-key="{STIFFNESS}"] .error')
                               .textContent.includes('must be a number')""", timeout=TIMEOUT_MS)


def test_no_steady_gait_shows_the_solvers_reason(page, browser):
    open_page(page, browser.explorer_url, "?surface=sand&target_speed_m_per_s=off&push_force_bw=0")
    message = page.locator('.runner[data-runner="a"] .message')
    message.wait_for(state="visible", timeout=TIMEOUT_MS)
    text = message.inner_text()
    assert text.startswith("No steady gait:") and "loses energy every step" in text
    assert page.locator(".runner .scene .body").count() == 1      # what happens instead


def test_the_url_round_trips_the_state(page, browser):
    query = ("?leg_stiffness_kn_per_m=22&surface=grass&slope_deg=2&mass_kg=64&compare=1"
             "&b.surface=sand&b.leg_stiffness_kn_per_m=18")
    open_page(page, browser.explorer_url, query)
    page.wait_for_function("""document.querySelectorAll('.runner').length === 2 &&
        document.querySelector('.runner[data-runner="b"] tr[data-metric="contact_time_s"] td.v')""",
                           timeout=TIMEOUT_MS)
    assert page.input_value(f"#in-{STIFFNESS}") == "22"
    assert page.input_value("#in-surface") == "grass"
    page.fill("#in-lean_deg", "3")
    page.press("#in-lean_deg", "Enter")
    page.wait_for_function("location.search.includes('lean_deg=3')", timeout=TIMEOUT_MS)
    shown = dict(parse_qsl(urlsplit(page.url).query))
    assert shown == {**dict(parse_qsl(query[1:])), "lean_deg": "3"}
    contact = metric(page, "contact_time_s")
    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_page(other, page.url)
        other.wait_for_function("""document.querySelector(
            '.runner[data-runner="b"] tr[data-metric="contact_time_s"] td.v')""",
                                timeout=TIMEOUT_MS)
        assert dict(parse_qsl(urlsplit(other.url).query)) == shown
        assert other.input_value("#in-lean_deg") == "3"
        assert metric(other, "contact_time_s") == pytest.approx(contact, rel=1e-9)
        assert other.locator('.runner[data-runner="b"] .scene .footprint').count() >= 1
    finally:
        other.close()


def test_the_toml_export_is_the_pages_runner(page, browser, tmp_path):
    from simsrc.cli.main import main
    from simsrc.config.load import base_point, parse_config
    from simsrc.explore.controls import parse_state

    open_page(page, browser.explorer_url, "?surface=sand&leg_stiffness_kn_per_m=18&lean_deg=2")
    href = page.get_attribute("#export-toml", "href")
    text = page.request.get(browser.explorer_url.rstrip("/") + href).text()
    config = parse_config(tomllib.loads(text), "explorer.toml")
    given = dict(parse_qsl(urlsplit(page.url).query))
    assert base_point(config) == base_point(parse_state(given).config)
    path = tmp_path / "explorer.toml"
    path.write_text(text)
    assert main(["check", str(path)]) == 0


def test_a_lesson_sets_up_the_comparison_and_reset_returns_to_the_default(page, browser):
    open_page(page, browser.explorer_url, f"?{STIFFNESS}=25")
    page.click('#lesson-list button[data-lesson="sand"]')
    box = page.locator("#lesson")
    box.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "Question: Why is sand tiring?" in box.inner_text()
    page.wait_for_function("""document.querySelector(
        '.runner[data-runner="b"] tr[data-metric="energy_return_ratio"] td.v')?.dataset.value""",
                           timeout=TIMEOUT_MS)
    assert "lesson=sand" in page.url and "b.surface=sand" in page.url
    assert page.locator('.runner[data-runner="b"] .scene .footprint').count() >= 1
    assert page.locator('.runner[data-runner="a"] .scene .footprint').count() == 0
    assert metric(page, "energy_return_ratio", "b") < metric(page, "energy_return_ratio", "a")
    assert page.input_value(f"#in-{STIFFNESS}") == "11"       # the lesson's runner
    page.fill(f"#in-{STIFFNESS}", "22")
    page.press(f"#in-{STIFFNESS}", "Enter")
    page.wait_for_function(f"location.search.includes('{STIFFNESS}=22')", timeout=TIMEOUT_MS)
    page.click("#reset")
    page.wait_for_function(f"!location.search.includes('{STIFFNESS}')", timeout=TIMEOUT_MS)
    assert page.input_value(f"#in-{STIFFNESS}") == "11"
    assert page.input_value("#in-surface") == "firm"


def test_a_fast_drag_ends_on_the_last_positions_answer(page, browser):
    """Twenty slider positions in one go: the page ends showing the gait of the last one (one
    request in flight, the latest state sent next), not of one in between."""
    from starlette.testclient import TestClient

    from explore_cases import warm_app

    open_page(page, browser.explorer_url)
    page.evaluate("""() => {
        const r = document.getElementById('range-leg_stiffness_kn_per_m');
        for (let i = 1; i <= 20; i++) { r.value = 15 + 0.5 * i; r.dispatchEvent(new Event('input')); }
    }""")
    page.wait_for_function("""() => {
        const t = document.querySelector('.runner[data-runner="a"] .runner-title').textContent;
        const s = document.querySelector('#status').textContent;
        return t.includes('25 kN/m') && !s.startsWith('computing');
    }""", timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)
    expected = TestClient(warm_app()).get("/api/gait", params={STIFFNESS: "25"}).json()
    assert metric(page, "contact_time_s") == pytest.approx(
        expected["steady"]["metrics"]["contact_time_s"], rel=1e-9)


def test_moving_the_surface_stiffness_changes_the_gait_and_a_new_preset_resets_it(page, browser):
    """The surface's numbers show the preset's until moved; moving the stiffness slider to a
    softer ground lengthens the contact; choosing another preset brings its own numbers."""
    firm = open_page(page, browser.explorer_url)
    key = "surface_stiffness_kn_per_m"
    assert page.input_value(f"#in-{key}") == "945.7"                  # firm ground's own
    assert page.input_value("#in-surface_restitution") == "1"
    assert "from-preset" in page.get_attribute(f'.control[data-key="{key}"]', "class")
    page.evaluate(f"""() => {{
        const r = document.getElementById('range-{key}');
        r.value = 50; r.dispatchEvent(new Event('input'));
    }}""")
    soft = settled(page, firm)
    assert soft > firm + 0.005                                  # springs in series: longer
    assert page.input_value(f"#in-{key}") == "50"
    assert f"{key}=50" in page.url
    assert "from-preset" not in page.get_attribute(f'.control[data-key="{key}"]', "class")
    page.select_option("#in-surface", "sand")
    page.wait_for_function(f"!location.search.includes('{key}') && "
                           "location.search.includes('surface=sand')", timeout=TIMEOUT_MS)
    assert page.input_value(f"#in-{key}") == "31.8"                   # under a 70 kg foot
    assert page.input_value("#in-surface_damping_n_s_per_m") == "1530"
    assert page.input_value("#in-surface_restitution") == "0.1"
    # sand is granular: a heavier runner's larger foot meets more of it, (90/70)^(2/3) = 1.182
    page.fill("#in-mass_kg", "90")
    page.press("#in-mass_kg", "Enter")
    page.wait_for_function("location.search.includes('mass_kg=90')", timeout=TIMEOUT_MS)
    assert page.input_value(f"#in-{key}") == "37.6"
    assert page.input_value("#in-surface_damping_n_s_per_m") == "1810"
    assert page.input_value("#in-surface_restitution") == "0.1"


def test_a_bad_surface_number_shows_its_message_under_its_field(page, browser):
    open_page(page, browser.explorer_url)
    key = "surface_restitution"
    page.fill(f"#in-{key}", "1.5")
    page.press(f"#in-{key}", "Enter")
    page.wait_for_function(f"""document.querySelector('.control[data-key="{key}"] .error')
                               .textContent.includes('1.5')""", timeout=TIMEOUT_MS)
    words = page.inner_text(f'.control[data-key="{key}"] .error')
    assert key in words and "in (0, 1]" in words


def test_every_lesson_opens_with_its_number(page, browser):
    from simsrc.explore.lessons import LESSONS

    open_page(page, browser.explorer_url)
    for lesson in LESSONS:
        page.click(f'#lesson-list button[data-lesson="{lesson["id"]}"]')
        page.wait_for_function(f"location.search.includes('lesson={lesson['id']}')",
                               timeout=TIMEOUT_MS)
        text = page.inner_text("#lesson")
        assert lesson["question"] in text and "The number: " + lesson["number"] in text
        if lesson["figure"]:
            assert lesson["figure"] in text
    page.wait_for_function("""() => !document.querySelector('#status').textContent
                              .startsWith('computing')""", timeout=TIMEOUT_MS)
