"""What the resilience clients were told, and the check of it against the database.

Every widget a client writes has a unique description `r<run>c<client>w<n>v<version> k=<K>`
and exactly K components described `<token> part j/K`. The ledger keeps, per widget,
the last acknowledged (303) state and the states of later writes whose outcome is
unknown (connection dropped, server killed, 5xx). `verify()` then checks:
- lost: an acknowledged create/edit/delete that the database does not show
  (nor a later unacknowledged attempt explains);
- inconsistent: a widget whose components are not exactly the K of one submission, or
  whose stored component count (kept by database triggers) differs from them.
"""
import re
import threading
from collections import Counter

from sqlalchemy import select

DESCRIPTION_RE = re.compile(r"^(r\w+c\d+w\d+v\d+) k=(\d+)$")
PART_RE = re.compile(r"^(\S+) part (\d+)/(\d+)$")


class Ledger:
    def __init__(self, run_id):
        self.run_id = run_id
        self.lock = threading.Lock()
        self.acked = {}           # uuid -> description, or None once deleted
        self.acked_no_uuid = []   # acknowledged creates whose Location named no uuid
        self.uncertain = {}       # uuid -> [description or None] attempted after the last ack
        self.unknown_creates = set()
        self.counts = Counter()

    def token(self, client, widget, version):
        return f"r{self.run_id}c{client:02d}w{widget:05d}v{version}"

    def ack(self, kind, uuid, description):
        with self.lock:
            self.counts[kind] += 1
            if uuid is None:
                self.acked_no_uuid.append(description)
                return
            self.acked[uuid] = description
            self.uncertain.pop(uuid, None)

    def unknown(self, kind, uuid, description):
        """A write was sent but not acknowledged: it may or may not have happened."""
        with self.lock:
            self.counts[f"{kind} unacknowledged"] += 1
            if uuid is None:
                self.unknown_creates.add(description)
            else:
                self.uncertain.setdefault(uuid, []).append(description)

    def verify(self, url):
        from poser_web.db.engine import get_engine
        from poser_web.tables.widgets.models import Component, Widget

        engine = get_engine({"sqlalchemy.url": url})
        prefix = f"r{self.run_id}c"
        try:
            with engine.connect() as conn:
                stored = {}  # uuid -> the component count the database keeps (triggers)
                widgets = {}
                for uuid, description, count in conn.execute(
                        select(Widget.uuid, Widget.description, Widget.component_count)
                        .where(Widget.description.like(f"{prefix}%"))):
                    widgets[uuid], stored[uuid] = description, count
                parts = {}
                for widget_uuid, description in conn.execute(
                        select(Component.widget_uuid, Component.description)
                        .join(Widget, Widget.uuid == Component.widget_uuid)
                        .where(Widget.description.like(f"{prefix}%"))):
                    parts.setdefault(widget_uuid, []).append(description)
        finally:
            engine.dispose()
        inconsistent = []
        for uuid, description in widgets.items():
            problem = _check_parts(description, parts.get(uuid, []))
            if not problem and stored[uuid] != len(parts.get(uuid, [])):
                problem = f"stored component count {stored[uuid]}, has {len(parts.get(uuid, []))}"
            if problem:
                inconsistent.append(f"{uuid} {description!r}: {problem}")
        lost = []
        for uuid, description in self.acked.items():
            actual = widgets.get(uuid)
            allowed = [description] + self.uncertain.get(uuid, [])
            if actual not in allowed:
                lost.append(f"{uuid}: acknowledged {description or 'deleted'!r}, database has "
                            f"{actual or 'nothing'!r}")
        present = set(widgets.values())
        lost += [f"acknowledged create {d!r} not found" for d in self.acked_no_uuid if d not in present]
        known = set(self.acked) | set(self.uncertain)
        committed_unacked = sum(1 for uuid in widgets if uuid not in known)
        return {"widgets_checked": len(widgets), "lost": lost, "inconsistent": inconsistent,
                "unacknowledged_but_committed": committed_unacked}


def _check_parts(description, part_descriptions):
    match = DESCRIPTION_RE.match(description)
    if not match:
        return "description not in the clients' format"
    token, k = match.group(1), int(match.group(2))
    seen = Counter()
    for text in part_descriptions:
        m = PART_RE.match(text)
        if not m or m.group(1) != token or int(m.group(3)) != k:
            return f"component {text!r} is not part of submission {token} (k={k})"
        seen[int(m.group(2))] += 1
    if len(part_descriptions) != k or set(seen) != set(range(1, k + 1)):
        return f"{len(part_descriptions)} components, submitted {k}"
    return None
