"""Which lead and property fields a step prints, and what happens when one is blank: read
once from the templates' syntax tree, not found out by rendering every lead.

For an empty value (None or blank text) a use is a FALLBACK (`default(x, true)`, `or x`,
`field if field else x`), LEFT_OUT (inside `{% if field %}`) or BLANK (printed as is, and
`default(x)` without `true` prints it as is too: it only replaces what is missing). For a
missing property (no linked listing) a use is a FALLBACK (any `default`), LEFT_OUT (inside
`{% if property %}`) or FAILS (the sandbox refuses to read a field of nothing).
"""

import functools
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError, nodes

from campaigns.content import rendering

OBJECTS = ("lead", "property")
# The lead's own fields whose values are fields again (`lead.custom.neighborhood`).
NESTED = ("lead.custom",)
ABSENT = object()
FALLBACK, LEFT_OUT, BLANK, FAILS = "fallback", "left out", "blank", "fails"
# Worse outcomes win when a step prints a field more than once.
_RANK = {LEFT_OUT: 0, FALLBACK: 1, BLANK: 2, FAILS: 2}


@dataclass(frozen=True)
class Use:
    """How a step treats a field: when empty, when its object is missing, and the fallback
    text (None when the fallback is not a constant)."""

    empty: str
    missing: str
    fallback: str | None = None
    missing_only_default: bool = False  # default(x) without true: a hint for staff

    def worse(self, other: "Use") -> "Use":
        empty = self if _RANK[self.empty] >= _RANK[other.empty] else other
        missing = self if _RANK[self.missing] >= _RANK[other.missing] else other
        return Use(
            empty.empty,
            missing.missing,
            empty.fallback if empty.empty == FALLBACK else missing.fallback,
            self.missing_only_default or other.missing_only_default,
        )


PLAIN = Use(BLANK, FAILS)


def step_uses(*sources: tuple[str, bool]) -> dict[str, Use]:
    """For each field ("lead.city") printed by these (source, is_html) templates, its use."""
    found: dict[str, Use] = {}
    for source, html in sources:
        for field, use in _template_uses(source, html):
            found[field] = use.worse(found[field]) if field in found else use
    return found


@functools.lru_cache(maxsize=256)
def _template_uses(source: str, html: bool) -> tuple[tuple[str, Use], ...]:
    if not source.strip():
        return ()
    env = rendering.HTML_ENV if html else rendering.TEXT_ENV
    try:
        tree = env.parse(source)
    except TemplateSyntaxError:
        return ()  # it cannot render at all: reported as a failure with its line
    found: dict[str, Use] = {}
    _visit(tree, frozenset(), PLAIN, found)
    return tuple(found.items())


def _key(node: nodes.Getattr | nodes.Getitem) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    key = node.arg
    if isinstance(key, nodes.Const) and isinstance(key.value, str):
        return key.value
    return None


def _field(node: nodes.Node) -> str | None:
    """ "lead.city" for `lead.city` or `lead["city"]`; "lead.custom.neighborhood" for a
    custom field; None for anything else."""
    if not isinstance(node, (nodes.Getattr, nodes.Getitem)):
        return None
    owner = node.node
    if isinstance(owner, nodes.Name) and owner.name in OBJECTS:
        key = _key(node)
        return f"{owner.name}.{key}" if key is not None else None
    inner = _field(owner)
    if inner in NESTED:
        key = _key(node)
        return f"{inner}.{key}" if key is not None else None
    return None


def value_of(values: dict[str, dict | None], name: str) -> object:
    """A field's value in a context's `lead` and `property` ("lead.custom.neighborhood"
    walks into the custom fields); ABSENT when its object is missing."""
    owner, *path = name.split(".")
    read: object = values.get(owner)
    if read is None:
        return ABSENT
    for step in path:
        read = read.get(step, "") if isinstance(read, dict) else ""
    return read


def _tested(test: nodes.Node) -> frozenset[str]:
    """The fields, and the objects read whole, that a condition looks at: what it guards
    when true."""
    read: set[str] = set()
    whole: set[str] = set()
    _reads(test, None, read, whole)
    return frozenset(read | whole)


def _const(node: nodes.Node | None) -> str | None:
    if isinstance(node, nodes.Const) and node.value is not None:
        return str(node.value)
    return None


def _record(found: dict[str, Use], field: str, guards: frozenset[str], use: Use) -> None:
    empty, missing = use.empty, use.missing
    if field in guards and empty == BLANK:
        empty = LEFT_OUT  # `{% if lead.city %}`; on a missing object the test itself fails
    if field.partition(".")[0] in guards and missing == FAILS:
        missing = LEFT_OUT  # `{% if property %}`
    use = Use(empty, missing, use.fallback, use.missing_only_default and empty == BLANK)
    found[field] = use.worse(found[field]) if field in found else use


def _visit(node: nodes.Node, guards: frozenset[str], use: Use, found: dict[str, Use]) -> None:
    field = _field(node)
    if field is not None:
        _record(found, field, guards, use)
        return
    if isinstance(node, nodes.If):
        # The condition prints nothing; its body runs only when the condition holds.
        for child in node.body:
            _visit(child, guards | _tested(node.test), PLAIN, found)
        for branch in node.elif_:
            _visit(branch, guards, PLAIN, found)
        for child in node.else_:
            _visit(child, guards, PLAIN, found)
        return
    if isinstance(node, nodes.CondExpr):
        tested, field = _tested(node.test), _field(node.expr1)
        if field is not None and field in tested and node.expr2 is not None:
            # `lead.city if lead.city else "your area"`; the test fails on a missing object.
            _record(found, field, guards, Use(FALLBACK, FAILS, _const(node.expr2)))
        else:
            _visit(node.expr1, guards | tested, use, found)
        if node.expr2 is not None:
            _visit(node.expr2, guards, use, found)
        return
    if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node:
        boolean = len(node.args) > 1 and _const(node.args[1]) == "True"
        boolean |= any(kw.key == "boolean" and _const(kw.value) == "True" for kw in node.kwargs)
        fallback = _const(node.args[0]) if node.args else ""
        inner = Use(FALLBACK if boolean else BLANK, FALLBACK, fallback, not boolean)
        _visit(node.node, guards, inner, found)
        for argument in [*node.args, *(kw.value for kw in node.kwargs)]:
            _visit(argument, guards, PLAIN, found)
        return
    if isinstance(node, nodes.Filter) and node.node:
        # `lead.city|title` is blank when the city is: the use passes through.
        _visit(node.node, guards, use, found)
        for argument in [*node.args, *(kw.value for kw in node.kwargs)]:
            _visit(argument, guards, PLAIN, found)
        return
    if isinstance(node, nodes.Or):
        # `lead.city or "x"`; reading a field of a missing object still fails.
        _visit(node.left, guards, Use(FALLBACK, FAILS, _const(node.right)), found)
        _visit(node.right, guards, use, found)
        return
    for child in node.iter_child_nodes():
        _visit(child, guards, PLAIN, found)


@dataclass(frozen=True)
class Reads:
    """What a template's output depends on besides what is the same for every lead of a
    campaign (organization, sender): these fields, and these objects read whole."""

    fields: frozenset[str]
    whole: frozenset[str]


@functools.lru_cache(maxsize=256)
def template_reads(source: str, html: bool) -> Reads | None:
    """None when that cannot be told from the tree: the unsubscribe link used otherwise
    than printed as is (its text then matters), or the `random` filter."""
    env = rendering.HTML_ENV if html else rendering.TEXT_ENV
    try:
        tree = env.parse(source)
    except TemplateSyntaxError:
        return Reads(frozenset(), frozenset())  # fails the same way for every lead
    found: set[str] = set()
    whole: set[str] = set()
    if not _reads(tree, None, found, whole):
        return None
    return Reads(frozenset(found), frozenset(whole))


def _reads(node: nodes.Node, parent: nodes.Node | None, found: set, whole: set) -> bool:
    """Collect what `node` reads; False when its output cannot be reused (see above)."""
    reusable = not (isinstance(node, nodes.Filter) and node.name == "random")
    if isinstance(node, nodes.Name):
        if node.name == "unsubscribe_url" and not isinstance(parent, nodes.Output):
            reusable = False
        if node.name in OBJECTS and not (parent is not None and _field(parent)):
            whole.add(node.name)
        if node.name == "listing_card":  # the property's card: it reads all of it
            whole.add("property")
    field = _field(node)
    if field is not None:
        if isinstance(parent, nodes.Call) and parent.node is node:
            field = field.rpartition(".")[0]  # `lead.custom.items()`: the whole dict
        found.add(field)
    children = [_reads(child, node, found, whole) for child in node.iter_child_nodes()]
    return reusable and all(children)
