"""Changelist rows built with their column headers made once per page, not once per row.

unfold 0.91's `items_for_result` calls `result_headers(cl)` for every row, only to read each
column's title for a `data-label` attribute: for a page of 100 rows that is 100 renders of
the select-all checkbox, 1,000 label look-ups and 2,700 query strings, about a third of the
page's time. unfold's main branch has dropped it (commit e31f11fa, "remove extra headers for
changelist rows", not released yet); until a release carries it, the headers of a
changelist are made once and handed out again. Installed by CrmConfig.ready().
"""

from collections.abc import Iterator
from typing import Any

from unfold.templatetags import unfold_list

_result_headers = unfold_list.result_headers


def headers_once(cl: Any) -> Iterator[dict[str, Any]]:
    """unfold's headers for this changelist, made on the first call."""
    if not hasattr(cl, "_unfold_headers"):
        cl._unfold_headers = list(_result_headers(cl))
    return iter(cl._unfold_headers)


def install() -> None:
    unfold_list.result_headers = headers_once
