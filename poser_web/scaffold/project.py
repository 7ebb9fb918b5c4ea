"""The checkout `poser scaffold` writes into: its table packages (poser_web/tables/*/)."""
import ast
from dataclasses import dataclass
from pathlib import Path

from ..models.meta import TABLE_PREFIX
from .names import SpecError

TABLES = Path("poser_web/tables")


@dataclass(frozen=True)
class Table:
    """A mapped class found in a table package's models.py."""

    class_name: str
    table: str
    module: str  # the table package's name, e.g. "widgets" (poser_web/tables/widgets/)


class Project:
    def __init__(self, root):
        self.root = Path(root)
        if not (self.root / TABLES / "__init__.py").is_file():
            raise SpecError(f"{self.root.resolve()} is not a poser_web checkout (no {TABLES}/); "
                            "run poser scaffold from the repository root or give --root")

    def tables(self):
        """Every class in poser_web/tables/*/models.py that declares a __tablename__."""
        found = []
        for path in sorted((self.root / TABLES).glob("*/models.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.ClassDef):
                    for statement in node.body:
                        if (isinstance(statement, (ast.Assign, ast.AnnAssign))
                                and _target_names(statement) == ["__tablename__"]
                                and isinstance(statement.value, ast.Constant)):
                            found.append(Table(node.name, statement.value.value, path.parent.name))
        return found

    def find_table(self, written):
        """The table `fk(TABLE)` means: widget, poser_widget or Widget."""
        for table in self.tables():
            if written in (table.table, table.table.removeprefix(TABLE_PREFIX), table.class_name):
                return table
        known = ", ".join(t.table.removeprefix(TABLE_PREFIX) for t in self.tables())
        raise SpecError(f"fk({written}): no such table in {TABLES}/ (known: {known})")

    def check_new(self, class_name, table):
        for existing in self.tables():
            if existing.table == table or existing.class_name == class_name:
                raise SpecError(f"{existing.class_name} ({existing.table}) exists already in "
                                f"{TABLES}/{existing.module}/models.py")


def _target_names(statement):
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]
