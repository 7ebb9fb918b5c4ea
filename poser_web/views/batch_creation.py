"""Making a batch: from an uploaded file (read inline when small, else in the background)
or from the records a list search matches (bulk changes). A mixin of views/batches.py's
BatchView, which gives it the connection, the file store, the user's name and the pages."""
import os

from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPSeeOther
from sqlalchemy import func, select

from ..batch import batch_types, files, runner
from ..batch.files import FileRefused
from ..batch.handler import load
from ..batch.store import TooLarge, max_upload_bytes
from ..grid.core import GridError
from ..models import new_uuid
from ..web.transaction import release_database
from .master import UUID_PATTERN

# Files up to this size are read inside the upload request; bigger ones in the background.
DEFAULT_INLINE_BYTES = 1 << 20
MAX_SELECTED = 1000


class BatchCreation:
    def upload_page(self):
        key = self.request.params.get("type", "")
        handler = batch_types(self.request.registry).get(key)
        if handler is None or not handler.from_file:
            known = ", ".join(k for k, h in sorted(batch_types(self.request.registry).items())
                              if h.from_file)
            raise HTTPBadRequest(f"No batch type {key!r} is made from a file (types: {known}).")
        spec = handler.spec
        if not (self.request.has_permission(spec.permission("create"))
                or self.request.has_permission(spec.permission("edit"))):
            raise HTTPForbidden(f"Importing {spec.title_plural.lower()} needs the "
                                f"{spec.permission('create')} or {spec.permission('edit')} "
                                "permission.")
        limit = max_upload_bytes(self.request.registry.settings)
        context = dict(handler=handler, limit_mb=limit / (1024 * 1024), error=None,
                       description=self.request.POST.get("description", "") if
                       self.request.method == "POST" else "")
        if self.request.method != "POST":
            return self.page_context(**context)

        def refuse(message, status=400):
            self.request.response.status = status
            return self.page_context(**{**context, "error": message})

        if (self.request.content_length or 0) > limit + 64 * 1024:
            return refuse(f"The file is larger than the limit of {context['limit_mb']:g} MB.", 413)
        upload = self.request.POST.get("file")
        if upload is None or not hasattr(upload, "file") or not upload.filename:
            return refuse("Choose a file to upload.")
        name = os.path.basename(upload.filename.replace("\\", "/"))[:255]
        release_database(self.request)  # keeping and checking the file hold no database lock
        store = self.store
        temporary = f"upload-{new_uuid()}.tmp"
        try:
            store.save(upload.file, temporary, limit)
        except TooLarge:
            return refuse(f"The file is larger than the limit of {context['limit_mb']:g} MB.",
                          413)
        path = store.path(temporary)
        try:
            checked = files.inspect(str(path), name, handler.layout, budget=files.CHECK_SECONDS)
            description = self.request.POST.get("description", "").strip()[:255] or None
            params = {"delete_missing": self.request.POST.get("delete_missing") == "true"}
            uuid, kind = runner.create_from_file(self.connection, handler, str(path), name,
                                                 self.username(), store, params, description,
                                                 move=True, kind=checked.kind)
        except FileRefused as error:
            return refuse(f"“{name}” cannot be imported: {error}")
        finally:
            store.delete(temporary)
        inline = int(self.request.registry.settings.get("poser.batch_inline_bytes")
                     or DEFAULT_INLINE_BYTES)
        # Inline only what was read to the end already and is small (XLSX: unzipped).
        if (checked.work is not None and checked.work <= inline) or \
                "app.dbsession" in self.request.environ:
            failure = runner.populate(self.connection, handler, uuid, store)
            self.flash(failure or f"Made the batch from “{name}”: review it, then execute it.")
        else:
            engine = self.request.registry["db_engine"]

            def start(committed):
                if committed:
                    runner.populate_in_background(engine, handler, uuid, store)

            self.request.tm.get().addAfterCommitHook(start)
            self.flash(f"Reading “{name}” into a batch: this page shows the progress.")
        return HTTPSeeOther(self.request.route_url("batches.view", uuid=uuid))

    def bulk_page(self):
        """Every record a list search matches, with one action, made into a batch to review."""
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        key = params.get("type", "")
        handler = batch_types(self.request.registry).get(key)
        if handler is None or not getattr(handler, "actions", None):
            raise HTTPBadRequest(f"No batch type {key!r} changes records in bulk.")
        lister = handler.spec.view(self.request)
        if not self.request.has_permission(lister.permission_name("list")):
            raise HTTPForbidden(f"Listing {lister.title_plural.lower()} needs the "
                                f"{lister.permission_name('list')} permission.")
        grid = lister.make_grid()
        try:
            state = grid.parse(params)
        except GridError as error:
            raise HTTPBadRequest(str(error)) from None
        search = {name: value for name, value in
                  [("q", state.q), *state.filters.items()] if value}
        keys = grid.filtered(state).with_only_columns(grid.key)
        # Rows ticked on the list (uuid=...&uuid=...): only those of the search.
        selected = [key for key in params.getall("uuid") if UUID_PATTERN.match(key)]
        if len(selected) > MAX_SELECTED:
            raise HTTPBadRequest(f"At most {MAX_SELECTED:,} rows can be selected; use the "
                                 "search to pick more.")
        if selected:
            keys = keys.where(grid.key.in_(selected))
            search["uuid"] = selected
        count = self.db.scalar(select(func.count()).select_from(keys.subquery()))
        allowed = [(name, action.label) for name, action in handler.actions.items()
                   if self.request.has_permission(handler.permission_for(name))]
        context = dict(handler=handler, lister=lister, count=count, search=search,
                       allowed=allowed, error=None)
        if self.request.method != "POST":
            return self.page_context(**context)
        action = params.get("action")
        if action not in handler.actions:
            self.request.response.status = 400
            return self.page_context(**{**context, "error": "Choose what to do."})
        if action not in dict(allowed):
            self.request.response.status = 403
            return self.page_context(**{**context, "error": (
                f"“{handler.actions[action].label}” needs the {handler.permission_for(action)} "
                "permission.")})
        if not count:
            self.request.response.status = 400
            return self.page_context(**{**context, "error": "No records match this search."})
        described = ", ".join(f"{k} {v!r}" if k != "uuid" else f"{len(v)} selected"
                              for k, v in search.items()) or "all"
        connection = self.connection
        uuid = handler.create(connection, f"{handler.actions[action].label}: {count:,} "
                                          f"{lister.title_plural.lower()} ({described})",
                              self.username(), source=f"{lister.title_plural} search",
                              params={"action": action, "search": search})

        def chunks():
            last = ""
            while True:
                found = connection.execute(keys.where(grid.key > last).order_by(grid.key)
                                           .limit(1000)).scalars().all()
                if not found:
                    return
                yield found
                last = found[-1]

        batch = load(connection, uuid)
        handler.populate_keys(connection, batch, chunks())
        handler.finish_populate(connection, uuid)
        self.flash(f"Made a batch of {count:,} {lister.title_plural.lower()}: review it, "
                   "then execute it.")
        return HTTPSeeOther(self.request.route_url("batches.view", uuid=uuid))
