"""The one renderer: staff-written Jinja2 templates in a sandbox, checked when saved.

HTML is autoescaped; undefined variables are errors; the context holds plain values only
(never model instances, settings or the request), so a template can reach nothing else.
"""

import functools
import re
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaigns import template_errors
from campaigns.html_text import drop_empty_links, html_to_text

CONTEXT_NAMES = frozenset({"lead", "property", "organization", "sender", "unsubscribe_url"})
MAX_OUTPUT = 512 * 1024  # characters in one rendered part
MAX_RANGE = 1000
MAX_LOOP_ITEMS = 10_000  # range() items in one rendering, nested loops included
MAX_SEQUENCE_PRODUCT = 100_000

FORBIDDEN_NAME = "“{name}” is not available in email templates"
PRIVATE_ATTRIBUTE = "attributes starting with “_” are not allowed (“{name}”)"
TOO_LARGE = "the rendered text is larger than {limit:,} characters"
TOO_MUCH_REPETITION = "repeating text more than {limit:,} times is not allowed"


class TemplateError(Exception):
    """A template that cannot be rendered: `line` is 1-based, or None when unknown."""

    def __init__(self, message: str, line: int | None = None, part: str = "") -> None:
        self.message, self.line, self.part = message, line, part
        super().__init__(str(self))

    def __str__(self) -> str:
        named = self.line is None or f"line {self.line}" in self.message
        return self.message if named else f"Line {self.line}: {self.message}"


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        # The context is plain dicts: `lead.city` reads the key first, instead of failing an
        # attribute look-up on every use (a third of the rendering time for a blast).
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        # The sandbox caps range() only: 'a' * 10**9 would still eat the memory.
        if operator == "**" and isinstance(right, int) and abs(right) > 100:
            raise SecurityError("exponents above 100 are not allowed")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, (str, list, tuple))
                    and isinstance(count, int)
                    and len(sequence) * count > MAX_SEQUENCE_PRODUCT
                ):
                    raise SecurityError(TOO_MUCH_REPETITION.format(limit=MAX_SEQUENCE_PRODUCT))
        return super().call_binop(context, operator, left, right)


def _budgeted_range() -> Any:
    """A range() for one rendering: each call is capped, and so is their total."""
    used = 0

    def capped_range(*args: int) -> range:
        nonlocal used
        result = range(*args)
        used += len(result)
        if len(result) > MAX_RANGE:
            raise SecurityError(f"range() is limited to {MAX_RANGE} items")
        if used > MAX_LOOP_ITEMS:
            raise SecurityError(f"loops are limited to {MAX_LOOP_ITEMS:,} steps in all")
        return result

    return capped_range


def _environment(autoescape: bool) -> _Environment:
    env = _Environment(undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=True)
    # No lipsum, cycler, joiner or namespace: their internals are known escape routes.
    env.globals = {}
    return env


HTML_ENV = _environment(autoescape=True)
TEXT_ENV = _environment(autoescape=False)


def _error_line() -> int | None:
    for frame in reversed(traceback.extract_tb(sys.exc_info()[2])):
        if frame.filename == "<template>":
            return frame.lineno
    return None


def _check_names(env: _Environment, source: str) -> None:
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateError(*template_errors.syntax(error, source)) from None
    for node in tree.find_all((nodes.Getattr, nodes.Name)):
        name = node.attr if isinstance(node, nodes.Getattr) else node.name
        if name.startswith("_"):
            raise TemplateError(PRIVATE_ATTRIBUTE.format(name=name), node.lineno)
        if isinstance(node, nodes.Name) and name == "self":
            raise TemplateError(FORBIDDEN_NAME.format(name=name), node.lineno)
    try:
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateSyntaxError as error:  # an unknown filter or test
        raise TemplateError(*template_errors.syntax(error, source)) from None
    for name in sorted(undeclared - CONTEXT_NAMES - {"range"}):
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
        raise TemplateError(template_errors.unknown_name(name, CONTEXT_NAMES), line)
    if problem := template_errors.unknown_field(tree, SAMPLE_CONTEXT):
        raise TemplateError(*problem)


@functools.lru_cache(maxsize=512)
def _compile(source: str, html: bool) -> Template:
    """Checked and compiled once per distinct source: a blast renders one step many times."""
    env = HTML_ENV if html else TEXT_ENV
    _check_names(env, source)
    try:
        return env.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateError(*template_errors.syntax(error, source)) from None


def render(source: str, context: dict[str, Any], *, html: bool) -> str:
    """Render one template; every failure is a TemplateError naming the line."""
    template = _compile(source, html)
    try:
        size, parts = 0, []
        for chunk in template.generate(**context, range=_budgeted_range()):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateError(TOO_LARGE.format(limit=MAX_OUTPUT))
            parts.append(chunk)
        return "".join(parts)
    except TemplateError:
        raise
    except UndefinedError as error:
        message = template_errors.undefined(error, SAMPLE_CONTEXT)
        raise TemplateError(message, _error_line()) from None
    except SecurityError as error:
        raise TemplateError(f"not allowed: {error}", _error_line()) from None
    except TemplateSyntaxError as error:
        raise TemplateError(*template_errors.syntax(error, source)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, OverflowError) as error:
        raise TemplateError(template_errors.calculation(error), _error_line()) from None


_JINJA_TAGS = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


@functools.lru_cache(maxsize=256)
def _text_template(html_source: str) -> str | None:
    """The HTML template turned into a text template once, instead of every message's HTML
    turned into text: same words, a fraction of the work. None when that is not safe."""
    if any("<" in tag or ">" in tag for tag in _JINJA_TAGS.findall(html_source)):
        return None  # a comparison inside a tag would read as HTML markup
    try:
        derived = html_to_text(html_source, mark_links=True)
        TEXT_ENV.parse(derived)
    except (TemplateSyntaxError, ValueError):
        return None
    return derived


def _derived_text(html_source: str, context: dict[str, Any], rendered_html: str) -> str:
    derived = _text_template(html_source)
    if derived is not None:
        try:
            return drop_empty_links(render(derived, context, html=False))
        except TemplateError:
            pass  # e.g. a tag split by the conversion: convert the rendered HTML instead
    return html_to_text(rendered_html)


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def render_message(*, subject: str, html: str, text: str, context: dict[str, Any]) -> Rendered:
    """Render a step's three parts; the text part is made from the HTML when empty."""
    results = {}
    for part, source, is_html in (
        ("subject", subject, False),
        ("html", html, True),
        ("text", text, False),
    ):
        if part == "text" and not source.strip():
            continue
        try:
            results[part] = render(source, context, html=is_html)
        except TemplateError as error:
            error.part = part
            raise
        if part == "html" and not text.strip():
            results["text"] = _derived_text(source, context, results[part])
    # A subject is one header line: no line breaks can reach the headers.
    clean_subject = " ".join(results["subject"].split())
    plain = results["text"]
    return Rendered(subject=clean_subject, html=results["html"], text=plain)


def lead_values(lead: Any) -> dict[str, Any]:
    first, _, last = lead.name.partition(" ")
    return {
        "name": lead.name,
        "first_name": first,
        "last_name": last,
        "email": lead.email,
        "phone": lead.phone,
        "city": lead.city,
        "status": lead.status,
        "budget_min": lead.budget_min,
        "budget_max": lead.budget_max,
        "source": lead.source,
    }


def property_values(item: Any) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "title": item.title,
        "city": item.city,
        "address": item.address,
        "price": item.price,
        "bedrooms": item.bedrooms,
        "url": item.url,
    }


def message_context(*, lead: Any, sender: Any, unsubscribe_url: str) -> dict[str, Any]:
    """The documented context, as plain values: nothing else reaches a template."""
    organization = lead.organization
    return {
        "lead": lead_values(lead),
        "property": property_values(lead.property),
        "organization": {"name": organization.name, "postal_address": organization.postal_address},
        "sender": {
            "name": sender.display_name if sender else organization.name,
            "email": sender.email_address if sender else "",
        },
        "unsubscribe_url": unsubscribe_url,
    }


SAMPLE_CONTEXT = {
    "lead": {
        "name": "Sam Sample",
        "first_name": "Sam",
        "last_name": "Sample",
        "email": "sam@example.com",
        "phone": "+1 310 555 0100",
        "city": "Los Angeles",
        "status": "new",
        "budget_min": 500000,
        "budget_max": 750000,
        "source": "Website",
    },
    "property": {
        "title": "Sample home",
        "city": "Los Angeles",
        "address": "1 Main St",
        "price": 650000,
        "bedrooms": 3,
        "url": "https://example.com/listing",
    },
    "organization": {"name": "Sample Realty", "postal_address": "1 Main St, Los Angeles"},
    "sender": {"name": "Alex Agent", "email": "alex@example.com"},
    "unsubscribe_url": "https://example.com/u/sample",
}
