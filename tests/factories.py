"""Records the tests build, one function each: users with roles, widgets with components,
specimens with parts, and batches (made as a user makes them: by uploading a file).

Each saves (flushes) what it builds in the given session and returns it; defaults are the
plainest valid record, so a test names only what it is about."""
import re

from sqlalchemy import select

from poser_web.auth.passwords import hash_password
from poser_web.models import Batch, Role, RolePermission, User
from poser_web.tables.widgets.models import Component, Widget

PASSWORD = "correct horse battery"


def user(session, username, admin=False, permissions=(), password=PASSWORD):
    """A user with the Administrator role (every permission), or a role of their own with
    `permissions`, or none."""
    record = User(username=username, password_hash=hash_password(password))
    if admin:
        record.roles.append(Role(name=f"admin-{username}", grants_all=True))
    elif permissions:
        record.roles.append(Role(name=f"role-{username}", permissions=[
            RolePermission(permission=p) for p in permissions]))
    session.add(record)
    session.flush()
    return record


def widget(session, description="Widget", active=True, components=()):
    """A widget with components given as (item_code, description[, active])."""
    record = Widget(description=description, active=active)
    record.components = [
        Component(item_code=c[0], description=c[1], active=c[2] if len(c) > 2 else True)
        for c in components
    ]
    session.add(record)
    session.flush()
    return record


def widgets(session, count, prefix="Widget"):
    """`count` widgets without components, "Widget 000", "Widget 001", … in order."""
    records = [Widget(description=f"{prefix} {n:03}") for n in range(count)]
    session.add_all(records)
    session.flush()
    return records


def specimen(session, name="Specimen", parts=(), **values):
    """A Specimen (tests/sample) with parts given by code, or (code, count), and any columns."""
    from tests.sample.models import Specimen, SpecimenPart

    record = Specimen(name=name, **values)
    record.parts = [SpecimenPart(code=p) if isinstance(p, str) else SpecimenPart(code=p[0], count=p[1])
                    for p in parts]
    session.add(record)
    session.flush()
    return record


def batch(client, session, text, kind="widget_import", name="file.csv", status=303, **fields):
    """The batch `client` makes by uploading `text` (a CSV, or bytes of any file) on the
    New Batch page; None when the upload is refused (then pass its `status`)."""
    url = f"/batches/new?type={kind}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)
    content = text.encode("utf-8") if isinstance(text, str) else text
    client.post(url, {"csrf_token": token, **fields}, upload_files=[("file", name, content)],
                status=status)
    return latest_batch(session) if status == 303 else None


def latest_batch(session):
    """The batch made last, as stored now."""
    session.expire_all()
    return session.scalars(select(Batch).order_by(Batch.number.desc())).first()
