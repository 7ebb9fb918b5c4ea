"""The zip and its XML parts, each read within `Limits`: members counted before the zip is
opened, unzipped bytes counted (whatever the directory declares), time watched, and XML
parsed by expat with DOCTYPEs refused."""
import time
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    rows: int = 1_048_576  # Excel's own last row
    columns: int = 256  # valued cells beyond column IV are refused
    cells: int = 20_000_000  # valued cells in the sheet
    string_chars: int = 32_767  # Excel's own limit for one cell
    shared_strings: int = 2_000_000
    shared_chars: int = 64_000_000  # all shared strings together (kept in memory)
    part_bytes: int = 1 << 30  # the unzipped XML of the sheet or the shared strings
    small_part_bytes: int = 16 << 20  # the workbook, its relationships, its styles
    entries: int = 10_000  # members of the zip
    seconds: float = 600.0  # the whole read


class XlsxRefused(Exception):
    """The workbook cannot be read within the limits, or is not a workbook; `line` is the
    sheet's row number when the problem is in one."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


def local_name(name):
    """An element or attribute name without its namespace (parsed with "}" as separator)."""
    return name.rsplit("}", 1)[-1]


def _entries(path):
    """The member count the zip's end record gives, read before anything else of it."""
    with open(path, "rb") as stream:
        end = zipfile._EndRecData(stream)
    if end is None:
        raise XlsxRefused("it is not a zip archive, as an .xlsx file is")
    return end[zipfile._ECD_ENTRIES_TOTAL]


class Workbook:
    """An open XLSX archive, every part read through `parse` within `limits`."""

    def __init__(self, path, limits=Limits(), deadline=None):
        self.limits = limits
        self.deadline = deadline or time.monotonic() + limits.seconds
        self.bytes_read = 0  # unzipped XML, all parts together
        if _entries(path) > limits.entries:
            raise XlsxRefused(f"it holds more than {limits.entries:,} files inside; a workbook "
                              "holds a few dozen")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise XlsxRefused(f"it is not a readable XLSX workbook ({error})") from None

    def close(self):
        self.zip.close()

    def has(self, name):
        return name in self.zip.NameToInfo

    def chunks(self, name, limit=None):
        """The unzipped bytes of part `name`, a chunk at a time, refused past `limit` bytes
        (whatever the zip's directory declares) or past the deadline."""
        limit = limit or self.limits.small_part_bytes
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise XlsxRefused(f"it has no part {name}") from None
        if info.file_size > limit:
            raise XlsxRefused(f"its part {name} unzips to {info.file_size:,} bytes, more than "
                              f"the {limit:,} allowed")
        size = 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    self.bytes_read += len(chunk)
                    if size > limit:
                        raise XlsxRefused(f"its part {name} unzips to more than the {limit:,} "
                                          "bytes allowed")
                    if time.monotonic() > self.deadline:
                        raise XlsxRefused("reading it took longer than the "
                                          f"{self.limits.seconds:g} seconds allowed")
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
                OSError) as error:
            raise XlsxRefused(f"its part {name} cannot be unzipped ({error})") from None

    def parse(self, name, start=None, end=None, text=None, limit=None):
        """Feed part `name` to expat with these handlers; yields after each chunk, so a
        caller may take what the handlers gathered. Refuses a DOCTYPE and malformed XML."""
        parser = _parser(name)
        parser.StartElementHandler, parser.EndElementHandler = start, end
        parser.CharacterDataHandler = text
        try:
            for chunk in self.chunks(name, limit):
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
            yield
        except expat.ExpatError as error:
            raise XlsxRefused(f"its part {name} is not well-formed XML "
                              f"({expat.ErrorString(error.code)}, line {error.lineno}, "
                              f"column {error.offset})") from None

    def parse_all(self, name, **handlers):
        for _ in self.parse(name, **handlers):
            pass


def _parser(name):
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(*args):
        raise XlsxRefused(f"its part {name} declares a DOCTYPE, which no spreadsheet writes "
                          "(it could declare entities that expand without end)")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    return parser
