"""The package's layers (docs/design/architecture.md): upper layers import lower ones, never the
other way. Read from the source's own import statements, lazy ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import hedgeflow_tui

PACKAGE = Path(hedgeflow_tui.__file__).parent

# who may import each top-level package of ours (besides itself); None: anyone
IMPORTED_BY: dict[str, set[str] | None] = {
    "cli": {"__main__"},
    "ui": {"cli"},
    "output": {"ui", "cli"},
    "api": None,
    "market": None,
    "config": None,
    "engine": None,
    "analysis": None,
    "storage": None,
    "sim": None,
}
# what each package may import of ours (besides itself); None: anything
IMPORTS: dict[str, set[str] | None] = {
    "api": {"market", "__init__"},
    "market": {"config"},
}


def _layer(module: str) -> str:
    """`hedgeflow_tui.engine.store` -> `engine`; the package's own root modules by name."""
    parts = module.split(".")
    if len(parts) > 1 and ((PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").exists()):
        return parts[1]
    return "__init__"  # `from hedgeflow_tui import __version__`


def _imports() -> list[tuple[str, str, str]]:
    """(file, its layer, the layer it imports) for every import of ours in the package."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        layer = relative.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "hedgeflow_tui":
                    names = [f"hedgeflow_tui.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == "hedgeflow_tui" or name.startswith("hedgeflow_tui."):
                    target = _layer(name)
                    if target != layer:
                        found.append((str(relative), layer, target))
    return found


def _allowed(layer: str, target: str) -> bool:
    importers, imported = IMPORTED_BY.get(target), IMPORTS.get(layer)
    return (importers is None or layer in importers) and (imported is None or target in imported)


def test_the_package_has_few_root_modules():
    assert len(list(PACKAGE.glob("*.py"))) <= 12


def test_every_import_goes_down_the_layers():
    imports = _imports()
    assert imports  # the reading works
    wrong = [(file, target) for file, layer, target in imports if not _allowed(layer, target)]
    assert not wrong, wrong
