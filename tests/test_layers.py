"""The package's layers go one way down (docs/architecture.md): a module imports only modules of
its own layer or of the layers below it, including imports inside functions."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simsrc"

# Bottom to top. ``simsrc`` itself (``__init__.py``, the public API) re-exports the engine, so it
# sits just above it; ``__main__`` is the command line.
LAYERS = ("errors", "engine", "simsrc", "metrics", "gait", "measured", "fit", "config", "sweep",
          "viz", "explore", "cli")


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside the package (``simsrc.engine.step`` -> engine)."""
    parts = module.split(".")
    if parts == ["simsrc"] or parts[1] == "__init__":
        return "simsrc"
    if parts[1] == "__main__":
        return "cli"
    return parts[1]


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        yield ".".join(p for p in rel.parts if p != "__init__" or len(rel.parts) == 2), path


def imported(path: Path) -> set[str]:
    """Every simsrc module that ``path`` imports, anywhere in it (``from simsrc import x`` counts
    as importing ``simsrc.x`` when x is a module, else the package itself)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "simsrc":
                for alias in node.names:
                    sub = PACKAGE / alias.name
                    is_module = sub.is_dir() or sub.with_suffix(".py").exists()
                    found.add(f"simsrc.{alias.name}" if is_module else "simsrc")
            elif node.module.startswith("simsrc."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "simsrc"}
    return found


def test_every_module_belongs_to_a_known_layer():
    unknown = {name for name, _ in modules() if layer_of(name) not in LAYERS}
    assert not unknown, f"modules outside the layers of docs/architecture.md: {sorted(unknown)}"


@pytest.mark.parametrize("name,path", list(modules()), ids=lambda v: str(v))
def test_imports_go_one_way_down(name, path):
    rank = LAYERS.index(layer_of(name))
    upward = sorted(m for m in imported(path) if LAYERS.index(layer_of(m)) > rank)
    assert not upward, f"{name} ({layer_of(name)}) imports from a layer above it: {upward}"


def test_the_physics_imports_no_io_plotting_or_config_library():
    """STYLE.md: physics modules import no I/O, plotting or config libraries."""
    banned = {"matplotlib", "xarray", "tomllib", "h5netcdf", "dask", "tqdm", "argparse", "json"}
    for path in sorted((PACKAGE / "engine").rglob("*.py")):
        tops = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                tops.add(node.module.split(".")[0])
        assert not tops & banned, f"{path.name} imports {sorted(tops & banned)}"


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The check itself can fail: an engine module that imports the CLI is flagged."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from simsrc.cli.main import main\n")
    assert "simsrc.cli.main" in imported(bad)
    assert LAYERS.index(layer_of("simsrc.cli.main")) > LAYERS.index(layer_of("simsrc.engine.x"))


def test_the_lazy_public_api_names_only_engine_modules():
    """``simsrc/__init__.py`` imports its names on first use, by module name strings: those
    modules must be the engine's (or ``errors``), as for a plain import."""
    import simsrc

    modules = {m or "simsrc.engine.status" for m in simsrc._PUBLIC.values()}
    assert modules and all(layer_of(m) in ("errors", "engine") for m in modules), modules
