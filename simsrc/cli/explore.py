"""``simsrc explore``: the interactive explorer in the browser (``simsrc.explore``,
docs/explorer.md). This module only parses the arguments, starts the local web server
(uvicorn) and opens the page."""
from __future__ import annotations

import argparse
import socket
import sys
import threading

DEFAULT_PORT = 8765


def add_parser(sub) -> None:
    """Register ``simsrc explore``."""
    p = sub.add_parser(
        "explore", help="the interactive explorer in the browser (a local web app)",
        description="Start the explorer: a local web app where you turn the runner's "
        "parameters (leg stiffness, angle of attack, lean, push, leg damping, held speed, "
        "surface, slope, mass, leg length) and see its steady gait update: the runner "
        "animated over a few steps, the energy ledger of the steady step, the gait's numbers "
        "and its ground-force curve; two runners side by side; guided lessons; the setup as a "
        "shareable link, a TOML config for `simsrc run` and the gait as CSV. Everything it "
        "serves is in the package (no internet needed). The first start compiles the model "
        "for about 10 s (the page says 'warming up'); later starts take a few seconds.",
        epilog="examples:\n  simsrc explore\n  simsrc explore --port 9000 --no-browser",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=run)


def free_port(host: str) -> int:
    """A port that is free now on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run(args) -> int:
    """The command: serve the explorer until Ctrl-C."""
    from simsrc.errors import SimsrcInputError

    try:
        import uvicorn

        from simsrc.explore.app import make_app
    except ImportError as e:
        raise SimsrcInputError(f"simsrc explore needs starlette and uvicorn ({e}): "
                               "pip install starlette uvicorn") from None
    if not 0 <= args.port <= 65535:
        raise SimsrcInputError(f"--port must be in [0, 65535], got {args.port}")
    port = args.port or free_port(args.host)
    url = f"http://{args.host}:{port}/"
    server = uvicorn.Server(uvicorn.Config(make_app(), host=args.host, port=port,
                                           log_level="warning"))
    print(f"simsrc explore: {url}  (Ctrl-C stops it; the first start compiles the model for "
          "about 10 s)", flush=True)
    if not args.no_browser:
        import webbrowser

        def open_when_up():
            import time
            while not server.started and not server.should_exit:
                time.sleep(0.1)
            if server.started:
                webbrowser.open(url)
        threading.Thread(target=open_when_up, daemon=True).start()
    try:
        server.run()
    except OSError as e:  # the port is taken
        print(f"simsrc explore: error: cannot listen on {args.host}:{port}: {e}",
              file=sys.stderr)
        return 1
    return 0 if server.started else 1
