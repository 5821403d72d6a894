"""Jinja2's immutable sandbox, with every operation that can amplify measured first.

Operators, calls, filters, tests and str.format go through the environment's hooks; the
rest (`~`, literals, slices, comparisons, loops, what macros and blocks collect) through
the internal filters that instrument.py puts in the parsed template.
"""

import functools
from collections.abc import Callable
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from markupsafe import Markup

from campaigns.content import formats
from campaigns.content.sandbox import costs, filters, methods
from campaigns.content.sandbox.budget import (
    MAX_FIELDS,
    STEP_WORK,
    TOO_MANY_FIELDS,
    capped_range,
    counted,
    current,
    size_of,
)
from campaigns.content.sandbox.costs import ESCAPED, NOT_AVAILABLE
from campaigns.content.sandbox.instrument import INTERNAL_FILTERS

_JINJA_KWARGS = frozenset({"_loop_vars", "_block_vars"})
WRONG_ARGUMENTS = "“{name}” was given the wrong arguments"


class _Formatter(SandboxedFormatter):
    """What one str.format() call has made so far, counted field by field."""

    escape_factor = 1
    made = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        if format_string.count("{") > MAX_FIELDS:
            raise SecurityError(TOO_MANY_FIELDS.format(limit=MAX_FIELDS))
        self.made = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:
            self._expect(costs.field(value, "", conversion))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        self._expect(costs.field(value, format_spec, None))
        return super().format_field(value, format_spec)

    def _expect(self, size: int) -> None:
        self.made += size * self.escape_factor
        current().expect_text(self.made)


class _EscapeFormatter(_Formatter, SandboxedEscapeFormatter):
    escape_factor = ESCAPED


class _BoundedFormat:
    """`text.format` or `text.format_map`, as a template gets it."""

    def __init__(self, text: str, formatter: _Formatter, is_map: bool) -> None:
        self.text, self.formatter, self.is_map = text, formatter, is_map

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if self.is_map:
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            return type(self.text)(self.formatter.vformat(self.text, (), args[0]))
        return type(self.text)(self.formatter.vformat(self.text, args, kwargs))


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with operators, calls, filters and tests checked against the budget."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # No lipsum, cycler, joiner or namespace: their internals are known escape routes.
        self.globals = {"range": capped_range}
        given = {**self.filters, **formats.TEMPLATE_FILTERS}
        self.filters = {
            **{name: _bounded_filter(name, function) for name, function in given.items()},
            **INTERNAL_FILTERS,
        }
        self.tests = {
            # Jinja's TESTS dict is inferred as dict[str, function], not of callables.
            name: _ticking_test(function)  # type: ignore[arg-type]
            for name, function in self.tests.items()
        }

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = current()
        costs.binop(budget, operator, left, right)
        return budget.made(self.binop_table[operator](left, right))

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        budget = current()
        budget.spend(STEP_WORK + size_of(arg))
        return budget.made(self.unop_table[operator](arg))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, (MethodType, BuiltinMethodType)) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        formatter: _Formatter
        if isinstance(text, Markup):
            formatter = _EscapeFormatter(self, escape=text.escape)
        else:
            formatter = _Formatter(self)
        return _BoundedFormat(text, formatter, value.__name__ == "format_map")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = current()
        # Inside loops and blocks Jinja adds the variables they set, for Context.call.
        named = {key: value for key, value in kwargs.items() if key not in _JINJA_KWARGS}
        budget.expect_text(sum(map(size_of, args)) + sum(map(size_of, named.values())))
        if isinstance(__obj, LoopContext) and args:
            # loop(children) in a recursive loop: its items are steps too.
            args = (counted(args[0]), *args[1:])
        elif isinstance(__obj, (BuiltinMethodType, MethodType)):
            receiver = __obj.__self__
            kind = methods.kind_of(receiver)
            check = None if kind is None else methods.METHODS.get((kind, __obj.__name__))
            if check is None:
                raise SecurityError(NOT_AVAILABLE.format(name=__obj.__name__))
            _checked(__obj.__name__, check, budget, receiver, *args, **named)
        elif not (isinstance(__obj, (Macro, Undefined, _BoundedFormat)) or __obj is capped_range):
            raise SecurityError(NOT_AVAILABLE.format(name=getattr(__obj, "__name__", "this")))
        result = super().call(__context, __obj, *args, **kwargs)
        return budget.made(result, fresh=not any(result is arg for arg in args))


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    check = filters.FILTERS.get(name)
    passes = getattr(function, "jinja_pass_arg", None)

    @functools.wraps(function)  # with its jinja_pass_arg: Jinja passes it the same context
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if check is None:
            raise SecurityError(NOT_AVAILABLE.format(name=name))
        budget = current()
        value = args[0] if passes is None else args[1]
        _checked(name, check, budget, *((None,) if passes is None else ()), *args, **kwargs)
        result = function(*args, **kwargs)
        return budget.made(result, fresh=result is not value)

    return bounded


def _checked(name: str, check: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    try:
        check(*args, **kwargs)
    except TypeError:
        # The check takes the arguments of what it checks, under its own name.
        raise TypeError(WRONG_ARGUMENTS.format(name=name)) from None


def _ticking_test(function: Callable[..., Any]) -> Callable[..., Any]:
    passes = getattr(function, "jinja_pass_arg", None)

    @functools.wraps(function)  # with its jinja_pass_arg: Jinja passes it the same context
    def ticking(*args: Any, **kwargs: Any) -> Any:
        values = args[1:] if passes is not None else args
        current().spend(STEP_WORK + sum(map(size_of, values)))
        return function(*args, **kwargs)

    return ticking
