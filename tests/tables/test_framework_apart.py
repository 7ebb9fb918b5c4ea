"""The framework knows no table: outside poser_web/tables/, no module imports a table package
(only `poser_web.tables` itself, which finds them)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "poser_web"


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(("poser_web",) + path.relative_to(PACKAGE).parent.parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def test_no_framework_module_imports_a_table_package():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "tables"):
            continue
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[:2] == ["poser_web", "tables"] and len(parts) > 2 and parts[2] not in (
                    "load_models", "table_packages", "includeme"):
                offenders.append(f"{path.relative_to(PACKAGE)}: {module}")
    assert offenders == []
