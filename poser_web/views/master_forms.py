"""The form side of MasterView: create, edit and delete pages, the foreign-key lookup.

Mixed into MasterView (views/master.py). The schema comes from `schema` or is
derived from `form_fields` / `inlines` (forms/derive.py); `bound_schema` adds the
CSRF token and, for a Versioned model, the version.
"""
from functools import cache

import colander
import deform
from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from sqlalchemy import inspect, null
from sqlalchemy.exc import IntegrityError

from ..display.labels import label_of, model_title
from ..display.values import display_timezone
from ..forms import bind_form_schema, bound_schema, form_of, form_schema
from ..forms.binding import copied
from ..forms.derive import derived_schema, is_relation, lookup_matches
from ..forms.posted import validated
from ..forms.rules import field_of
from ..models.violations import explain, referrers, refusable_change

# Beside Save, as Django's admin has them: back to a new form, or on with this one.
FORM_BUTTONS = (("save", "Save"), ("save_add", "Save and add another"),
                ("save_continue", "Save and continue editing"))


@cache  # a model's columns do not change while the app runs
def _columns(model):
    """Keys of the column attributes of `model`."""
    return frozenset(c.key for c in inspect(model).column_attrs)


def _foreign_key(model, relationship_name):
    """The key attribute behind a many-to-one relationship (widget -> widget_uuid)."""
    mapper = inspect(model)
    [column] = mapper.relationships[relationship_name].local_columns
    return mapper.get_property_by_column(column).key


def _written(instance, name, value):
    """`value` as set on `instance`: a field left blank on a new record is NULL, even
    where the column has a default (the ORM would put the default in for a None)."""
    if value is None and not inspect(instance).has_identity:
        column = inspect(type(instance)).column_attrs[name].columns[0]
        if column.default is not None or column.server_default is not None:
            return null()
    return value


# Values compared before they are written: equal ones of these types are the same value.
_PLAIN = frozenset((str, bool, int, type(None)))


def _set(instance, name, value):
    """Set `name` unless it already holds this very value: an attribute set to what it holds
    still marks the record changed, so every unchanged inline row went through the flush (its
    history diffed, its version checked) on every save."""
    if type(value) in _PLAIN and name in instance.__dict__:
        current = instance.__dict__[name]
        if type(current) is type(value) and current == value:
            return
    setattr(instance, name, value)


def _shown(appstruct):
    """Validated values as a form shows them again (None is a blank field)."""
    return {name: [_shown(row) for row in value] if isinstance(value, list) else value
            for name, value in appstruct.items() if value is not None}


class FormPages:
    """create / edit / delete pages and the lookup route of a MasterView."""

    def get_schema(self):
        """The form's colander schema (CSRF and version nodes are bound_schema's business)."""
        if self.schema is not None:
            return self.schema()
        return derived_schema(self.model, self.form_fields or (), self.derived_inlines(),
                              self.request, lookup_url=self.lookup_url)

    def bound_form_schema(self, instance):
        """The form's schema bound to this request (CSRF token, version, rules: forms.form_schema).

        A `schema = staticmethod(...)` is built without a request (README), so it is built and
        prepared once per class and each request binds a copy: building it was a tenth of a
        form page's own work. A derived schema reads the request (related rows to choose from),
        and an overridden `get_schema` may: those are built for every request.
        """
        template = self._schema_template()
        if template is None:
            return bound_schema(self.get_schema(), self.request, instance=instance,
                                model=self.model, record_url=self.record_url)
        return bind_form_schema(copied(template), self.request, instance=instance,
                                record_url=self.record_url)

    @classmethod
    def _schema_template(cls):
        """The prepared schema of the class's static `schema`, or None when there is none."""
        declared = next((c.__dict__["schema"] for c in cls.__mro__ if "schema" in c.__dict__), None)
        made = cls.__dict__.get("_made_schema")
        if made is None or made[0] is not declared:  # made for the `schema` in place now
            static = isinstance(declared, staticmethod) and cls.get_schema is FormPages.get_schema
            template = form_schema(declared.__func__(), cls.model) if static else None
            made = cls._made_schema = (declared, template)
        return made[1]

    def derived_inlines(self):
        return {name: fields for name, fields in self.inlines.items()
                if isinstance(fields, (tuple, list))}

    def lookup_url(self, field):
        return self.request.route_url(f"{self.route_prefix}.lookup", field=field)

    def to_appstruct(self, instance, schema=None):
        """Form values for an existing instance, inline rows included.

        Empty (None) values are left out: the form shows them blank.
        """
        schema = schema if schema is not None else self.get_schema()
        appstruct = {}
        for node in schema.children:
            if node.name in self.inlines:
                row_names = [child.name for child in node.children[0].children]
                appstruct[node.name] = [
                    {name: value for name in row_names
                     if (value := getattr(row, name)) is not None}
                    for row in getattr(instance, node.name)
                ]
            elif is_relation(self.model, node.name):
                key = _foreign_key(self.model, node.name)
                if getattr(instance, key) is not None:
                    appstruct[node.name] = getattr(instance, key)
            elif hasattr(self.model, node.name) and getattr(instance, node.name) is not None:
                appstruct[node.name] = getattr(instance, node.name)
        return appstruct

    def objectify(self, appstruct, instance):
        """Copy validated form values onto `instance`.

        Inline rows are updated in place by uuid: changed rows updated, new rows
        inserted, missing rows deleted (delete-orphan) — keys never churn.
        """
        columns = _columns(self.model)
        for name, value in appstruct.items():
            if name in self.inlines:
                self._update_rows(instance, name, value)
            elif is_relation(self.model, name):
                # The key column and the relationship both: history sees the key
                # change at this flush, pages the related row right away.
                setattr(instance, _foreign_key(self.model, name), value)
                target = inspect(self.model).relationships[name].mapper.class_
                setattr(instance, name, self.db.get(target, value) if value else None)
            elif name in columns and name not in ("uuid", "version"):
                _set(instance, name, _written(instance, name, value))
        return instance

    def _update_rows(self, instance, name, rows):
        row_model = inspect(self.model).relationships[name].mapper.class_
        current = getattr(instance, name)
        existing = {row.uuid: row for row in current}
        row_columns = _columns(row_model)
        kept = []
        for values in rows:
            row = existing.get(values.get("uuid")) or row_model()
            for key, value in values.items():
                if key in row_columns and key != "uuid":
                    _set(row, key, value)
            kept.append(row)
        # The same rows in the same order: replacing the list would mark the record changed.
        if len(kept) != len(current) or any(a is not b for a, b in zip(kept, current)):
            setattr(instance, name, kept)

    def create_page(self):
        return self._form_page(None)

    def edit_page(self):
        return self._form_page(self.get_instance(rows=self.inlines))

    def _form_page(self, instance):
        schema = self.bound_form_schema(instance)

        def form():
            return form_of(schema, buttons=FORM_BUTTONS, formid="master-form")

        # Cancel (beside Save) goes back to where the form was opened from: the record or the list.
        cancel = {"cancel_url": self.route("view", instance) if instance is not None else self.route()}
        if self.request.method != "POST":
            appstruct = self.to_appstruct(instance, schema) if instance is not None else {}
            if instance is not None and "version" in schema:
                appstruct["version"] = instance.version
            return self.page_context(instance=instance, form=form().render(appstruct, **cancel),
                                      conflict=None)
        controls = list(self.request.POST.items())
        # A form without errors is read without deform's fields (forms/posted.py); any error,
        # and the pages below that show the form again, take deform's way.
        posted = validated(schema, controls)

        checked = None  # the deform form that validated the post, once there is one

        def validated_form():
            nonlocal checked
            if checked is None:
                checked = form()
                checked.validate(controls)
            return checked

        if posted is None:
            checked = form()
            try:
                appstruct = checked.validate(controls)
            except deform.ValidationFailure as failure:
                return self._refused(instance, failure.render(**cancel))
        else:
            appstruct = posted[1]
        conflict = self.version_conflict(instance, appstruct.get("version"))
        if conflict:
            self.request.response.status = 409
            return self.page_context(instance=instance,
                                      form=validated_form().render(_shown(appstruct), **cancel),
                                      conflict=conflict, fields=self.view_fields(instance))
        try:
            saved = self.save(appstruct, instance)
        except IntegrityError as error:  # a rule only the database knew, or a race
            return self._refused(instance, self.refusal(validated_form(), error).render(**cancel))
        return self._after_save(saved, created=instance is None)

    def save(self, appstruct, instance):
        """Write the form's values (a new record when `instance` is None). A write the database
        could refuse goes in a SAVEPOINT, so a refusal leaves nothing behind and the form says
        why; one it cannot refuse (see `refusable`) skips the SAVEPOINT and its RELEASE, which
        were a tenth of a save."""
        if not self.refusable(appstruct, instance):
            return self._write(appstruct, instance)
        with self.db.begin_nested():
            return self._write(appstruct, instance)

    def _write(self, appstruct, instance):
        record = instance if instance is not None else self.model()
        if instance is None:
            self.db.add(record)
        with self.db.no_autoflush:  # one flush: one recorded change per save
            self.objectify(appstruct, record)
        self.db.flush()
        return record

    def refusable(self, appstruct, instance):
        """Whether the database could refuse saving `appstruct` (an IntegrityError): a new
        record, inline rows added or removed, a changed value of a column a constraint covers
        (models.violations.refusable_keys), a None for a NOT NULL column. Yes too when this
        class writes its own way (its own `objectify`)."""
        if instance is None or type(self).objectify is not FormPages.objectify:
            return True
        columns = _columns(self.model)
        for name, value in appstruct.items():
            if name in self.inlines:
                refused = self._refusable_rows(getattr(instance, name), value)
            elif is_relation(self.model, name):
                refused = value != getattr(instance, _foreign_key(self.model, name))
            else:
                refused = (name in columns and name not in ("uuid", "version")
                           and refusable_change(instance, name, value))
            if refused:
                return True
        return False

    @staticmethod
    def _refusable_rows(current, rows):
        """Whether saving posted `rows` over the `current` ones (see _update_rows) could be
        refused: a row added or removed (an INSERT, a DELETE), or a refusable change to one."""
        if [values.get("uuid") for values in rows] != [row.uuid for row in current]:
            return True
        for row, values in zip(current, rows):
            columns = _columns(type(row))
            if any(refusable_change(row, key, value) for key, value in values.items()
                   if key in columns and key != "uuid"):
                return True
        return False

    def _refused(self, instance, rendered_form):
        self.request.response.status = 400
        return self.page_context(instance=instance, form=rendered_form, conflict=None)

    def refusal(self, form, error):
        """The form with what the database refused said at the field (or atop the form)."""
        violation = explain(error, self.model)
        failure = colander.Invalid(form.schema, None)
        fields = [f for f in (field_of(self.model, k, form.schema) for k in violation.keys) if f]
        if fields:
            failure[fields[0]] = violation.message
        else:
            failure.msg = violation.message
        form.widget.handle_error(form, failure)
        return deform.ValidationFailure(form, form.cstruct, failure)

    def _after_save(self, instance, created):
        """The flash message, then the page the pressed button asks for."""
        self.flash(f"{'Created' if created else 'Saved'} {self.title.lower()} “{self.label(instance)}”.")
        pressed = next((name for name, _ in FORM_BUTTONS if name in self.request.POST), "save")
        if pressed == "save_add":
            return HTTPSeeOther(self.route("create"))
        if pressed == "save_continue":
            return HTTPSeeOther(self.route("edit", instance))
        return HTTPSeeOther(self.route("view", instance))

    def lookup(self):
        """JSON matches for a picker: {"results": [{"value", "label"}], "more": bool}.

        For the fields of this table's form that point at another table (needs the right
        to create or edit here) and for the list's record filters (the right to list).
        """
        prefix, field = self.route_prefix, self.request.matchdict["field"]
        target = None
        if field in (self.form_fields or ()) and is_relation(self.model, field) and (
                self.request.has_permission(f"{prefix}.create")
                or self.request.has_permission(f"{prefix}.edit")):
            target = inspect(self.model).relationships[field].mapper.class_
        elif self.request.has_permission(f"{prefix}.list"):
            target = self.filtered_record(field)
        elif field in (self.form_fields or ()) or self.filtered_record(field) is not None:
            raise HTTPForbidden("You may not see these records.")
        if target is None:
            raise HTTPNotFound(f"No field {field!r} to look up.")
        query = self.request.GET.get("q", "")
        if not isinstance(query, str) or len(query) > 100:
            raise HTTPBadRequest("q: at most 100 characters.")
        return lookup_matches(self.db, target, query.strip())

    def filtered_record(self, key):
        """The model the list's record filter `key` chooses from, or None."""
        filters = self.declared_grid(display_timezone(self.request))[2]
        return next((f.related for f in filters if f.key == key and f.widget == "record"), None)

    def version_conflict(self, instance, submitted_version):
        """A message when `instance` was saved by someone else since the page was opened."""
        current = getattr(instance, "version", None)
        if instance is None or current is None or submitted_version == current:
            return None
        if submitted_version is None:
            return "This form did not say which version it was based on; nothing was saved."
        return (f"Someone else saved this {self.title.lower()} after you opened the page "
                f"(you had version {submitted_version}; it is now version {current}). "
                "Nothing of yours was saved.")

    def delete_page(self):
        instance = self.get_instance()
        if self.request.method == "POST":
            submitted = self.request.POST.get("version")
            conflict = self.version_conflict(
                instance, int(submitted) if submitted and submitted.isascii() and submitted.isdigit() else None)
            if conflict:
                self.request.response.status = 409
                return self.page_context(instance=instance, conflict=conflict, refused=None,
                                         summary=self.delete_summary(instance))
            name = self.label(instance)
            try:
                with self.db.begin_nested():  # a refused delete leaves the transaction usable
                    self.db.delete(instance)
                    self.db.flush()
            except IntegrityError as error:
                # Another table's foreign key still points at it (e.g. a gizmo's widget).
                self.request.response.status = 409
                return self.page_context(instance=instance, summary=self.delete_summary(instance),
                                         conflict=None, refused=self.refused_delete(instance, error))
            message = f"Deleted {self.title.lower()} “{name}”."
            if "history" in self.available_actions():
                message += " Its history stays readable under Recent changes."
            self.flash(message)
            return HTTPSeeOther(self.route())
        return self.page_context(instance=instance, summary=self.delete_summary(instance),
                                 conflict=None, refused=None)

    def refused_delete(self, instance, error):
        """Why the database kept `instance`: {"message", "referrers": [(what, [(label, url)])]}."""
        key = inspect(instance).identity[0]
        found = referrers(self.db, self.model, [key])
        if not found:
            return {"message": explain(error, self.model).message, "referrers": []}
        listed = []
        for entry in found:
            what = (f"{entry.count:,} {entry.title_plural}" if entry.count != 1
                    else f"1 {model_title(entry.model).lower()}")
            more = entry.count - len(entry.records)
            listed.append((what, [(label_of(r), self.record_url(r)) for r in entry.records],
                           f"and {more:,} more" if more > 0 else ""))
        return {"message": None, "referrers": listed}
