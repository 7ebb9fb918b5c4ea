"""The list page's table body as HTML, built here rather than in list.pt.

A page of 50 rows cost Chameleon about 1,400 name look-ups and 550 escapes: over half of
the request. Here each row is one f-string and each cell one call of a function made per
column before the loop (ColumnCells): what is known per column (alignment, formatter, link)
is worked out once, each value escaped once (html.escape; a value with __html__ is markup
already), a row's URL escaped once for all its links, and a value of a small type (yes/no,
a count, an enum) formatted once per page. list.pt inserts the result as it is. The markup is
the template's: the same cells, links, tooltips and labelled row checkboxes.
"""
import enum

from markupsafe import Markup

from ..display.labels import label_of
from ..web.html import escape

# Values of these types repeat down a column (Yes/No, counts): their cell is made once a page.
_REPEATING = (bool, int, enum.Enum, type(None))


def _td(align, text, url, tooltip):
    """One <td>: the text, linked when it has a page; the full text in a tooltip when cut.
    `text` and `url` are escaped already; `align` is the view's own class name."""
    shown = f'<a href="{url}">{text}</a>' if url else text
    title = f' title="{escape(tooltip)}"' if tooltip is not None and tooltip is not False else ""
    return f'<td class="{align}"{title}>{shown}</td>'


class ColumnCells:
    """Per column of `grid`, a function (value, row, escaped row URL) -> its <td>, for one
    request of `view` (a MasterView: its formatters, links and cell_url hook)."""

    def __init__(self, view, grid):
        from .master_list import ListPages  # the default hook, to tell a view's own apart

        self.view = view
        # cell_url is a hook: a view's own version is asked for every cell; the default
        # ("view" links to the row's page) uses the row's URL, made once per row.
        self.own_links = type(view).cell_url is not ListPages.cell_url
        shows = view.cell_formats(grid)
        self.functions = [self._function(column, show) for column, show in zip(grid.columns, shows)]
        self.first_show = shows[0] if shows else None

    def first_text(self, values):
        """The first cell's text, unescaped: what a row's checkbox is labelled with."""
        if not values:
            return ""
        return label_of(values[0]) if self.first_show is None else self.first_show(values[0])[0]

    def _url(self, column, row, row_url):
        if self.own_links:
            return escape(self.view.cell_url(column, row))
        if column.link == "view":
            return row_url
        if callable(column.link):
            return escape(column.link(self.view.request, row))
        return ""

    def _function(self, column, show):
        align = "text-end" if column.numeric else ""
        if show is None:  # a related record: its label, linked to its own page if it has one
            def related(value, row, row_url):
                url = self.view.record_url(value)
                url = escape(url) if url else self._url(column, row, row_url)
                return _td(align, escape(label_of(value)), url, None)
            return related
        if column.link is None and not self.own_links:
            seen = {}

            def unlinked(value, row, row_url):
                if not isinstance(value, _REPEATING):
                    text, tooltip = show(value)
                    return _td(align, escape(text), "", tooltip)
                key = (type(value), value)  # True and 1 are equal keys
                if key not in seen:
                    text, tooltip = show(value)
                    seen[key] = _td(align, escape(text), "", tooltip)
                return seen[key]
            return unlinked

        def linked(value, row, row_url):
            text, tooltip = show(value)
            return _td(align, escape(text), self._url(column, row, row_url), tooltip)
        return linked


def rows_html(view, grid, page, selection, can_edit, can_delete):
    """The <tr>s of the page's rows: the cells, then the row's checkbox (when ticked rows go
    somewhere) and its View / Edit / Delete links."""
    columns = ColumnCells(view, grid)
    cells = columns.functions
    out = []
    for row, values in page.rows:
        url = escape(view.row_url(row))
        tick = ""
        if selection:
            label = escape(columns.first_text(values))
            tick = ('<input type="checkbox" class="form-check-input me-1 align-middle" name="uuid" '
                    f'form="grid-selection" value="{escape(row.uuid)}" '
                    f'aria-label="Select {label}">\n              ')
        edit = (f'\n              <a class="btn btn-sm btn-outline-secondary" href="{url}/edit">Edit</a>'
                if can_edit else "")
        delete = (f'\n              <a class="btn btn-sm btn-outline-danger" href="{url}/delete">Delete</a>'
                  if can_delete else "")
        tds = "\n            ".join([cell(value, row, url) for cell, value in zip(cells, values)])
        out.append(f'<tr>\n            {tds}\n            <td class="text-nowrap poser-actions">\n'
                   f'              {tick}<a class="btn btn-sm btn-outline-secondary" href="{url}">View</a>'
                   f'{edit}{delete}\n            </td>\n          </tr>')
    return Markup("\n          ".join(out))
