"""A template in its own words, for labels and lists: the text staff wrote, each merge field
a readable chip ("Welcome to Sunset Realty, ‹first name›"), never a sample lead's values nor
template code. The agency's own fields read as they are (its name), and so do a listing's
when the message is about one listing (a listing alert's email)."""

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jinja2 import TemplateSyntaxError, nodes

from campaigns.content import rendering

# The chips of the fields the editor's picker inserts (live_preview.MERGE_FIELDS), in its
# words; any other field reads as its name ("lead.budget_max": ‹budget max›).
CHIPS = {
    "lead.first_name": gettext_noop("first name"),
    "lead.last_name": gettext_noop("last name"),
    "lead.name": gettext_noop("full name"),
    "lead.city": gettext_noop("city"),
    "lead.email": gettext_noop("email"),
    "property.title": gettext_noop("property"),
    "property.address": gettext_noop("property address"),
    "property.url": gettext_noop("property link"),
    "property.city": gettext_noop("property city"),
    "property.price": gettext_noop("price"),
    "property.old_price": gettext_noop("old price"),
    "listing_card": gettext_noop("listing card"),
    "sender.name": gettext_noop("your name"),
    "sender.email": gettext_noop("your email"),
    "unsubscribe_url": gettext_noop("unsubscribe link"),
}
UNREADABLE = "…"


class Chip(str):
    """A merge field shown as its name: text, and no number (`* 2` on it is refused, so the
    template is read from its syntax instead)."""

    def __mul__(self, other: Any) -> Any:
        raise TypeError("a merge field's chip is not a number")

    __rmul__ = __mul__


def chip(words: str) -> str:
    return Chip(f"‹{words}›")


def as_written(
    source: str,
    *,
    organization: dict[str, Any] | None = None,
    listing: dict[str, Any] | None = None,
) -> str:
    """The template's words on one line, merge fields as chips. `organization` and
    `listing` (plain values, as templates read them) fill in their own fields, and decide
    the conditions on them; empty when the template cannot be read (a syntax error: the
    editor says where).

    It is rendered with a chip for each field, so that a condition on a known value takes
    its branch; a template that cannot take a chip for a value (arithmetic on a price)
    has its words read from its syntax tree instead (a condition's first branch)."""
    try:
        text = rendering.render(source, _chip_context(organization, listing), html=False)
    except rendering.TemplateError:
        try:
            tree = rendering.TEXT_ENV.parse(source)
        except (TemplateSyntaxError, RecursionError):
            return ""
        known = {"organization": organization or {}, "property": listing or {}}
        text = _words(tree.body, known)
    # One line; the no-break spaces of money ("900 000 €") stay.
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()


class _Chips(dict):
    """A lead's custom fields: each reads as its chip."""

    def __missing__(self, key: str) -> str:
        return chip(key.replace("_", " "))


def _chips(root: str, names: Any) -> dict[str, Any]:
    return {name: _chip_for(root, name) for name in names}


def _chip_for(root: str, name: str) -> str:
    dotted = f"{root}.{name}"
    return chip(_(CHIPS[dotted]) if dotted in CHIPS else name.replace("_", " "))


def _chip_context(
    organization: dict[str, Any] | None, listing: dict[str, Any] | None
) -> dict[str, Any]:
    sample = rendering.SAMPLE_CONTEXT
    lead = {**_chips("lead", sample["lead"]), "custom": _Chips()}
    return {
        "lead": lead,
        "property": listing if listing is not None else _chips("property", sample["property"]),
        "listing_card": chip(_(CHIPS["listing_card"])),
        "organization": {**_chips("organization", sample["organization"]), **(organization or {})},
        "sender": _chips("sender", sample["sender"]),
        "unsubscribe_url": chip(_(CHIPS["unsubscribe_url"])),
    }


def _words(body: list[nodes.Node], known: dict[str, dict[str, Any]]) -> str:
    parts = []
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    parts.append(child.data)
                else:
                    parts.append(_field(child, known))
        elif isinstance(node, (nodes.If, nodes.For, nodes.With, nodes.FilterBlock)):
            parts.append(_words(node.body, known))  # a condition's first branch, a loop once
    return "".join(parts)


def _field(expression: nodes.Node, known: dict[str, dict[str, Any]]) -> str:
    """A merge field's chip, or its value when it is the agency's or the listing's."""
    while isinstance(expression, (nodes.Filter, nodes.Test)) and expression.node is not None:
        expression = expression.node  # `lead.first_name | default("there")`: the field
    if isinstance(expression, nodes.Const) and isinstance(expression.value, str):
        return expression.value
    # A calculation reads as the first field it uses (`lead.budget_max * 2`: ‹budget max›).
    inside = (_path(node) for node in [expression, *expression.find_all(nodes.Getattr)])
    path = next((found for found in inside if found), [])
    if not path:
        return chip(UNREADABLE)
    root, *rest = path
    if root in known and rest and rest[0] in known[root]:
        value = known[root][rest[0]]
        if value not in (None, ""):
            return f"{value:,}" if isinstance(value, int) else str(value)
    dotted = ".".join(path[:2])
    if dotted in CHIPS:
        return chip(_(CHIPS[dotted]))
    return chip(path[-1].replace("_", " "))


def _path(expression: nodes.Node) -> list[str]:
    """["lead", "first_name"] for `lead.first_name` (or `lead["first_name"]`); [] for an
    expression that is not a field."""
    names: list[str] = []
    while True:
        if isinstance(expression, nodes.Getattr):
            names.insert(0, expression.attr)
            expression = expression.node
        elif isinstance(expression, nodes.Getitem) and isinstance(expression.arg, nodes.Const):
            names.insert(0, str(expression.arg.value))
            expression = expression.node
        elif isinstance(expression, nodes.Name):
            return [expression.name, *names]
        else:
            return []
