"""The list page's table body as HTML, built here rather than in list.pt.

A page of 50 rows cost Chameleon about 1,400 name look-ups and 550 escapes: over half of
the request. Here each value is escaped once (html.escape; a value with __html__ is markup
already) and each row is one f-string; list.pt inserts the result as it is. The markup
is the template's: the same cells, links, tooltips and labelled row checkboxes.
"""
from markupsafe import Markup

from ..web.html import escape


def _cell(text, url, align, tooltip):
    """One <td>: the text, linked when it has a page; the full text in a tooltip when cut.
    `align` is the view's own class name, never typed by anyone."""
    shown = escape(text)
    if url:
        shown = f'<a href="{escape(url)}">{shown}</a>'
    title = f' title="{escape(tooltip)}"' if tooltip is not None and tooltip is not False else ""
    return f'<td class="{align}"{title}>{shown}</td>'


def rows_html(rows, selection, can_edit, can_delete):
    """The <tr>s of `rows` (dicts of cells, url, key: MasterView.table_rows): the cells, then
    the row's checkbox (when ticked rows go somewhere) and its View / Edit / Delete links."""
    out = []
    for row in rows:
        url = escape(row["url"])
        tick = ""
        if selection:
            first = row["cells"][0][0] if row["cells"] else ""
            tick = ('<input type="checkbox" class="form-check-input me-1 align-middle" name="uuid" '
                    f'form="grid-selection" value="{escape(row["key"])}" '
                    f'aria-label="Select {escape(first)}">\n              ')
        edit = (f'\n              <a class="btn btn-sm btn-outline-secondary" href="{url}/edit">Edit</a>'
                if can_edit else "")
        delete = (f'\n              <a class="btn btn-sm btn-outline-danger" href="{url}/delete">Delete</a>'
                  if can_delete else "")
        cells = "\n            ".join(_cell(*cell) for cell in row["cells"])
        out.append(f'<tr>\n            {cells}\n            <td class="text-nowrap poser-actions">\n'
                   f'              {tick}<a class="btn btn-sm btn-outline-secondary" href="{url}">View</a>'
                   f'{edit}{delete}\n            </td>\n          </tr>')
    return Markup("\n          ".join(out))
