"""What each filter would make, by name: a filter not listed here is not available.

`passed` is what Jinja passes a filter first (the context, eval context or environment),
or None for a filter that takes none.
"""

import math
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter

from campaigns.content.sandbox.budget import TOO_SLOW_INPUT, Budget, size_of
from campaigns.content.sandbox.costs import (
    CHUNKS,
    ESCAPED,
    Check,
    as_int,
    changed_case,
    each_item,
    escapes,
    free,
    hashed,
    items_of,
    joined,
    line_count,
    printf,
    replaced,
    slow,
    slow_count,
    slow_items,
    text_times,
)

NUMBERS_ONLY = "“sum” adds up numbers only"
WRAPPED = 2 * 10**8  # characters textwrap copies to break long words, at most
# Babel formats an amount or a date in about 40 µs, whatever the value (formats.py refuses
# long ones): counted as such, so that a loop of them reads the clock often enough.
BABEL_WORK = 50_000


def _center(budget: Budget, passed: Any, value: Any, width: Any = 80) -> None:
    budget.expect_text(max(size_of(value), as_int(width)))


def _indent(
    budget: Budget, passed: Any, text: Any, width: Any = 4, first: Any = False, blank: Any = False
) -> None:
    indention = size_of(width) if isinstance(width, str) else max(as_int(width), 0)
    lines = line_count(text)
    budget.expect_items(lines)
    budget.expect_text(size_of(text) + lines * (indention + 1))


def _markup(passed: Any, *values: Any) -> int:
    """How much longer escaping makes what a filter joins: Jinja escapes the other values
    when one of them is markup."""
    if escapes(passed) and any(hasattr(value, "__html__") for value in values):
        return ESCAPED
    return 1


def _filter_replace(
    budget: Budget, passed: Any, text: Any, old: Any, new: Any, count: Any = None
) -> None:
    replaced(budget, text, old, new, count, _markup(passed, text, old, new))


def _filter_format(budget: Budget, passed: Any, value: Any, *args: Any, **kwargs: Any) -> None:
    printf(budget, str(value), kwargs or args)


def _filter_join(
    budget: Budget, passed: Any, value: Any, d: Any = "", attribute: Any = None
) -> None:
    # An attribute may be a method, printed as "<built-in method …>".
    per_item = 0 if attribute is None else 100
    items = items_of(value) if attribute is None else slow_count(budget, "join", value)
    budget.expect_items(len(items))
    members = (value,) if isinstance(value, str) else items
    joined(budget, d, items, _markup(passed, d, *members), per_item)


def _filter_truncate(
    budget: Budget,
    passed: Any,
    text: Any,
    length: Any = 255,
    killwords: Any = False,
    end: Any = "...",
    leeway: Any = None,
) -> None:
    budget.expect_text(size_of(text) + size_of(end))


def _filter_batch(
    budget: Budget, passed: Any, value: Any, linecount: Any, fill_with: Any = None
) -> None:
    padding = max(as_int(linecount), 0) if fill_with is not None else 0
    budget.expect_items(len(items_of(value)) + padding)
    budget.expect_text(size_of(value) + padding * size_of(fill_with))


def _filter_slice(
    budget: Budget, passed: Any, value: Any, slices: Any, fill_with: Any = None
) -> None:
    count = max(as_int(slices), 0)
    padding = count * size_of(fill_with) if fill_with is not None else 0
    budget.expect_items(len(items_of(value)) + count)
    budget.expect_text(size_of(value) + padding)


def _filter_sum(
    budget: Budget, passed: Any, iterable: Any, attribute: Any = None, start: Any = 0
) -> None:
    # Adding lists or tuples one by one copies them over and over: numbers only.
    items = items_of(iterable) if attribute is None else slow_count(budget, "sum", iterable)
    budget.expect_items(len(items))
    if attribute is not None:
        items = list(map(make_attrgetter(passed, attribute), items))
    for value in (start, *items):
        if not isinstance(value, (int, float)):
            raise SecurityError(NUMBERS_ONLY)


def _filter_round(
    budget: Budget, passed: Any, value: Any, precision: Any = 0, method: Any = "common"
) -> None:
    # floor and ceil compute 10 ** precision.
    budget.expect_bits(abs(as_int(precision)) * 4)


def _filter_int(budget: Budget, passed: Any, value: Any, default: Any = 0, base: Any = 10) -> None:
    # Python limits decimal numbers to 4,300 digits, but not binary or hexadecimal ones.
    if isinstance(value, str) and base != 10:
        budget.expect_bits(len(value) * 6)


def _filter_tojson(budget: Budget, passed: Any, value: Any, indent: Any = None) -> None:
    size = size_of(value)
    # "\ud83d\ude00" for one character: at most twelve times longer.
    if indent is None:
        budget.expect_text(size * 12)
        return
    depth = budget.measure(value)[1] if isinstance(value, (list, tuple, dict)) else 1
    step = size_of(indent) if isinstance(indent, str) else max(as_int(indent), 0)
    budget.expect_text(size * 12 + size * (depth * step + 1))


def _filter_urlize(
    budget: Budget,
    passed: Any,
    value: Any,
    trim_url_limit: Any = None,
    nofollow: Any = False,
    target: Any = None,
    rel: Any = None,
    extra_schemes: Any = None,
) -> None:
    size = size_of(value)
    budget.expect_slow("urlize", size)
    # Every word might become a link carrying the target and rel attributes.
    words = size // 2 + 1
    budget.expect_text(size * 20 + words * (size_of(target or "") + size_of(rel or "")))


def _filter_wordwrap(
    budget: Budget,
    passed: Any,
    text: Any,
    width: Any = 79,
    break_long_words: Any = True,
    wrapstring: Any = None,
    break_on_hyphens: Any = True,
) -> None:
    size, width = size_of(text), max(as_int(width), 1)
    budget.expect_slow("wordwrap", size)
    lines = slow_count(budget, "wordwrap", range(line_count(text) + size // width))
    budget.expect_text(size + len(lines) * size_of(wrapstring or "\n"))
    # textwrap copies what is left of a long word (or run of spaces) for each line it cuts.
    longest = max(map(len, CHUNKS.findall(str(text))), default=0)
    if size * (longest // width) > WRAPPED:
        limit = math.isqrt(WRAPPED * width)
        raise SecurityError(TOO_SLOW_INPUT.format(name="wordwrap", limit=limit))


def _filter_case(budget: Budget, passed: Any, text: Any) -> None:
    changed_case(budget, text)


def _filter_title(budget: Budget, passed: Any, text: Any) -> None:
    budget.expect_slow("title", size_of(text))
    changed_case(budget, text)


def _filter_xmlattr(budget: Budget, passed: Any, d: Any, autospace: Any = True) -> None:
    slow_count(budget, "xmlattr", d)
    budget.expect_text(size_of(d) * (ESCAPED + 1))


def _filter_unique(
    budget: Budget, passed: Any, value: Any, case_sensitive: Any = False, attribute: Any = None
) -> None:
    items = slow_count(budget, "unique", value)
    hashed("unique", items if attribute is None else map(make_attrgetter(passed, attribute), items))


def _filter_wordcount(budget: Budget, passed: Any, text: Any) -> None:
    budget.expect_slow("wordcount", size_of(text))
    budget.expect_items(size_of(text) // 2 + 1)


def _localised(budget: Budget, passed: Any, value: Any, *args: Any, **kwargs: Any) -> None:
    budget.spend(BABEL_WORK + size_of(value))


def _passed_free(budget: Budget, passed: Any, value: Any, *args: Any, **kwargs: Any) -> None:
    free(budget, value)


def _passed(check: Check) -> Check:
    def with_passed(budget: Budget, passed: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        check(budget, value, *args, **kwargs)

    return with_passed


_SLOW_ITEMS = "map select reject selectattr rejectattr dictsort groupby sort min max"
FILTERS: dict[str, Check] = {
    **dict.fromkeys(
        "abs attr count length d default first last random float filesizeformat items".split(),
        _passed_free,
    ),
    **dict.fromkeys("safe string trim reverse".split(), _passed(text_times(1))),
    **dict.fromkeys("e escape forceescape".split(), _passed(text_times(ESCAPED))),
    **dict.fromkeys("capitalize lower upper".split(), _filter_case),
    "list": _passed(each_item),
    **{name: _passed(slow_items(name)) for name in _SLOW_ITEMS.split()},
    "striptags": _passed(slow("striptags")),
    "urlencode": _passed(slow("urlencode", 12)),
    "title": _filter_title,
    "wordcount": _filter_wordcount,
    "unique": _filter_unique,
    "center": _center,
    "indent": _indent,
    "replace": _filter_replace,
    "format": _filter_format,
    "join": _filter_join,
    "truncate": _filter_truncate,
    "batch": _filter_batch,
    "slice": _filter_slice,
    "sum": _filter_sum,
    "round": _filter_round,
    "int": _filter_int,
    "tojson": _filter_tojson,
    "urlize": _filter_urlize,
    "wordwrap": _filter_wordwrap,
    "xmlattr": _filter_xmlattr,
    # Ours (campaigns/content/formats.py): a short text in the message's locale.
    "money": _localised,
    "date_local": _localised,
}
