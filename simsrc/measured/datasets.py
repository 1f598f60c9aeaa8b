"""Paths to the measured data files shipped inside the package (``simsrc/data/``).

The files are byte-for-byte copies of public datasets; see ``simsrc/data/README.md`` for
sources, citations and licences. Code should reach them through :func:`data_path` so that it
works from an installed package and from a fresh clone alike.
"""

from __future__ import annotations

import importlib.resources
import pathlib

from simsrc.errors import SimsrcInputError

#: Shipped data files, relative to ``simsrc/data/``.
DATA_FILES: tuple[str, ...] = (
    "fukuchi2017/RBDS001runT25forces.txt",
    "fukuchi2017/RBDS001runT35.c3d",
    "fukuchi2017/RBDS001processed.txt",
    "fukuchi2017/RBDSinfo.txt",
    "fukuchi2017/LICENSE-CC-BY-4.0.txt",
    "watch_fit/activity-small-fenix2-run.fit",
    "watch_fit/developer-types-sample.fit",
    "watch_fit/garmin-fenix-5-run.fit",
    "watch_fit/LICENSE-MIT.txt",
    "README.md",
)


def _data_root() -> pathlib.Path:
    root = importlib.resources.files("simsrc") / "data"
    # The package is installed as plain files (not zipped), so the traversable is a real path.
    return pathlib.Path(str(root))


def data_path(name: str) -> pathlib.Path:
    """Return the filesystem path of a shipped data file.

    ``name`` is the path relative to ``simsrc/data/``, e.g.
    ``"fukuchi2017/RBDS001runT25forces.txt"`` or ``"watch_fit/garmin-fenix-5-run.fit"``
    (one of :data:`DATA_FILES`).

    Raises :class:`SimsrcInputError` for an unknown name or a file missing from the install.
    """
    key = str(name).replace("\\", "/").strip("/")
    if key not in DATA_FILES:
        raise SimsrcInputError(
            f"data_path: unknown data file name {name!r}; allowed names: {', '.join(DATA_FILES)}"
        )
    path = _data_root() / key
    if not path.is_file():
        raise SimsrcInputError(
            f"data_path: shipped data file {key!r} is missing at {path}; "
            "reinstall simsrc with its package data (simsrc/data/**)"
        )
    return path
