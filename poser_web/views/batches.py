"""Batch pages: the list and each batch (master views), reviewing rows,
refresh, execute, remove rows, delete, the kept file and the progress (making a batch:
batch_creation.py)."""
import json

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.response import FileResponse
from sqlalchemy import func, select
from zope.sqlalchemy import mark_changed

from ..auth.permissions import register as register_permission
from ..batch import batch_types, get_handler, runner, workers
from ..batch.handler import BatchError, R, delete_batch, load
from ..batch.store import FileStore, max_upload_bytes
from ..grid.core import Column, Contains
from ..grid.filters import ChoiceFilter
from ..models import Batch, BatchRow
from ..models.batch import STATES, STATUSES
from ..web.attachments import attachment
from ..web.input_guard import allow_uploads
from ..web.numbers import whole_number
from . import batch_access
from .batch_creation import BatchCreation
from .master import UUID_PATTERN, MasterView

ROWS_PER_PAGE = 100


def _labels(values):
    return tuple((value, value.replace("_", " ").capitalize()) for value in values)


class BatchView(BatchCreation, MasterView):
    model = Batch
    route_prefix = "batches"
    url_prefix = "/batches"
    title = "Batch"
    title_plural = "Batches"
    menu = "Batches"
    importable = False  # batches are the framework's bookkeeping, not a table to import

    columns = (
        Column("number", "Number", sort=Batch.number, link="view", numeric=True),
        Column("batch_type", "Type", sort=Batch.batch_type),
        Column("description", "Description", sort=Batch.description),
        Column("state", "State", sort=Batch.state),
        Column("row_count", "Rows", sort=Batch.row_count, numeric=True),
        Column("created_by", "Created by", sort=Batch.created_by),
        Column("created_at", "Created", sort=Batch.created_at),
        Column("executed_at", "Executed", sort=Batch.executed_at),
    )
    search = (Contains(Batch.description), Contains(Batch.source))
    search_placeholder = "Description or file name"
    filters = (ChoiceFilter("state", "State", Batch.state, _labels(STATES), nullable=False),)
    default_sort = "number"
    default_direction = "desc"

    @classmethod
    def include(cls, config):
        # The batch types come with the tables, some included after this view (poser.includes):
        # the type filter is made when the configuration is committed.
        config.action(("poser.batch_filters",), lambda: cls.set_filters(config.registry),
                      order=10)
        url = cls.url_prefix
        # Before the master's /batches/{uuid}, which would match /batches/new.
        config.add_route("batches.create", f"{url}/new")
        cls._add(config, "upload_page", "batches.create", "create", "batch/upload.pt")
        config.add_route("batches.bulk", f"{url}/bulk")
        cls._add(config, "bulk_page", "batches.bulk", "create", "batch/bulk.pt")
        super().include(config)
        for name, path, attr, action, template, method in (
                ("batches.rows", "/{uuid}/rows", "rows_page", "view", "batch/rows.pt", "GET"),
                ("batches.row", "/{uuid}/rows/{sequence:\\d+}", "row_page", "view",
                 "batch/row.pt", "GET"),
                ("batches.progress", "/{uuid}/progress", "progress", "view", "json", "GET"),
                ("batches.file", "/{uuid}/file", "download", "view", None, "GET"),
                ("batches.refresh", "/{uuid}/refresh", "refresh", "create", None, "POST"),
                ("batches.remove_rows", "/{uuid}/rows/remove", "remove_rows", "create", None,
                 "POST"),
                ("batches.execute", "/{uuid}/execute", "execute", "execute", None, "POST"),
                ("batches.delete", "/{uuid}/delete", "delete", "delete", None, "POST")):
            config.add_route(name, url + path)
            if template == "json":
                permission = f"batches.{action}"
                config.add_view(cls, attr=attr, route_name=name, request_method=method,
                                renderer="json", permission=permission)
            else:
                cls._add(config, attr, name, action, template, method)
        register_permission(config, "batches.execute", "Execute batches")
        register_permission(config, batch_access.MANAGE, batch_access.MANAGE_DESCRIPTION)
        allow_uploads(config, max_upload_bytes(config.get_settings()) + 64 * 1024)

    @classmethod
    def set_filters(cls, registry):
        types = batch_types(registry)
        cls.filters = (ChoiceFilter("type", "Type", Batch.batch_type, tuple(
            (key, handler.title) for key, handler in sorted(types.items())), nullable=False),
            ChoiceFilter("state", "State", Batch.state, _labels(STATES), nullable=False))
        cls.__dict__.get("_declared_grid", {}).clear()

    # -- helpers -----------------------------------------------------------------------

    @property
    def store(self):
        return FileStore.from_settings(self.request.registry.settings)

    @property
    def connection(self):
        """The request's connection for Core writes; marked changed, or zope.sqlalchemy
        would roll back a transaction the ORM saw no change in."""
        if "app.dbsession" not in self.request.environ:
            mark_changed(self.db, transaction_manager=self.request.tm)  # not the global one
        return self.db.connection()

    def available_actions(self):
        actions = ["list", "view", "export", "create", "execute", "delete"]
        return [a for a in actions if self.request.has_permission(f"batches.{a}")]

    def get_batch(self):
        uuid = self.request.matchdict["uuid"]
        batch = self.db.get(Batch, uuid) if UUID_PATTERN.match(uuid) else None
        if batch is None:
            raise HTTPNotFound(f"No batch has the key {uuid!r}; it may have been deleted.")
        return batch

    def username(self):
        identity = self.request.identity
        return identity.username if identity else None

    def handler_for(self, batch):
        try:
            return get_handler(self.request.registry, batch.batch_type)
        except LookupError:
            raise HTTPNotFound(f"Batch {batch.number} is of a type this server does not know "
                               f"({batch.batch_type}).") from None

    def batch_context(self, batch, **values):
        handler = self.handler_for(batch)
        counts = json.loads(batch.status_counts or "{}")
        values.setdefault("error", None)
        params = json.loads(batch.params or "{}")
        stopped = self.stopped(batch)
        if batch.state == "executing":
            values["executed_rows"] = self.execute_progress(batch)
        values.setdefault("actions", batch_access.allowed_actions(
            self.request, batch, self.available_actions()))
        return self.page_context(
            instance=batch, batch=batch, handler=handler, counts=counts, statuses=STATUSES,
            editable=batch.state in ("ready", "failed") and params.get("populated"),
            executable=batch.state == "ready" and not counts.get("error"),
            # The link only where the download would be allowed (not a link that answers 403).
            can_download=bool(batch.file_name)
            and batch_access.download_denied(self.request, batch, handler) is None,
            stopped=stopped, counted=_counted(counts), params=params, **values)

    def back_to(self, batch, message=None):
        if message:
            self.flash(message)
        return HTTPSeeOther(self.request.route_url("batches.view", uuid=batch.uuid))

    def refused(self, batch, message, status=409):
        """The batch page again, with why the action was refused."""
        self.db.expire_all()
        self.request.response.status = status
        return render_to_response("poser_web:templates/batch/view.pt",
                                  self.batch_context(batch, error=message), self.request,
                                  response=self.request.response)

    # -- pages ---------------------------------------------------------------------------

    def view_page(self):
        batch = self.get_batch()
        return render_to_response("poser_web:templates/batch/view.pt", self.batch_context(batch),
                                  self.request, response=self.request.response)

    def progress(self):
        batch = self.get_batch()
        done, total = self.execute_progress(batch) if batch.state == "executing" else (
            batch.progress, batch.progress_total)
        answer = {"state": batch.state, "progress": done, "total": total,
                  "rows": batch.row_count, "message": batch.message}
        if batch.state == "executing":
            answer["stopped"] = self.stopped(batch)
        return answer

    def execute_progress(self, batch):
        """(done, total) rows of an execution: counted by this process's worker, else 0 of
        the rows it applies."""
        counted = workers.progress(batch.worker) if batch.worker else None
        if counted is not None and counted[1]:
            return counted
        counts = json.loads(batch.status_counts or "{}")
        return 0, sum(counts.get(s, 0) for s in self.handler_for(batch).executable)

    def download(self):
        batch = self.get_batch()
        denied = batch_access.download_denied(self.request, batch, self.handler_for(batch))
        if denied:
            return self.refused(batch, denied, 403)
        path = self.store.path(batch.file_name) if batch.file_name else None
        if path is None or not path.exists():
            raise HTTPNotFound(f"The file of batch {batch.number} is no longer kept.")
        kind = batch.file_name.rsplit(".", 1)[-1]
        response = FileResponse(str(path), request=self.request, content_type=(
            "text/csv" if kind == "csv" else
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response.content_disposition = attachment(batch.source or f"batch-{batch.number}.{kind}")
        return response

    def rows_page(self):
        batch = self.get_batch()
        handler = self.handler_for(batch)
        status = self.request.GET.get("status", "")
        if status and status not in STATUSES:
            raise HTTPBadRequest(f"Status must be one of {', '.join(STATUSES)}, not {status!r}.")
        page = whole_number(self.request.GET.get("page", "1") or "1", minimum=1)
        if page is None:
            raise HTTPBadRequest("page must be a whole number from 1.")
        query = select(BatchRow).where(BatchRow.batch_uuid == batch.uuid)
        count = select(func.count()).select_from(R).where(R.c.batch_uuid == batch.uuid)
        if status:
            query = query.where(BatchRow.status == status)
            count = count.where(R.c.status == status)
        total = self.db.scalar(count)
        rows = self.db.scalars(query.order_by(BatchRow.sequence)
                               .offset((page - 1) * ROWS_PER_PAGE).limit(ROWS_PER_PAGE)).all()
        pages = max((total + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE, 1)
        return self.batch_context(batch, rows=rows, status=status, page=page, pages=pages,
                                  total=total, summary=handler.row_summary)

    def row_page(self):
        batch = self.get_batch()
        sequence = whole_number(self.request.matchdict["sequence"])
        row = self.db.get(BatchRow, (batch.uuid, sequence)) if sequence is not None else None
        if row is None:
            raise HTTPNotFound(f"Batch {batch.number} has no row "
                               f"{self.request.matchdict['sequence']}.")
        handler = self.handler_for(batch)
        return self.batch_context(batch, row=row, sections=handler.describe_row(row),
                                  summary=handler.row_summary(row))

    def refresh(self):
        batch = self.get_batch()
        denied = batch_access.denied(self.request, batch, "refresh")
        if denied:
            return self.refused(batch, denied, 403)
        try:
            counts = self.handler_for(batch).refresh(self.connection, batch.uuid)
        except BatchError as error:
            return self.refused(batch, str(error))
        return self.back_to(batch, f"Refreshed batch {batch.number} against the current data: "
                                   f"{_counted(counts)}.")

    def remove_rows(self, ):
        batch = self.get_batch()
        denied = batch_access.denied(self.request, batch, "remove rows of")
        if denied:
            return self.refused(batch, denied, 403)
        sequences = [n for n in map(whole_number, self.request.POST.getall("row")) if n is not None]
        if not sequences:
            return self.refused(batch, "Select the rows to remove first.", 400)
        try:
            self.handler_for(batch).remove_rows(self.connection, batch.uuid, sequences)
        except BatchError as error:
            return self.refused(batch, str(error))
        return self.back_to(batch, f"Removed {len(sequences)} row{'s' if len(sequences) != 1 else ''}"
                                   f" from batch {batch.number}.")

    def execute(self):
        """Claim the batch and apply it in a background thread (one transaction), then the
        batch page shows the progress and the outcome. With a test's own session (which no
        other connection sees) it is applied inline."""
        batch = self.get_batch()
        handler = self.handler_for(batch)
        needed = sorted(p for p in handler.execute_permissions(self.db.connection(),
                                                              load(self.db.connection(), batch.uuid))
                        if not self.request.has_permission(p))
        if needed:
            return self.refused(batch, f"Executing this batch needs the {', '.join(needed)} "
                                       f"permission{'s' if len(needed) != 1 else ''} too; nothing "
                                       "was executed.", 403)
        denied = batch_access.denied(self.request, batch, "execute")
        if denied:
            return self.refused(batch, denied, 403)
        connection = self.connection
        stopped = batch.worker if self.stopped(batch) else None
        if "app.dbsession" in self.request.environ:
            try:
                handler.execute(connection, batch.uuid, self.username(), stopped=stopped)
            except BatchError as error:
                return self.refused(batch, str(error))
            self.db.expire_all()
            return self.back_to(batch)
        worker = workers.new_name()
        try:
            handler.claim(connection, batch.uuid, worker=worker, stopped=stopped)
        except BatchError as error:
            return self.refused(batch, str(error))
        workers.register(worker)
        engine, username, uuid = self.request.registry["db_engine"], self.username(), batch.uuid

        def start(committed):
            if committed:
                runner.execute_in_background(engine, handler, uuid, username, worker)
            else:
                workers.unregister(worker)

        self.request.tm.get().addAfterCommitHook(start)
        return self.back_to(batch)

    def stopped(self, batch):
        """The batch is executing, but its worker process has stopped (nothing was applied)."""
        return batch.state == "executing" and workers.stopped(self.db.connection(),
                                                              batch.worker, batch.number)

    def delete(self):
        batch = self.get_batch()
        denied = batch_access.denied(self.request, batch, "delete")
        if denied:
            return self.refused(batch, denied, 403)
        number = batch.number
        try:
            delete_batch(self.connection, batch.uuid, self.store)
        except BatchError as error:
            return self.refused(batch, str(error))
        self.db.expire_all()
        self.flash(f"Deleted batch {number} with its rows and file.")
        return HTTPSeeOther(self.request.route_url("batches"))


def _counted(counts):
    return ", ".join(f"{counts[s]:,} {s}" for s in STATUSES if counts.get(s)) or "no rows"


def includeme(config):
    BatchView.include(config)
