"""The one renderer: staff-written Jinja2 templates in a sandbox, checked when saved.

HTML is autoescaped; undefined variables are errors; the context holds plain values only
(never model instances, settings or the request), so a template can reach nothing else.

No template can take the server's memory or CPU: every render, wherever it runs (save,
preview, test send, launch, send), is bounded in the worker itself (campaigns/content/sandbox/).
- Python cannot stop one long C call, such as `(9**99)**99` or `'x'.ljust(10**8)`, so
  each operation that can make a value bigger than its inputs (operators, `~`, methods,
  filters, tests, `%` and str.format, slices, literals) is sized *before* it runs, from
  its operands: texts stay under a million characters, lists under 100,000 items,
  numbers under 1,230 digits, and a list weighs what it would print, so that lists of
  lists cannot hide a blow-up. A method or filter without such a rule cannot be called.
- A budget per render adds up the memory of all it makes (16 MB), loop steps (100,000)
  and CPU time (0.2 s, read between operations); what a macro, loop or block collects
  is counted as it is added.
- The template itself: 100,000 characters and 5,000 tokens (compiling costs ~50 µs a
  token); an HTML part: 10,000 tags (its plain-text version is parsed in Python).
A render that would go over is refused with a TemplateError naming the line, so the
step's form refuses the template at save.
We chose this over rendering in a forked child under rlimits: a blast renders a step for
each lead, and a fork per message costs more than the render; a check at save, with
sample data, proves nothing for a lead whose fields take another branch; and forking a
threaded web worker is unsafe. The tests fork, with rlimits, to check the bound.
"""

import datetime
import functools
import sys
import traceback
from dataclasses import dataclass
from itertools import islice
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError

from campaigns.content import formats, template_errors
from campaigns.content.html_text import drop_empty_links, html_to_text
from campaigns.content.listing_card import listing_card
from campaigns.content.sandbox import budget
from campaigns.content.sandbox.environment import BoundedSandbox
from campaigns.content.sandbox.instrument import instrument
from crm.importing.values import phone_as_written

CONTEXT_NAMES = frozenset(
    {"lead", "property", "listing_card", "organization", "sender", "unsubscribe_url"}
)
MAX_OUTPUT = 512 * 1024  # characters in one rendered part
MAX_SEQUENCE_PRODUCT = 100_000
MAX_SOURCE = 100_000  # characters of one template
MAX_TOKENS = 5_000  # names, operators, values and text pieces of one template
MAX_TAGS = 10_000  # "<" in a rendered HTML part: its plain-text version takes ~10 µs each

FORBIDDEN_NAME = "“{name}” is not available in email templates"
PRIVATE_ATTRIBUTE = "attributes starting with “_” are not allowed (“{name}”)"
TOO_LARGE = "the rendered text is larger than {limit:,} characters"
TOO_MUCH_REPETITION = "repeating text more than {limit:,} times is not allowed"
SOURCE_TOO_LONG = "a template may hold at most {limit:,} characters"
TOO_MANY_TOKENS = (
    "this template holds too much code: more than {limit:,} names, operators and values"
)
TOO_NESTED = "this template nests too deeply (brackets, loops, or macros calling themselves)"
TOO_MANY_TAGS = "the HTML may hold at most {limit:,} tags"


class TemplateError(Exception):
    """A template that cannot be rendered: `line` is 1-based, or None when unknown."""

    def __init__(self, message: str, line: int | None = None, part: str = "") -> None:
        self.message, self.line, self.part = message, line, part
        super().__init__(str(self))

    def __str__(self) -> str:
        named = self.line is None or f"line {self.line}" in self.message
        return self.message if named else f"Line {self.line}: {self.message}"


class CustomValues(dict):
    """A lead's custom fields (`lead.custom.neighborhood`): a field the lead has no value
    for reads as empty, like any blank field, so that `default(…, true)` applies and the
    preflight counts it (a field no lead of the agency has is blank for all of them)."""

    def __missing__(self, key: str) -> str:
        return ""


class _Environment(BoundedSandbox):
    def getattr(self, obj: Any, attribute: str) -> Any:
        # The context is plain dicts: `lead.city` reads the key first, instead of failing an
        # attribute look-up on every use (a third of the rendering time for a blast).
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        if type(obj) is CustomValues:
            return obj[attribute]  # a field named "items" is the field, not dict.items
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, (str, list, tuple))
                    and isinstance(count, int)
                    and len(sequence) * count > MAX_SEQUENCE_PRODUCT
                ):
                    raise SecurityError(TOO_MUCH_REPETITION.format(limit=MAX_SEQUENCE_PRODUCT))
        return super().call_binop(context, operator, left, right)


def _environment(autoescape: bool) -> _Environment:
    return _Environment(
        undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=True
    )


HTML_ENV = _environment(autoescape=True)
TEXT_ENV = _environment(autoescape=False)


def _error_line() -> int | None:
    for frame in reversed(traceback.extract_tb(sys.exc_info()[2])):
        if frame.filename == "<template>":
            return frame.lineno
    return None


def _check_size(env: _Environment, source: str) -> None:
    # Compiling costs about 50 µs a token: a template of dense tags could take seconds.
    if len(source) > MAX_SOURCE:
        raise TemplateError(SOURCE_TOO_LONG.format(limit=MAX_SOURCE))
    tokens = sum(1 for _ in islice(env.lexer.tokeniter(source, None), MAX_TOKENS + 1))
    if tokens > MAX_TOKENS:
        raise TemplateError(TOO_MANY_TOKENS.format(limit=MAX_TOKENS))


def _check_names(tree: nodes.Template, source: str) -> None:
    for node in tree.find_all((nodes.Getattr, nodes.Name)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Name):
            name = node.name
        else:
            continue
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


@functools.lru_cache(maxsize=128)
def _compile(source: str, html: bool) -> Template:
    """Checked and compiled once per distinct source: a blast renders one step many times."""
    env = HTML_ENV if html else TEXT_ENV
    # Constant filters that Jinja folds while compiling have a small budget of their own:
    # what they make stays in the compiled template, in the cache.
    token = budget.open_budget(budget.Budget(memory=budget.MAX_FOLDED))
    try:
        _check_size(env, source)
        tree = env.parse(source)
        _check_names(tree, source)
        code = env.compile(instrument(tree))
        # Plain globals, not make_globals()' ChainMap: each render copies them into its context.
        return env.template_class.from_code(env, code, dict(env.globals), None)
    except TemplateSyntaxError as error:
        raise TemplateError(*template_errors.syntax(error, source)) from None
    except (RecursionError, SyntaxError, MemoryError):
        # Python's own limits: nested brackets, or more than 20 nested loops.
        raise TemplateError(TOO_NESTED) from None
    finally:
        budget.close_budget(token)


def render(source: str, context: dict[str, Any], *, html: bool) -> str:
    """Render one template; every failure is a TemplateError naming the line."""
    token = budget.open_budget()
    try:
        size, parts = 0, []
        for chunk in _compile(source, html).generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateError(TOO_LARGE.format(limit=MAX_OUTPUT))
            parts.append(chunk)
        rendered = "".join(parts)
        if html and rendered.count("<") > MAX_TAGS:
            raise TemplateError(TOO_MANY_TAGS.format(limit=MAX_TAGS))
        return rendered
    except TemplateError:
        raise
    except UndefinedError as error:
        message = template_errors.undefined(error, SAMPLE_CONTEXT)
        raise TemplateError(message, _error_line()) from None
    except SecurityError as error:
        raise TemplateError(f"not allowed: {error}", _error_line()) from None
    except TemplateSyntaxError as error:
        raise TemplateError(*template_errors.syntax(error, source)) from None
    except formats.FormatError as error:
        raise TemplateError(str(error), _error_line()) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, OverflowError) as error:
        raise TemplateError(template_errors.calculation(error), _error_line()) from None
    except RecursionError:
        raise TemplateError(TOO_NESTED, _error_line()) from None
    except Exception as error:
        # Whatever else a staff template raises is a mistake in it, never a server error.
        raise TemplateError(f"{type(error).__name__}: {error}", _error_line()) from None
    finally:
        budget.close_budget(token)


@functools.lru_cache(maxsize=128)
def _text_template(html_source: str) -> str | None:
    """The HTML template turned into a text template once, instead of every message's HTML
    turned into text: same words, a fraction of the work. None when that is not safe."""
    if html_source.count("<") > MAX_TAGS:
        return None
    try:
        tokens = TEXT_ENV.lexer.tokeniter(html_source, None)
        if any(kind != "data" and ("<" in value or ">" in value) for _, kind, value in tokens):
            return None  # a comparison inside a tag would read as HTML markup
        derived = html_to_text(html_source, mark_links=True)
        _check_size(TEXT_ENV, derived)
        TEXT_ENV.parse(derived)
    except (TemplateError, TemplateSyntaxError, ValueError, RecursionError):
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
    """A lead as templates read it: its phone as people of the agency's country write it."""
    return {
        "name": lead.name,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": _phone_shown(lead.phone, lead.organization.country) if lead.phone else "",
        "city": lead.city,
        "status": lead.status,
        "budget_min": lead.budget_min,
        "budget_max": lead.budget_max,
        "source": lead.source,
        "created_at": lead.created_at,
        "custom": CustomValues(lead.custom or {}),
    }


@functools.lru_cache(maxsize=4096)
def _phone_shown(phone: str, country: str) -> str:
    return phone_as_written(phone, country)


def property_values(item: Any, old_price: int | None = None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "title": item.title,
        "city": item.city,
        "address": item.address,
        "price": item.price,
        "old_price": old_price,
        "bedrooms": item.bedrooms,
        "bathrooms": item.bathrooms,
        "area": item.area,
        "url": item.url,
        "photo_url": item.photo_url,
    }


@dataclass(frozen=True)
class Listing:
    """The property a message is about when it is not the lead's own (a listing alert), and
    the price before the drop the alert is about (None for a new listing)."""

    property: Any
    old_price: int | None = None


def uses_card(*sources: str) -> bool:
    """Whether these templates can print the listing card: a template reads a name only by
    writing it (the sandbox has no other way in), so the card of a step that never names it
    is not made (a few hundred µs a message, in the locale's words and formats)."""
    return any("listing_card" in source for source in sources)


def message_context(
    *,
    lead: Any,
    sender: Any,
    unsubscribe_url: str,
    listing: Listing | None = None,
    card: bool = True,
) -> dict[str, Any]:
    """The documented context, as plain values: nothing else reaches a template. `property`
    is the listing's when there is one, else the lead's linked property; `card` False
    leaves the listing card empty (uses_card)."""
    organization = lead.organization
    if listing is None:
        values = property_values(lead.property)
    else:
        values = property_values(listing.property, listing.old_price)
    return {
        "lead": lead_values(lead),
        "property": values,
        "listing_card": listing_card(values if card else None),
        "organization": {"name": organization.name, "postal_address": organization.postal_address},
        "sender": {
            "name": sender.display_name if sender else organization.name,
            "email": sender.email_address if sender else "",
        },
        "unsubscribe_url": unsubscribe_url,
    }


SAMPLE_CONTEXT: dict[str, Any] = {
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
        "created_at": datetime.datetime(2026, 3, 5, 17, 30, tzinfo=datetime.UTC),
        "custom": CustomValues({"neighborhood": "Echo Park"}),
    },
    "property": {
        "title": "Sample home",
        "city": "Los Angeles",
        "address": "1 Main St",
        "price": 650000,
        "old_price": 700000,
        "bedrooms": 3,
        "bathrooms": 2,
        "area": 1450,
        "url": "https://example.com/listing",
        "photo_url": "https://example.com/listing.jpg",
    },
    "organization": {"name": "Sample Realty", "postal_address": "1 Main St, Los Angeles"},
    "sender": {"name": "Alex Agent", "email": "alex@example.com"},
    "unsubscribe_url": "https://example.com/u/sample",
}
SAMPLE_CONTEXT["listing_card"] = listing_card(SAMPLE_CONTEXT["property"])
