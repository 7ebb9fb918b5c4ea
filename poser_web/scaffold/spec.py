"""The spec `poser scaffold` reads: a table name and typed fields."""
import keyword
import re
from dataclasses import dataclass, field

GRAMMAR = """\
NAME is the new table's singular name: lowercase letters, digits and _, starting with a
letter (gizmo, purchase_order). The table is poser_NAME, the model class its CamelCase
(PurchaseOrder), the pages /<plural> (purchase-orders).

Each FIELD is name:type, with a trailing ? when the field may be left empty (NULL):

  str(N)          text of at most N characters (1-10000): String(N), a one-line input
  text            longer text: Text, a text area
  int             whole number: Integer
  numeric(P,S)    decimal of P digits, S of them after the point (1 <= P <= 38, S <= P)
  bool            yes/no: Boolean, default no; bool(true) defaults to yes
  date            a day: Date
  datetime        a moment, stored in UTC: DateTime
  choice(a,b,c)   one of the listed values (letters, digits, _ . -): String with
                  info={"choices": ...}
  fk(TABLE)       a record of another table: TABLE's uuid (String(32), a named foreign
                  key) in column <name>_uuid, and a relationship <name>. TABLE as widget,
                  poser_widget or Widget.

Field names: lowercase letters, digits and _, starting with a letter; not uuid, version
(every scaffolded table has them) nor a Python keyword. Without ?, a field is required.

Quote the fields: the shell treats ( ) and ? specially. One quoted argument may hold
several fields, separated by spaces:
  poser scaffold gizmo 'name:str(100) weight:numeric(10,3)? active:bool(true)
      color:choice(red,green,blue)? widget:fk(widget)? notes:text? qty:int?
      received:date? checked:datetime?'
"""

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FIELD = re.compile(r"^(?P<name>[^:]+):(?P<kind>[a-z]+)(?:\((?P<args>[^()]*)\))?(?P<nullable>\?)?$")
CHOICE = re.compile(r"^[A-Za-z0-9_.-]+$")
RESERVED = {"uuid", "version", "metadata", "registry", "query", "type"}
# Names the model module imports: a field of that name would hide them in the class body.
SHADOWING = {"date", "datetime", "true", "false", "relationship", "mapped_column", "uuid_column"}
KINDS = ("str", "text", "int", "numeric", "bool", "date", "datetime", "choice", "fk")
MAX_STRING = 10000


class SpecError(ValueError):
    """A spec the scaffold cannot use; the message says what to write instead."""


@dataclass
class Field:
    name: str
    kind: str  # one of KINDS
    nullable: bool = False
    length: int | None = None  # str, choice
    precision: int | None = None  # numeric
    scale: int | None = None
    default: bool | None = None  # bool
    choices: tuple = ()
    target: str | None = None  # fk: as written; resolved by project.py
    spec: str = ""  # as written on the command line
    label: str = field(init=False)

    def __post_init__(self):
        self.label = self.name.replace("_", " ").capitalize()

    @property
    def column(self):
        """The database column's name (fk fields keep the key in <name>_uuid)."""
        return f"{self.name}_uuid" if self.kind == "fk" else self.name


def check_name(name, what="NAME"):
    if not NAME.match(name):
        raise SpecError(f"{what} {name!r}: use lowercase letters, digits and _, starting with a "
                        "letter (e.g. gizmo, purchase_order)")
    if keyword.iskeyword(name) or name in RESERVED:
        raise SpecError(f"{what} {name!r} is reserved; choose another name")
    if name in SHADOWING and what == "field name":
        raise SpecError(f"field name {name!r} would hide {name} in the model's code; "
                        f"call it e.g. {name}_on or when_{name}")
    if name.startswith("poser_"):
        raise SpecError(f"{what} {name!r}: leave out the poser_ prefix (it is added)")
    return name


def plural_of(name):
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    return name + "s"


def parse_field(text):
    """One FIELD of the spec (see GRAMMAR)."""
    match = FIELD.match(text)
    if not match:
        raise SpecError(f"field {text!r}: write name:type, e.g. name:str(100) or weight:numeric(10,3)?")
    name, kind, args, nullable = match["name"], match["kind"], match["args"], bool(match["nullable"])
    check_name(name, "field name")
    if kind not in KINDS:
        raise SpecError(f"field {text!r}: unknown type {kind!r}; the types are {', '.join(KINDS)}")
    parts = [] if args is None else [a.strip() for a in args.split(",")]
    result = Field(name, kind, nullable, spec=text)

    def numbers(count, usage):
        if len(parts) != count or not all(p.isdigit() for p in parts):
            raise SpecError(f"field {text!r}: write {usage}")
        return [int(p) for p in parts]

    if kind == "str":
        [result.length] = numbers(1, f"{name}:str(N) with N the most characters, e.g. str(100)")
        if not 1 <= result.length <= MAX_STRING:
            raise SpecError(f"field {text!r}: the length must be 1 to {MAX_STRING} "
                            "(use text for longer text)")
    elif kind == "numeric":
        result.precision, result.scale = numbers(
            2, f"{name}:numeric(P,S): P digits in all, S after the point, e.g. numeric(10,3)")
        if not 1 <= result.precision <= 38 or result.scale > result.precision:
            raise SpecError(f"field {text!r}: numeric(P,S) needs 1 <= P <= 38 and S <= P")
    elif kind == "bool":
        if parts not in ([], ["true"], ["false"]):
            raise SpecError(f"field {text!r}: write bool, bool(true) or bool(false) (the default)")
        if nullable and parts:
            raise SpecError(f"field {text!r}: a field that may be empty has no default; "
                            f"write {name}:bool?")
        result.default = None if nullable else parts == ["true"]
    elif kind == "choice":
        if not parts or not all(CHOICE.match(p) for p in parts):
            raise SpecError(f"field {text!r}: write {name}:choice(a,b,c): values of letters, "
                            "digits, _ . and -, separated by commas")
        if len(set(parts)) != len(parts):
            raise SpecError(f"field {text!r}: a choice is listed twice")
        result.choices = tuple(parts)
        result.length = max(len(p) for p in parts)
    elif kind == "fk":
        if len(parts) != 1 or not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", parts[0]):
            raise SpecError(f"field {text!r}: write {name}:fk(TABLE), e.g. widget:fk(widget)")
        if name.endswith("_uuid"):
            raise SpecError(f"field {text!r}: name it {name[:-5]} (the key goes in {name})")
        result.target = parts[0]
    elif args is not None:
        raise SpecError(f"field {text!r}: {kind} takes no arguments")
    return result


def parse_spec(name, field_texts):
    """NAME and the FIELDs of `poser scaffold` → (name, [Field])."""
    check_name(name)
    field_texts = [text for argument in field_texts for text in argument.split()]
    if not field_texts:
        raise SpecError("give at least one field, e.g. name:str(100)")
    fields = [parse_field(text) for text in field_texts]
    seen = {}
    for f in fields:
        for used in {f.name, f.column}:
            if used in seen:
                raise SpecError(f"fields {seen[used]!r} and {f.name!r} both use the name {used!r}")
            seen[used] = f.name
    return name, fields
