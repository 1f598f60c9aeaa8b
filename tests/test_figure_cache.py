"""The figure cache key (experiments/common.py) follows the engine's sources: editing any file that
can change a result changes the key; editing a file that only draws or parses commands does not."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import common  # noqa: E402


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A copy of the package sources, with the cache key reading it instead of the checkout."""
    shutil.copytree(ROOT / "simsrc", tmp_path / "simsrc",
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    monkeypatch.setattr(common, "ROOT", str(tmp_path))
    return tmp_path / "simsrc"


def _edit(path: Path):
    path.write_text(path.read_text() + "\n# an edit\n")


@pytest.mark.parametrize("source", ["engine/surface.py", "engine/step.py", "metrics/steps.py",
                                    "gait/__init__.py", "config/load.py"])
def test_editing_a_source_that_computes_changes_the_key(checkout, source):
    before = common.engine_fingerprint()
    _edit(checkout / source)
    assert common.engine_fingerprint() != before


@pytest.mark.parametrize("source", ["viz/style.py", "cli/main.py", "explore/app.py"])
def test_editing_a_drawing_or_command_module_keeps_the_key(checkout, source):
    before = common.engine_fingerprint()
    _edit(checkout / source)
    assert common.engine_fingerprint() == before


def test_a_new_engine_module_changes_the_key(checkout):
    before = common.engine_fingerprint()
    (checkout / "engine" / "new_law.py").write_text("X = 1\n")
    assert common.engine_fingerprint() != before


def test_no_engine_sources_is_an_error_not_an_empty_key(tmp_path, monkeypatch):
    (tmp_path / "simsrc").mkdir()
    monkeypatch.setattr(common, "ROOT", str(tmp_path))
    with pytest.raises(RuntimeError, match="no engine sources"):
        common.engine_fingerprint()
