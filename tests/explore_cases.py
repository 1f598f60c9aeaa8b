"""One warmed explorer app per test session, shared by the API and browser tests: the JAX
programs compile once (``simsrc.explore.answer.WarmUp``), and one live server (uvicorn in a
thread) serves the browser tests."""
from __future__ import annotations

import functools
import shutil
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Chromium from Debian (``apt-get install chromium-headless-shell``), which Playwright drives
#: through ``executable_path`` (Playwright cannot download its own browsers here).
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium")


@functools.lru_cache(maxsize=None)
def warm_app():
    """The explorer app, its programs compiled (waits for the warm-up)."""
    from simsrc.explore.answer import WarmUp
    from simsrc.explore.app import make_app

    warm = WarmUp().start()
    app = make_app(warm)
    assert warm.wait(timeout=900), warm.status()
    return app


@functools.lru_cache(maxsize=None)
def live_server() -> str:
    """The warmed app served by uvicorn on a free local port, in a daemon thread; its URL."""
    import uvicorn

    from simsrc.cli.explore import free_port

    app = warm_app()
    port = free_port("127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline, "the explorer's server did not start"
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}/"
