"""One look for every figure and animation: fonts readable on a slide, 150 dpi PNG, and one
colour per energy store (so an energy plot and an animation read the same).

    >>> from simsrc import figure_style
    >>> plt = figure_style.pyplot()          # Agg backend, the style applied
    >>> fig, ax = plt.subplots()
    >>> figure_style.save(fig, "figures/x.png")
"""
from __future__ import annotations

import os

DPI = 150
FONT_SIZE_PT = 12

# colours of the energy stores and flows (shared by experiments and `simsrc animate`)
ENERGY_COLORS = {
    "kinetic": "#1f77b4",
    "gravitational": "#2ca02c",
    "leg_elastic": "#ff7f0e",
    "surface_elastic": "#8c564b",
    "lost": "#7f7f7f",
    "push": "#d62728",
}

RC = {
    "font.size": FONT_SIZE_PT,
    "axes.titlesize": FONT_SIZE_PT + 1,
    "axes.labelsize": FONT_SIZE_PT,
    "xtick.labelsize": FONT_SIZE_PT - 1,
    "ytick.labelsize": FONT_SIZE_PT - 1,
    "legend.fontsize": FONT_SIZE_PT - 1,
    "figure.titlesize": FONT_SIZE_PT + 2,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": DPI,
    "figure.dpi": 100,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
}


def pyplot():
    """matplotlib.pyplot with the Agg backend and this style applied."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(RC)
    return plt


def save(fig, path: str) -> str:
    """Write ``fig`` as a 150 dpi PNG (creating the folder) and close it; returns the path."""
    import matplotlib.pyplot as plt

    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def check_figure_path(path: str, option: str = "--plot") -> None:
    """Refuse a figure file matplotlib cannot write (its extension) or whose folder is missing,
    before any work is done.

    Raises:
        SimsrcInputError: naming the option, the path and the formats allowed.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    from simsrc.errors import SimsrcInputError

    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in formats:
        got = f"extension .{ext}" if ext else "no extension"
        raise SimsrcInputError(f"{option} {path}: {got}; a figure file ends in one of "
                               f"{', '.join('.' + f for f in formats)} (e.g. run.png)")
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        raise SimsrcInputError(f"{option} {path}: the folder {folder} does not exist")
