"""The spec `poser scaffold` reads: a table name and typed fields, each with its rules."""
import re
from dataclasses import dataclass, field

from .names import SpecError, check_field_name, check_name
from .rules import apply_rules

GRAMMAR = """\
NAME is the new table's singular name: lowercase letters, digits and _, starting with a
letter (gizmo, purchase_order). The table is poser_NAME, the model class its CamelCase
(PurchaseOrder), the pages /<plural> (purchase-orders). A name the app uses already (a
page such as password or healthz, a module such as base or models) is refused, and so is
one too long for PostgreSQL's 63-character names once prefixed.

Each FIELD is name:type, with a trailing ? when the field may be left empty (NULL),
then its rules, if any:

  str(N)          text of at most N characters (1-10000): String(N), a one-line input
  text            longer text: Text, a text area (shown cut in the list)
  int             whole number: Integer
  numeric(P,S)    decimal of P digits, S of them after the point (1 <= P <= 38, S <= P)
  bool            yes/no: Boolean, default no; bool(true) defaults to yes
  date            a day: Date
  datetime        a moment, stored in UTC: DateTime
  choice(a,b,c)   one of the listed values: String with info={"choices": ...}; a value
                  with spaces in double quotes: choice(gold, silver, "on probation")
  fk(TABLE)       a record of another table: TABLE's uuid (String(32), a named foreign
                  key) in column <name>_uuid, and a relationship <name>. TABLE as widget,
                  poser_widget or Widget.

Rules, after the type, separated by spaces:

  unique          no two records share the value (a unique index; the form names the
                  record that has it already)
  0..10  >=0  <=5 a range, ends included (int and numeric): a CHECK constraint, the
                  form's and the import's check, the number input's min and max
  = VALUE         the default, preselected on the create form: text (in double quotes
                  when it has spaces), a number, true/false, a choice, a date as
                  YYYY-MM-DD or today, a datetime as YYYY-MM-DDTHH:MM or now

Field names: lowercase letters, digits and _, starting with a letter; not uuid, version
(every scaffolded table has them), a Python keyword, nor a name the pages use in their
URLs (q, sort, page, ...). Without ?, a field is required.

Quote each field with its rules: the shell treats ( ) ? > < and spaces specially. One
quoted argument may also hold several fields:
  poser scaffold vendor 'code:str(12) unique' 'name:str(80)' 'score:int? 0..10' \\
      'balance:numeric(10,2)? >=0' 'tier:choice(gold, silver, "on probation") = silver' \\
      'memo:text?' 'widget:fk(widget)?'
"""

FIELD = re.compile(r"^(?P<name>[^:]+):(?P<kind>[a-z]+)(?:\((?P<args>.*)\))?(?P<nullable>\?)?$", re.S)
FIELD_START = re.compile(r'^[A-Za-z_][^\s:"=(<>.]*:')
_RULE_START = re.compile(r"^(unique$|[=<>]|-?\d)")
CHOICE_WORD = re.compile(r"^[A-Za-z0-9_.-]+$")
_OUTSIDE_QUOTES = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')  # a comma not inside "..."
KINDS = ("str", "text", "int", "numeric", "bool", "date", "datetime", "choice", "fk")
MAX_STRING = 10000
MAX_CHOICE = 100


@dataclass
class Field:
    name: str
    kind: str  # one of KINDS
    nullable: bool = False
    length: int | None = None  # str, choice
    precision: int | None = None  # numeric
    scale: int | None = None
    default: object = None  # the default's value (True/False for bool), None when there is none
    default_code: str | None = None  # the default as Python source in the model
    choices: tuple = ()
    target: str | None = None  # fk: as written; resolved by project.py
    unique: bool = False
    minimum: object = None  # a range's ends (int or Decimal)
    maximum: object = None
    spec: str = ""  # as written on the command line
    label: str = field(init=False)

    def __post_init__(self):
        self.label = self.name.replace("_", " ").capitalize()

    @property
    def column(self):
        """The database column's name (fk fields keep the key in <name>_uuid)."""
        return f"{self.name}_uuid" if self.kind == "fk" else self.name

    @property
    def ranged(self):
        return self.minimum is not None or self.maximum is not None


def tokens(text):
    """An argument split at spaces outside parentheses and double quotes."""
    found, current, depth, quoted = [], "", 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        if char.isspace() and not quoted and depth <= 0:
            if current:
                found.append(current)
            current = ""
            continue
        current += char
    if quoted:
        raise SpecError(f"{text!r}: a double quote is not closed")
    if current:
        found.append(current)
    return found


def split_fields(arguments):
    """[(field text, [its rules' tokens])] of the command line's FIELD arguments."""
    fields = []
    for token in (t for argument in arguments for t in tokens(argument)):
        after_equals = bool(fields and fields[-1][1] and fields[-1][1][-1] == "=")
        if after_equals:  # a default's value, whatever it looks like
            fields[-1][1].append(token)
        elif FIELD_START.match(token) or (not fields and not _RULE_START.match(token)):
            fields.append((token, []))  # parse_field says what is wrong with "name" alone
        elif not fields:
            raise SpecError(f"{token!r}: a rule comes after its field, e.g. 'code:str(12) unique'")
        else:
            fields[-1][1].append(token)
    return fields


def parse_field(text, rules=()):
    """One FIELD of the spec (see GRAMMAR) and its rules."""
    match = FIELD.match(text)
    if not match:
        raise SpecError(f"field {text!r}: write name:type, e.g. name:str(100) or weight:numeric(10,3)?")
    name, kind, args, nullable = match["name"], match["kind"], match["args"], bool(match["nullable"])
    check_field_name(name)
    if kind not in KINDS:
        raise SpecError(f"field {text!r}: unknown type {kind!r}; the types are {', '.join(KINDS)}")
    result = Field(name, kind, nullable, spec=" ".join([text, *rules]))
    _read_type(result, text, args)
    apply_rules(result, list(rules))
    return result


def _read_type(result, text, args):
    name, kind = result.name, result.kind
    parts = [] if args is None else [a.strip() for a in args.split(",")]

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
        if result.nullable and parts:
            raise SpecError(f"field {text!r}: a field that may be empty has no default; "
                            f"write {name}:bool?")
        if not result.nullable:
            result.default = parts == ["true"]
    elif kind == "choice":
        result.choices = _choices(text, name, args)
        result.length = max(len(c) for c in result.choices)
    elif kind == "fk":
        if len(parts) != 1 or not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", parts[0]):
            raise SpecError(f"field {text!r}: write {name}:fk(TABLE), e.g. widget:fk(widget)")
        if name.endswith("_uuid"):
            raise SpecError(f"field {text!r}: name it {name[:-5]} (the key goes in {name})")
        result.target = parts[0]
    elif args is not None:
        raise SpecError(f"field {text!r}: {kind} takes no arguments")


def _choices(text, name, args):
    """The values of choice(a, b, "c d"): words, or any printable text in double quotes."""
    usage = (f"field {text!r}: write {name}:choice(a,b,c): values of letters, digits, _ . and -, "
             'separated by commas; a value with spaces in double quotes, e.g. "on hold"')
    values = []
    for item in _OUTSIDE_QUOTES.split(args or ""):
        item = item.strip()
        if len(item) >= 2 and item[0] == item[-1] == '"':
            value = item[1:-1]
            if not value.strip() or '"' in value or not value.isprintable():
                raise SpecError(usage)
        elif CHOICE_WORD.match(item):
            value = item
        else:
            raise SpecError(usage)
        values.append(value)
    if any(len(v) > MAX_CHOICE for v in values):
        raise SpecError(f"field {text!r}: a choice is at most {MAX_CHOICE} characters")
    if len(set(values)) != len(values):
        raise SpecError(f"field {text!r}: a choice is listed twice")
    return tuple(values)


def parse_spec(name, field_texts):
    """NAME and the FIELDs of `poser scaffold` → (name, [Field])."""
    check_name(name)
    fields = [parse_field(text, rules) for text, rules in split_fields(field_texts)]
    if not fields:
        raise SpecError("give at least one field, e.g. name:str(100)")
    seen = {}
    for f in fields:
        for used in {f.name, f.column}:
            if used in seen:
                raise SpecError(f"fields {seen[used]!r} and {f.name!r} both use the name {used!r}")
            seen[used] = f.name
    return name, fields


def plural_of(name):
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    return name + "s"
