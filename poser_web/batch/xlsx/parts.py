"""The parts around the sheet: where the first sheet is, its shared strings, its date formats."""
import posixpath

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from .archive import XlsxRefused, local_name


def _relationships(book, name):
    """{id: (type's last word, target)} of a relationships part."""
    found = {}

    def start(tag, attrs):
        if local_name(tag) == "Relationship":
            found[attrs.get("Id")] = (attrs.get("Type", "").rsplit("/", 1)[-1],
                                      attrs.get("Target", ""))

    book.parse_all(name, start=start)
    return found


def _resolve(base_dir, target):
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, target))


def locate_parts(book):
    """(first sheet, shared strings or None, styles or None): part names inside the zip."""
    office = [t for kind, t in _relationships(book, "_rels/.rels").values()
              if kind == "officeDocument"]
    workbook = _resolve("", office[0]) if office else "xl/workbook.xml"
    base = posixpath.dirname(workbook)
    rels_name = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    rels = _relationships(book, rels_name)
    sheets = []

    def start(tag, attrs):
        if local_name(tag) == "sheet" and not sheets:
            sheets.append(next((v for k, v in attrs.items() if local_name(k) == "id"), None))

    book.parse_all(workbook, start=start)
    if not sheets or sheets[0] not in rels:
        raise XlsxRefused("its workbook names no sheet to read")

    def part(kind):
        found = [t for k, t in rels.values() if k == kind]
        return _resolve(base, found[0]) if found and book.has(_resolve(base, found[0])) else None

    return _resolve(base, rels[sheets[0]][1]), part("sharedStrings"), part("styles")


def shared_strings(book, name):
    """Every shared string, within the limits on their count and size."""
    limits, strings, pieces = book.limits, [], []
    state = {"in_si": False, "phonetic": 0, "text": False, "chars": 0}

    def start(tag, attrs):
        tag = local_name(tag)
        if tag == "si":
            state["in_si"] = True
            pieces.clear()
        elif tag == "rPh":
            state["phonetic"] += 1
        elif tag == "t" and state["in_si"] and not state["phonetic"]:
            state["text"] = True

    def end(tag):
        tag = local_name(tag)
        if tag == "si":
            value = "".join(pieces)
            strings.append(value)
            state["in_si"] = False
            state["chars"] += len(value)
            if len(strings) > limits.shared_strings or state["chars"] > limits.shared_chars:
                raise XlsxRefused(f"it holds more than {limits.shared_strings:,} strings or "
                                  f"{limits.shared_chars:,} characters of them; save it as CSV")
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "t":
            state["text"] = False

    def text(data):
        if state["text"]:
            pieces.append(data)
            if sum(map(len, pieces)) > limits.string_chars:
                raise XlsxRefused(f"string {len(strings) + 1} of its shared strings is longer "
                                  f"than the {limits.string_chars:,} characters a cell holds")

    book.parse_all(name, start=start, end=end, text=text, limit=limits.part_bytes)
    return strings


def date_styles(book, name):
    """The indexes of the cell formats that show numbers as dates."""
    custom, formats, state = {}, [], {"cell_xfs": False}

    def start(tag, attrs):
        tag = local_name(tag)
        if tag == "numFmt":
            custom[attrs.get("numFmtId")] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            state["cell_xfs"] = True
        elif tag == "xf" and state["cell_xfs"]:
            formats.append(attrs.get("numFmtId", "0"))

    def end(tag):
        if local_name(tag) == "cellXfs":
            state["cell_xfs"] = False

    book.parse_all(name, start=start, end=end)
    dates = set()
    for index, number_format in enumerate(formats):
        code = custom.get(number_format)
        if code is None and number_format.isdigit():
            code = BUILTIN_FORMATS.get(int(number_format))
        if code and is_date_format(code):
            dates.add(index)
    return dates
