"""Hand-made XLSX files for the reader's tests: any sheet XML, shared strings and parts, so a
file can claim or hold what no spreadsheet program would write."""
import io
import zipfile

HEADER = ("type", "uuid", "description", "active", "item_code")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

PACKAGE_RELS = (f'<?xml version="1.0"?><Relationships xmlns="{RELATIONSHIPS}">'
                f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
            '<sheet name="Widgets" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (f'<?xml version="1.0"?><Relationships xmlns="{RELATIONSHIPS}">'
                 f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" '
                 'Target="worksheets/sheet1.xml"/>'
                 f'<Relationship Id="rId2" Type="{OFFICE}/sharedStrings" '
                 'Target="sharedStrings.xml"/></Relationships>')


def cell(reference, text):
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number, values):
    return (f'<row r="{number}">' + "".join(
        cell(f"{'ABCDEFGH'[i]}{number}", value) for i, value in enumerate(values) if value)
        + "</row>")


def header_row():
    return row(1, HEADER)


def sheet(rows_xml, before=""):
    return (f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">{before}<sheetData>{rows_xml}'
            '</sheetData></worksheet>')


def workbook(sheet_xml, shared_xml=None, parts=None, workbook_xml=WORKBOOK):
    """The bytes of an .xlsx file with this sheet (and shared strings, and any other parts)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", workbook_xml)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_xml is not None:
            archive.writestr("xl/sharedStrings.xml", shared_xml)
        for name, data in (parts or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def huge_shared_string(characters):
    """A workbook whose one shared string is `characters` long (a few hundred KB zipped)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet(
            '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'))
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}"><si><t>'.encode())
            chunk = b"a" * (1 << 20)
            for _ in range(characters // len(chunk)):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return out.getvalue()


def widgets(count, last_row=""):
    """A plain workbook of `count` new widgets, then `last_row` (sheet XML)."""
    rows = "".join(row(n, ("widget", "", f"Widget number {n}", "true"))
                   for n in range(2, count + 2))
    return workbook(sheet(header_row() + rows + last_row))


def _laughs():
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]>'
            f'<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>')


BILLION_LAUGHS = _laughs()  # shared strings expanding to 3 GB of "lol"
XXE = (f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       f'<worksheet xmlns="{MAIN}"><sheetData>{header_row()}'
       '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')
