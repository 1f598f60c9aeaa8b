"""``simsrc explore``: an interactive explorer in the browser (docs/explorer.md).

A layer between drawing (``viz``) and the command line (``cli``): ``controls`` (the controls,
a page's state -> a checked config, the TOML export), ``answer`` (a state's steady gait, its
steps for the animation, the energy bars; the one set of numerical options and the warm-up),
``lessons`` (the guided lessons), ``app`` (the Starlette app: the page and its JSON API) and
``static/`` (the page: HTML, JavaScript and CSS, drawing in SVG; nothing from the internet).
"""
