"""Changelist rows: their column headers made once per page, not once per row, and their
selection checkbox rendered once and filled with each row's id; empty cells show one dash
(EMPTY_CELL) on every page, and on a phone each cell is labelled as its column's header reads
("Sent at", not "Sent At"; the checkbox "Select", not unfold's "Select Record").

unfold 0.91's `items_for_result` calls `result_headers(cl)` for every row, only to read each
column's title for a `data-label` attribute: for a page of 100 rows that is 100 renders of
the select-all checkbox, 1,000 label look-ups and about 2,000 query strings, a third of
the page's time. unfold's main branch has dropped it (commit e31f11fa, "remove extra headers for
changelist rows", not released yet); until a release carries it, the headers of a
changelist are made once and handed out again. Installed by CrmConfig.ready().
"""

import functools
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from unfold.admin import checkbox
from unfold.templatetags import unfold_list

_result_headers = unfold_list.result_headers
_items_for_result = unfold_list.items_for_result
# unfold's label of the row checkbox, in its own catalogue (a variable: not one of ours).
UNFOLD_SELECT = "Select record"
# An empty cell, in every list (Django's default is "-"; our columns write this one).
EMPTY_CELL = "–"


def headers_once(cl: Any) -> Iterator[dict[str, Any]]:
    """unfold's headers for this changelist, made on the first call. Their text starts with a
    capital as the header shows it: on a phone each cell is labelled with it ("Sent at",
    where unfold's CSS capitalized every word of "sent at")."""
    if not hasattr(cl, "_unfold_headers"):
        cl._unfold_headers = [
            # The select-all checkbox is HTML (safe): left as it is.
            header
            if isinstance(header["text"], SafeData)
            else {**header, "text": capfirst(header["text"])}
            for header in _result_headers(cl)
        ]
    return iter(cl._unfold_headers)


def cells_labelled(cl: Any, result: Any, form: Any) -> Iterator[SafeString]:
    """unfold's cells of a row. On a phone each cell shows its `data-label` above it: unfold
    labels the selection checkbox "Select record", which its CSS capitalizes into a raw
    "Select Record"; it reads "Select"."""
    raw = format_html('data-label="{}"', gettext(UNFOLD_SELECT))
    for index, cell in enumerate(_items_for_result(cl, result, form)):
        if index == 0 and raw in cell:
            cell = mark_safe(cell.replace(raw, format_html('data-label="{}"', gettext("Select"))))
        yield cell


def install() -> None:
    unfold_list.result_headers = headers_once
    unfold_list.items_for_result = cells_labelled
    admin.site.empty_value_display = EMPTY_CELL


_ID = "row-id-placeholder"


@functools.cache
def _checkbox_around_id() -> tuple[SafeString, SafeString]:
    """unfold's row checkbox as rendered by its widget template, split around the id."""
    before, after = checkbox.render(ACTION_CHECKBOX_NAME, _ID).split(_ID)
    return mark_safe(before), mark_safe(after)


def row_checkbox(pk: Any) -> SafeString:
    """The row's checkbox, as unfold's widget renders it: a template render per row cost
    more than the row's cells (1.3 ms of a page's 10 under the profiler)."""
    before, after = _checkbox_around_id()
    return format_html("{}{}{}", before, pk, after)
