"""The explorer's web app (Starlette): one static page and a small JSON API.

Routes:

- ``/``: the page (``static/index.html``, with ``explorer.js`` and ``explorer.css``: hand-written,
  drawing in SVG; nothing is fetched from elsewhere).
- ``GET /api/controls``: the controls (keys, labels, units, slider ranges, defaults), the
  surface presets with their numbers (the surface controls' values until moved) and the
  lessons.
- ``GET /api/status``: the warm-up (``{"phase", "ready", "seconds", "error"}``).
- ``GET /api/gait?KEY=VALUE&...``: the answer for a state (``answer.answer``); the query holds
  the state, as the page's own URL does.
- ``GET /api/export.toml?...``: the state as a config for ``simsrc run``;
  ``GET /api/export.csv?...``: the gait's animation samples.

A bad value answers HTTP 400 with ``{"error": message, "field": key, "value": given}``; the
message names the key, the value and what is allowed (the config schema's words).

The endpoints are plain functions: Starlette runs them in its thread pool, and the JAX work
inside is serialised by ``answer.LOCK``.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from simsrc.errors import SimsrcInputError
from simsrc.explore import answer as ans
from simsrc.explore.controls import (CONTROLS, SURFACE_NUMBERS, SURFACES, TARGET_SPEED,
                                     default_state, export_toml, parse_state, surface_numbers)
from simsrc.explore.lessons import LESSONS

STATIC = Path(__file__).resolve().parent / "static"
#: The query keys the page adds that are not controls (the comparison's second runner is
#: prefixed ``b.``; ``compare=1`` shows it; ``lesson`` opens a lesson).
PAGE_KEYS = ("compare", "lesson")


def _state_from(request: Request):
    given = {k: v for k, v in request.query_params.items()
             if k not in PAGE_KEYS and not k.startswith("b.")}
    return parse_state(given)


def _bad(e: SimsrcInputError) -> JSONResponse:
    field = getattr(e, "field", None)
    value = getattr(e, "value", None)
    return JSONResponse({"error": str(e), "field": field,
                         "value": None if value is None else str(value)}, status_code=400)


def controls(request: Request) -> JSONResponse:
    from simsrc.engine.surface import FOOT_AREA_MASS_EXPONENT, SURFACE_PRESETS

    return JSONResponse({
        "controls": [{"key": c.key, "label": c.label, "unit": c.unit, "low": c.low,
                      "high": c.high, "step": c.step, "default": c.default, "group": c.group,
                      "note": c.note, "solved_when_held": c.solved_when_held,
                      "choices": list(c.choices)}
                     for c in CONTROLS],
        "defaults": default_state(), "target_speed_key": TARGET_SPEED,
        "surfaces": [{"name": n, "description": SURFACE_PRESETS[n].description,
                      "numbers": surface_numbers(n),
                      "foot_of_mass_kg": SURFACE_PRESETS[n].foot_of_mass_kg} for n in SURFACES],
        "surface_number_keys": list(SURFACE_NUMBERS),
        "foot_area_mass_exponent": FOOT_AREA_MASS_EXPONENT,
        "lessons": list(LESSONS)})


def make_app(warm: ans.WarmUp | None = None) -> Starlette:
    """The app; ``warm`` (started here unless given) compiles the programs in the background."""
    warm = warm or ans.WarmUp()

    def status(request: Request) -> JSONResponse:
        return JSONResponse(warm.status())

    def gait(request: Request) -> Response:
        try:
            state = _state_from(request)
        except SimsrcInputError as e:
            return _bad(e)
        return JSONResponse(ans.answer(state))

    def toml(request: Request) -> Response:
        try:
            state = _state_from(request)
        except SimsrcInputError as e:
            return _bad(e)
        link = str(request.url).replace("/api/export.toml", "/", 1)
        return PlainTextResponse(export_toml(state, link), media_type="application/toml",
                                 headers={"Content-Disposition":
                                          'attachment; filename="explorer.toml"'})

    def csv(request: Request) -> Response:
        try:
            state = _state_from(request)
        except SimsrcInputError as e:
            return _bad(e)
        return PlainTextResponse(ans.gait_csv(state), media_type="text/csv",
                                 headers={"Content-Disposition":
                                          'attachment; filename="explorer_gait.csv"'})

    def page(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        warm.start()
        yield

    app = Starlette(routes=[
        Route("/", page), Route("/api/controls", controls), Route("/api/status", status),
        Route("/api/gait", gait), Route("/api/export.toml", toml),
        Route("/api/export.csv", csv),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static")],
        lifespan=lifespan)
    app.state.warm = warm
    return app

