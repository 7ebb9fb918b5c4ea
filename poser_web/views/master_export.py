"""MasterView's downloads: the list's rows (every page) as CSV or XLSX, and its records in
the table's import file layout, streamed from a session that outlives the request's
transaction."""
import io
from contextlib import contextmanager

from pyramid.httpexceptions import HTTPBadRequest
from sqlalchemy.orm import Session

from ..display.values import display_timezone
from ..grid import DEFAULT_PAGE_SIZE
from ..grid.downloads import XLSX_MAX_ROWS, csv_chunks, xlsx_chunks
from ..models import utcnow
from ..transfer.exporter import export_chunks
from ..transfer.reading import writer


class ExportPages:
    """The export pages of a MasterView (a mixin, like ListPages)."""

    def export_file(self):
        """The list's rows (every page) as CSV or XLSX, streamed as they are read."""
        grid, state = self.grid_and_state()
        file_format = self.request.matchdict["format"]
        if file_format == "xlsx" and not grid.count(self.db, state, limit=XLSX_MAX_ROWS)[1]:
            raise HTTPBadRequest(f"More than {XLSX_MAX_ROWS:,} rows: too many for a spreadsheet. "
                                 "Download CSV instead, or narrow the search.")
        chunks = (csv_chunks if file_format == "csv" else xlsx_chunks)(
            self._export_session, grid, state, zone=display_timezone(self.request))
        response = self.request.response
        response.content_type = ("text/csv" if file_format == "csv" else
                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if file_format == "csv":
            response.charset = "utf-8"
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        response.content_disposition = (
            f'attachment; filename="{self.route_prefix}-{stamp}.{file_format}"')
        response.app_iter = chunks
        return response

    @contextmanager
    def _export_session(self):
        """A session for streaming after the request's transaction has ended."""
        shared = self.request.environ.get("app.dbsession")  # tests: their rolled-back one
        if shared is not None:
            yield shared
            return
        with Session(bind=self.request.registry["db_engine"]) as session:
            yield session

    def export_for_import(self):
        """The list's records (its search and filters, every page) in the table's import file
        layout, streamed: what "Import file" reads back."""
        grid, state = self.grid_and_state()
        spec = self.table_spec()
        keys = grid.filtered(state).with_only_columns(grid.key)
        response = self.request.response
        response.content_type, response.charset = "text/csv", "utf-8"
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        response.content_disposition = (
            f'attachment; filename="{self.route_prefix}-for-import-{stamp}.csv"')
        response.app_iter = self._import_layout_chunks(spec, keys)
        return response

    def _import_layout_chunks(self, spec, keys):
        """The file as UTF-8 bytes, a chunk of records at a time, from a session of its own."""
        buffer = io.StringIO()
        out = writer(buffer)
        with self._export_session() as session:
            for lines in export_chunks(session.connection(), spec, keys=keys):
                out.writerows(lines)
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()

    def export_url(self, state, file_format):
        """The export of exactly what the list shows (all pages): csv, xlsx, or "import" (the
        table's import file layout)."""
        # The list shows three export links of one state: its query is worked out once.
        if "_export_query" not in self.__dict__:
            self._export_query = self.list_query(state, page=1, per_page=DEFAULT_PAGE_SIZE)
        query = self._export_query
        if file_format == "import":
            return self.route("export_import", **query)
        return self.route("export", format=file_format, **query)
