"""What a batch row's page shows, for any table: fields old → new, child rows added, changed and
removed (the history's diff shape), and the record as the file has it."""


def shown(value):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def describe_row(spec, diff, record=None):
    """Sections (dicts of title, columns, rows) for a row's `diff` and, for a row that changes
    nothing or cannot be imported, the `record` as the file has it."""
    titles = {f.name: f.title for f in spec.fields}
    sections = []
    fields = diff.get("fields", {})
    if fields:
        sections.append({"title": "Fields", "columns": ("Field", "Now", "After"),
                         "rows": [(titles.get(name, name), shown(old), shown(new))
                                  for name, (old, new) in sorted(fields.items())]})
    for child in spec.children:
        part = diff.get(child.name, {})
        names = [f.name for f in child.fields]
        columns = tuple(f.title for f in child.fields)
        for kind in ("added", "removed"):
            if part.get(kind):
                sections.append({"title": f"{child.title}s {kind}", "columns": columns,
                                 "rows": [tuple(shown(row.get(n)) for n in names)
                                          for row in part[kind]]})
        if part.get("changed"):
            child_titles = {f.name: f.title for f in child.fields}
            first = names[0] if names else None
            sections.append({
                "title": f"{child.title}s changed",
                "columns": (child_titles.get(first, "Key"), "Field", "Now", "After"),
                "rows": [(shown(row.get(first, row.get(child.key.key))), child_titles.get(n, n),
                          shown(old), shown(new))
                         for row in part["changed"]
                         for n, (old, new) in sorted(row["fields"].items())]})
    if record is not None:
        rows = [(f.title, shown(v)) for f, v in zip(spec.fields, record.values)]
        rows += [(f"{child.title}s", str(len(record.children.get(child.name, ()))))
                 for child in spec.children]
        sections.append({"title": f"{spec.title} in the file", "columns": ("Field", "Value"),
                         "rows": rows})
    return sections
