"""What one render of a staff template may spend, and how big each value it makes is.

The environment (environment.py) and the internal filters (instrument.py) ask the budget
before each operation that can amplify; it lives in a context variable for one render.
"""

import sys
import time
from collections.abc import ItemsView, Iterable, Iterator, KeysView, ValuesView
from contextvars import ContextVar, Token
from itertools import chain, islice
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext

MAX_TEXT = 1_000_000  # characters in any one value; a list counts as it would print
MAX_ITEMS = 100_000  # items in any one list or mapping
MAX_DEPTH = 32  # lists inside lists
MAX_INT_BITS = 4_096  # about 1,230 digits
MAX_MEMORY = 16 * 2**20  # bytes of all the values one render makes, added up
# Jinja folds constant filters into the compiled template, which the cache keeps.
MAX_FOLDED = 64 * 2**10
MAX_SECONDS = 0.2  # CPU time of one render
MAX_STEPS = 100_000  # loop iterations in one render, all loops together
MAX_RANGE = 1000
MAX_LOOP_ITEMS = 10_000  # range() items in one render, nested loops included
MAX_FIELDS = 10_000  # placeholders in one text formatted with % or .format()
# Filters that work in Python, word by word or item by item, take less input.
MAX_SLOW_TEXT = 50_000
MAX_SLOW_ITEMS = 20_000

# Work is counted in units of about a nanosecond: a character copied or compared by
# Python's C code is one unit, one step of Python code about a thousand.
STEP_WORK = 1_000
ITEM_WORK = 200
LOOK_EVERY = 100_000  # units of work between two readings of the CPU clock

TEXT_TOO_LONG = "this would make a text longer than {limit:,} characters"
TOO_MANY_ITEMS = "this would make a list of more than {limit:,} items"
TOO_DEEP = "lists may hold lists only {limit} levels deep"
NUMBER_TOO_BIG = "this would make a number of more than {limit:,} digits"
TOO_MUCH_MEMORY = "this template would need more than {limit} MB of memory"
TOO_SLOW = "this template takes more than {limit} seconds of work to render"
TOO_MANY_STEPS = "loops are limited to {limit:,} steps in all"
RANGE_TOO_LONG = "range() is limited to {limit:,} items"
TOO_MANY_FIELDS = "a text may hold at most {limit:,} placeholders"
TOO_SLOW_INPUT = "“{name}” takes at most {limit:,} characters or items"

_CONTAINERS = (list, tuple, dict, set, frozenset, KeysView, ValuesView, ItemsView)


class Budget:
    """The allowance of one render: CPU time, memory made, loop steps, range() items."""

    __slots__ = ("deadline", "known", "memory", "next_look", "range_items", "steps", "work")

    def __init__(self, memory: int = MAX_MEMORY) -> None:
        self.deadline = time.thread_time() + MAX_SECONDS
        self.memory = memory
        self.steps = MAX_STEPS
        self.range_items = 0
        self.work = 0
        self.next_look = LOOK_EVERY
        # id -> (container, size, depth); holding the container keeps its id unique.
        self.known: dict[int, tuple[Any, int, int]] = {}

    def spend(self, work: int) -> None:
        """Count work, and read the clock now and then: each operation is bounded in
        size before it runs, so the clock is read between operations often enough."""
        self.work += work
        if self.work >= self.next_look:
            self.next_look = self.work + LOOK_EVERY
            if time.thread_time() > self.deadline:
                raise SecurityError(TOO_SLOW.format(limit=MAX_SECONDS))

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise SecurityError(TOO_MANY_STEPS.format(limit=MAX_STEPS))
        self.spend(STEP_WORK)

    def use(self, size: int) -> None:
        self.memory -= size
        if self.memory < 0:
            raise SecurityError(TOO_MUCH_MEMORY.format(limit=MAX_MEMORY // 2**20))

    def expect_text(self, size: int) -> None:
        """Refuse an operation whose text would be too long, before it runs."""
        if size > MAX_TEXT:
            raise SecurityError(TEXT_TOO_LONG.format(limit=MAX_TEXT))
        self.spend(STEP_WORK + size)

    def expect_items(self, count: int) -> None:
        if count > MAX_ITEMS:
            raise SecurityError(TOO_MANY_ITEMS.format(limit=MAX_ITEMS))
        self.spend(STEP_WORK + count * ITEM_WORK)

    def expect_bits(self, bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise SecurityError(NUMBER_TOO_BIG.format(limit=MAX_INT_BITS * 3 // 10))

    def expect_slow(self, name: str, size: int) -> None:
        if size > MAX_SLOW_TEXT:
            raise SecurityError(TOO_SLOW_INPUT.format(name=name, limit=MAX_SLOW_TEXT))
        self.spend(size * 50)

    def measure(self, value: Any) -> tuple[int, int]:
        """(size, depth) of a list, tuple, mapping or set, measured once per render."""
        known = self.known.get(id(value))
        if known is not None and known[0] is value:
            return known[1], known[2]
        self.expect_items(len(value))
        # "[]", or "dict_items([])" for a view.
        size, depth = (2 if isinstance(value, (list, tuple, dict, set)) else 24), 1
        for item in _members(value):
            if isinstance(item, str):
                size += self._printed(item) + 2
            elif isinstance(item, _CONTAINERS):
                item_size, item_depth = self.measure(item)
                size += item_size + 2
                depth = max(depth, item_depth + 1)
            else:
                size += size_of(item) + 2
            if size > MAX_TEXT:
                raise SecurityError(TEXT_TOO_LONG.format(limit=MAX_TEXT))
        if depth > MAX_DEPTH:
            raise SecurityError(TOO_DEEP.format(limit=MAX_DEPTH))
        self.known[id(value)] = (value, size, depth)
        return size, depth

    def _printed(self, text: str) -> int:
        """len(repr(text)), as a list prints it: exact, once per text, up to a size where
        the bound (escapes of at most ten characters) is cheaper."""
        if len(text) <= 64:
            return len(repr(text))
        if len(text) > MAX_TEXT // 10:
            return len(text) * 10 + 2
        known = self.known.get(id(text))
        if known is None or known[0] is not text:
            known = self.known[id(text)] = (text, len(repr(text)), 0)
        return known[1]

    def made(self, value: Any, fresh: bool = True) -> Any:
        """Check a value that an operation made, and count its memory when it is new."""
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise SecurityError(TEXT_TOO_LONG.format(limit=MAX_TEXT))
            if fresh:
                self.use(sys.getsizeof(value))
        elif isinstance(value, int):
            self.expect_bits(value.bit_length())
        elif isinstance(value, _CONTAINERS):
            self.measure(value)
            if fresh:
                # Its items may be new objects too; and measure() keeps it until the end.
                self.use(sys.getsizeof(value) + 64 * len(value) + 200)
        elif isinstance(value, Iterator) and not isinstance(value, LoopContext):
            # A filter's generator (map, select, batch...) becomes a list right away.
            return self.made(list(islice(value, MAX_ITEMS + 1)))
        return value


def _members(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        return chain.from_iterable(value.items())
    if isinstance(value, ItemsView):
        return chain.from_iterable(value)
    return value


def size_of(value: Any) -> int:
    """An upper bound of len(str(value)): what a value weighs, in characters."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() * 78 // 256 + 2  # digits: log10(2) < 78/256 a bit
    if isinstance(value, float) or value is None:
        return 24
    if isinstance(value, _CONTAINERS):
        return current().measure(value)[0]
    try:
        return len(repr(value))
    except Exception:
        return 100


_CURRENT: ContextVar[Budget | None] = ContextVar("render_budget", default=None)


def current() -> Budget:
    """This render's budget, made when the render first needs it."""
    budget = _CURRENT.get()
    if budget is None:
        budget = Budget()
        _CURRENT.set(budget)
    return budget


def open_budget(budget: Budget | None = None) -> Token[Budget | None]:
    """A new budget until close_budget(): the given one, or one made when first needed."""
    return _CURRENT.set(budget)


def close_budget(token: Token[Budget | None]) -> None:
    _CURRENT.reset(token)


def capped_range(*args: int) -> range:
    """range() for templates: each call is capped, and so is their total in one render."""
    budget = current()
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(RANGE_TOO_LONG.format(limit=MAX_RANGE))
    budget.range_items += len(result)
    if budget.range_items > MAX_LOOP_ITEMS:
        raise SecurityError(TOO_MANY_STEPS.format(limit=MAX_LOOP_ITEMS))
    return result


def counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """The items of a loop, each one a step of the render's budget."""
    budget = current()
    for item in iterable:
        budget.step()
        yield item
