"""How big a result an operation would make, told before it runs: the rules that the
operators, methods (methods.py) and filters (filters.py) share.

Each check takes the same arguments as what it checks and raises SecurityError when the
result would be too large; anything without a check cannot be called at all.
"""

import re
from collections.abc import Callable, ItemsView, Iterable, KeysView, Sized
from itertools import chain
from typing import Any, Protocol

from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from markupsafe import Markup

from campaigns.content.sandbox.budget import (
    MAX_FIELDS,
    MAX_SLOW_ITEMS,
    MAX_TEXT,
    TOO_MANY_FIELDS,
    TOO_SLOW_INPUT,
    Budget,
    size_of,
)

NOT_AVAILABLE = "“{name}” is not available in email templates"
LOOP_NOT_A_LIST = "“loop” cannot be used as a list"
TOO_MANY_BIG_KEYS = "“{name}” takes at most {limit:,} numbers of more than 18 digits"
NESTED_KEY = "a % placeholder may not hold brackets in its name"

ESCAPED = 6  # "&#34;" for '"': escaping makes a text at most six times longer
CHANGED_CASE = 3  # "ﬃ".upper() is "FFI"
# Python hashes a number by its remainder modulo 2**61 - 1: numbers past that can be picked
# to share one slot of a dict or set, and each new key then compares with all before it.
MAX_BIG_KEYS = 3_000
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"

Check = Callable[..., None]


class Items(Sized, Iterable[Any], Protocol):
    """What a filter or method walks: it has a length and can be iterated."""


def items_of(value: Any) -> Items:
    """What a filter or method would iterate, without consuming anything."""
    if isinstance(value, LoopContext):
        raise SecurityError(LOOP_NOT_A_LIST)
    if isinstance(value, Sized) and isinstance(value, Iterable):
        return value
    return ()  # not iterable: the operation itself will say so


def escapes(passed: Any) -> bool:
    """Whether a filter escapes what it adds: `passed` is the context, eval context or
    environment Jinja passes it first, or None."""
    eval_ctx = getattr(passed, "eval_ctx", passed)
    return getattr(eval_ctx, "autoescape", False) is True


def _may_collide(key: Any) -> bool:
    if isinstance(key, tuple):
        return any(map(_may_collide, key))
    return isinstance(key, (int, float)) and key != 0 and not 2**-60 < abs(key) < 2**61


def hashed(name: str, keys: Any) -> None:
    if sum(map(_may_collide, keys)) > MAX_BIG_KEYS:
        raise SecurityError(TOO_MANY_BIG_KEYS.format(name=name, limit=MAX_BIG_KEYS))


def as_int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def line_count(text: Any) -> int:
    if not isinstance(text, str):
        return size_of(text) + 1
    return sum(text.count(mark) for mark in LINE_BREAKS) + 1


def changed_case(budget: Budget, text: Any) -> None:
    size = size_of(text)
    budget.expect_text(size if isinstance(text, str) and text.isascii() else size * CHANGED_CASE)


def replaced(budget: Budget, text: Any, old: Any, new: Any, count: Any, factor: int) -> None:
    text, old, new = str(text), str(old), str(new)
    found = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    budget.expect_text((len(text) + found * max(len(new) - len(old), 0)) * factor)


def joined(budget: Budget, separator: Any, iterable: Any, factor: int, per_item: int = 0) -> None:
    items = items_of(iterable)
    budget.expect_items(len(items))
    members = len(items) if isinstance(items, str) else sum(map(size_of, items))
    budget.expect_text((members + (size_of(separator) + per_item) * len(items)) * factor)


# printf-style fields, as CPython's PyUnicode_Format reads them.
_PRINTF_FIELD = re.compile(r"%(?:\(([^()]*)\))?[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?(.?)", re.S)
_DIGITS = re.compile(r"\d+")
CHUNKS = re.compile(r"\s+|\S+")


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 7 else MAX_TEXT + 1


def printf(budget: Budget, template: str, values: Any) -> None:
    """`template % values`: the text, the widths and precisions, and each value."""
    if template.count("%") > MAX_FIELDS:
        raise SecurityError(TOO_MANY_FIELDS.format(limit=MAX_FIELDS))
    factor = ESCAPED if isinstance(template, Markup) else 1
    positional = list(values) if isinstance(values, tuple) else [values]
    mapping = values if hasattr(values, "keys") and not isinstance(values, tuple) else None
    total, index = len(template), 0
    for match in _PRINTF_FIELD.finditer(template):
        key, width, precision, conversion = match.groups()
        if conversion == "(":
            raise SecurityError(NESTED_KEY)
        for number in (width, precision):
            if number == "*":
                total += abs(as_int(positional[index] if index < len(positional) else 0))
                index += 1
            elif number:
                total += _number(number)
        if conversion == "%":
            continue
        if key is not None and mapping is not None:
            value = mapping.get(key)
        else:
            value = positional[index] if index < len(positional) else None
            index += 1
        size = size_of(value)
        total += (size * 10 + 2 if conversion in ("r", "a") else size + 330) * factor
        if total > MAX_TEXT:
            break
    budget.expect_text(total)


def field(value: Any, spec: str, conversion: str | None) -> int:
    """One str.format() field: its width and precision, and the value as printed."""
    size = size_of(value) * (10 if conversion in ("r", "a") else 2) + 330
    return size + sum(_number(digits) for digits in _DIGITS.findall(spec))


def binop(budget: Budget, operator: str, left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        bits = max(left.bit_length(), right.bit_length())
        if operator == "**" and right > 0 and abs(left) > 1:
            budget.expect_bits(left.bit_length() * right)
        elif operator == "*":
            budget.expect_bits(left.bit_length() + right.bit_length())
        else:
            budget.expect_bits(bits + 1)
    elif operator == "*":
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
                if not isinstance(sequence, str):
                    budget.expect_items(len(sequence) * count)
                budget.expect_text(size_of(sequence) * count)
    elif operator == "+" and isinstance(left, (str, list, tuple)):
        if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
            budget.expect_items(len(left) + len(right))
        factor = ESCAPED if isinstance(left, Markup) or isinstance(right, Markup) else 1
        budget.expect_text((size_of(left) + size_of(right)) * factor)
    elif operator == "%" and isinstance(left, str):
        printf(budget, left, right)
    else:
        budget.spend(size_of(left) + size_of(right))
        if isinstance(left, (set, frozenset, KeysView, ItemsView)):
            hashed("-", chain(left, items_of(right)))


def free(budget: Budget, subject: Any, *args: Any, **kwargs: Any) -> None:
    """The result is one of the inputs, or no longer than them."""
    budget.spend(size_of(subject))


def text_times(factor: int) -> Check:
    def check(budget: Budget, subject: Any, *args: Any, **kwargs: Any) -> None:
        budget.expect_text(size_of(subject) * factor)

    return check


def each_item(budget: Budget, subject: Any, *args: Any, **kwargs: Any) -> None:
    budget.expect_items(len(items_of(subject)))


def slow(name: str, factor: int = 1) -> Check:
    """A filter that works word by word in Python: smaller input, same output rule."""

    def check(budget: Budget, subject: Any, *args: Any, **kwargs: Any) -> None:
        budget.expect_slow(name, size_of(subject))
        budget.expect_text(size_of(subject) * factor)

    return check


def slow_count(budget: Budget, name: str, subject: Any) -> Items:
    items = items_of(subject)
    if len(items) > MAX_SLOW_ITEMS:
        raise SecurityError(TOO_SLOW_INPUT.format(name=name, limit=MAX_SLOW_ITEMS))
    budget.spend(len(items) * 1_000)
    return items


def slow_items(name: str) -> Check:
    """A filter that calls Python code for each item: sorting keys, attributes, tests."""

    def check(budget: Budget, subject: Any, *args: Any, **kwargs: Any) -> None:
        slow_count(budget, name, subject)

    return check
