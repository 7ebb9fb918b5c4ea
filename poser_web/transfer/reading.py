"""Reading a transfer file's rows: UTF-8 CSV decoded in C, each row with the line it starts on,
the first bad line reported (`LayoutError`) whatever is wrong with it."""
import codecs
import csv
import io

# Line ends written on export (import accepts \r\n too).
LINE_END = "\n"


def writer(text_stream):
    return csv.writer(text_stream, lineterminator=LINE_END)


class LayoutError(Exception):
    """A file that does not follow the layout: `line` (1-based) and `reason`."""

    def __init__(self, line, reason):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def count_lines(binary_stream):
    """Physical lines in a seekable file (for progress), leaving it at its start."""
    count, last = 0, b""
    for chunk in iter(lambda: binary_stream.read(1 << 20), b""):
        count += chunk.count(b"\n")
        last = chunk
    binary_stream.seek(0)
    return count + (1 if last and not last.endswith(b"\n") else 0)


def decoded_lines(binary_stream, skip):
    """Lines decoded one by one after the first `skip` (slow: for files with bad bytes)."""
    for number, raw in enumerate(binary_stream, 1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LayoutError(number, f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                                      f"{error.start + 1}); save the file as UTF-8") from None
        if number > skip:
            yield line


class Reader:
    """Rows of a binary file, decoded and split, each with the line it starts on.

    Decoding is done in C by a TextIOWrapper, which decodes ahead of the rows read; when it
    meets bytes that are not UTF-8, reading goes on line by line from the row it was at, so
    the first bad line is still the one reported, whatever is wrong with it.
    """

    def __init__(self, binary_stream):
        self._binary = binary_stream
        self._text = io.TextIOWrapper(binary_stream, encoding="utf-8-sig", newline="")
        self._csv = csv.reader(self._text, strict=True)
        self._offset = 0  # lines before the ones self._csv reads
        self._rows = self._generate()

    def __iter__(self):
        """(line, fields) of each row that is not blank; line: where the row starts."""
        return self._rows

    def _generate(self):
        while True:
            reader, offset = self._csv, self._offset
            last = reader.line_num
            try:
                for fields in reader:
                    start, last = offset + last + 1, reader.line_num
                    if fields:  # blank lines are skipped
                        yield start, fields
                self.detach()
                return
            except csv.Error as error:
                raise LayoutError(offset + last + 1, f"not valid CSV: {error}") from None
            except UnicodeDecodeError:
                self._read_slowly_from(offset + last + 1)

    def _read_slowly_from(self, line):
        binary = self.detach()
        binary.seek(0)
        self._csv = csv.reader(decoded_lines(binary, line - 1), strict=True)
        self._offset = line - 1

    def detach(self):
        """Give the binary file back (the wrapper must not close it)."""
        if self._text is not None:
            self._text.detach()
            self._text = None
        return self._binary
