"""What each method a template may call would make, keyed by the kind of object it
belongs to and its name: a method not listed here cannot be called."""

from collections.abc import ItemsView, KeysView, ValuesView
from itertools import chain
from typing import Any

from jinja2.runtime import LoopContext
from markupsafe import Markup

from campaigns.content.sandbox.budget import Budget, size_of
from campaigns.content.sandbox.costs import (
    ESCAPED,
    Check,
    as_int,
    changed_case,
    free,
    hashed,
    items_of,
    joined,
    line_count,
    replaced,
)


def _str_case(budget: Budget, text: str, *args: Any, **kwargs: Any) -> None:
    changed_case(budget, text)


def _str_split(budget: Budget, text: str, sep: Any = None, maxsplit: Any = -1) -> None:
    pieces = text.count(sep) + 1 if isinstance(sep, str) and sep else len(text) // 2 + 1
    if isinstance(maxsplit, int) and maxsplit >= 0:
        pieces = min(pieces, maxsplit + 1)
    budget.expect_items(pieces)


def _str_splitlines(budget: Budget, text: str, keepends: Any = False) -> None:
    budget.expect_items(line_count(text))


def _str_justify(budget: Budget, text: str, width: Any, fillchar: Any = " ") -> None:
    budget.expect_text(max(len(text), as_int(width)))


def _str_zfill(budget: Budget, text: str, width: Any) -> None:
    budget.expect_text(max(len(text), as_int(width)))


def _str_expandtabs(budget: Budget, text: str, tabsize: Any = 8) -> None:
    budget.expect_text(len(text) + text.count("\t") * max(as_int(tabsize), 0))


def _str_replace(budget: Budget, text: str, old: Any, new: Any, count: Any = -1) -> None:
    replaced(budget, text, old, new, count, ESCAPED if isinstance(text, Markup) else 1)


def _str_join(budget: Budget, separator: str, iterable: Any) -> None:
    joined(budget, separator, iterable, ESCAPED if isinstance(separator, Markup) else 1)


def _str_translate(budget: Budget, text: str, table: Any) -> None:
    values = table.values() if isinstance(table, dict) else items_of(table)
    widest = max(map(size_of, values), default=1)
    budget.expect_text(len(text) * max(widest, 1))


def _markup_striptags(budget: Budget, text: str) -> None:
    budget.expect_slow("striptags", len(text))


def _markup_escape(budget: Budget, kind: type, text: Any) -> None:
    budget.expect_text(size_of(text) * ESCAPED)


def _dict_fromkeys(budget: Budget, kind: type, iterable: Any, value: Any = None) -> None:
    keys = items_of(iterable)
    budget.expect_items(len(keys))
    hashed("fromkeys", keys)
    budget.expect_text(size_of(iterable) + len(keys) * (size_of(value) + 4))


def _set_operation(budget: Budget, subject: Any, *others: Any) -> None:
    members = [subject, *map(items_of, others)]
    budget.expect_items(sum(map(len, members)))
    budget.expect_text(sum(map(size_of, members)))
    hashed("set", chain.from_iterable(members))


_SAME_SIZE = (
    "count endswith find index isalnum isalpha isascii isdecimal isdigit isidentifier "
    "islower isnumeric isprintable isspace istitle isupper lstrip partition removeprefix "
    "removesuffix rfind rindex rpartition rstrip startswith strip unescape"
)
METHODS: dict[tuple[type, str], Check] = {
    **{(str, name): free for name in _SAME_SIZE.split()},
    **{(str, name): _str_case for name in "capitalize casefold lower swapcase title upper".split()},
    (str, "split"): _str_split,
    (str, "rsplit"): _str_split,
    (str, "splitlines"): _str_splitlines,
    (str, "center"): _str_justify,
    (str, "ljust"): _str_justify,
    (str, "rjust"): _str_justify,
    (str, "zfill"): _str_zfill,
    (str, "expandtabs"): _str_expandtabs,
    (str, "replace"): _str_replace,
    (str, "join"): _str_join,
    (str, "translate"): _str_translate,
    (str, "striptags"): _markup_striptags,
    (Markup, "escape"): _markup_escape,
    **{(int, name): free for name in "as_integer_ratio bit_count bit_length conjugate".split()},
    **{(float, name): free for name in "as_integer_ratio conjugate hex is_integer".split()},
    (float, "fromhex"): free,
    **{(list, name): free for name in ("count", "index", "copy")},
    **{(dict, name): free for name in ("copy", "get", "items", "keys", "values")},
    (dict, "fromkeys"): _dict_fromkeys,
    (set, "copy"): free,
    **{
        (set, name): _set_operation
        for name in "difference intersection isdisjoint issubset issuperset "
        "symmetric_difference union".split()
    },
    (KeysView, "isdisjoint"): _set_operation,
    **{(range, name): free for name in ("count", "index")},
    **{(LoopContext, name): free for name in ("cycle", "changed")},
}


def kind_of(receiver: Any) -> type | None:
    """The key METHODS knows a method's object by: a class for class methods."""
    if isinstance(receiver, type):
        return receiver
    for kind in (str, int, float, dict, range, LoopContext):
        if isinstance(receiver, kind):
            return kind
    if isinstance(receiver, (list, tuple)):
        return list
    if isinstance(receiver, (set, frozenset)):
        return set
    if isinstance(receiver, (KeysView, ItemsView, ValuesView)):
        return KeysView
    return None
