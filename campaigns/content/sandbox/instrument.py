"""Internal filters put in a parsed template, where the environment's hooks do not reach:
`~`, literals, slices, comparisons, loop steps, and what macros and blocks collect.
"""

from collections.abc import Iterator
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.runtime import Context, markup_join, str_join

from campaigns.content.sandbox.budget import STEP_WORK, counted, current, size_of
from campaigns.content.sandbox.costs import ESCAPED

# A space makes a name no template can write.
LOOP, TICK, CONCAT, MADE, OUTPUT, TEXT = (
    f"bounded {name}" for name in ("loop", "tick", "concat", "made", "output", "text")
)

# The internal filters take the context, so Jinja never folds them into constants.


@pass_context
def _loop(context: Context, iterable: Any) -> Iterator[Any]:
    return counted(iterable)


@pass_context
def _tick(context: Context, value: Any) -> Any:
    current().spend(STEP_WORK + size_of(value))
    return value


@pass_context
def _concat(context: Context, operands: tuple[Any, ...]) -> Any:
    budget = current()
    join = markup_join if context.eval_ctx.autoescape else str_join
    # markup_join escapes the other operands when one of them is markup.
    markup = join is markup_join and any(hasattr(x, "__html__") for x in operands)
    sizes = (
        size_of(x) * (ESCAPED if markup and not hasattr(x, "__html__") else 1) for x in operands
    )
    budget.expect_text(sum(sizes))
    return budget.made(join(operands))


@pass_context
def _made(context: Context, value: Any) -> Any:
    return current().made(value)


@pass_context
def _output(context: Context, value: Any) -> Any:
    size = size_of(value)
    if context.eval_ctx.autoescape and not hasattr(value, "__html__"):
        size *= ESCAPED
    budget = current()
    budget.spend(size)
    budget.use(size)
    return value


@pass_context
def _text(context: Context, size: int) -> str:
    budget = current()
    budget.spend(size)
    budget.use(size)
    return ""


INTERNAL_FILTERS = {
    LOOP: _loop,
    TICK: _tick,
    CONCAT: _concat,
    MADE: _made,
    OUTPUT: _output,
    TEXT: _text,
}


# What the buffer of a macro, call, filter or set block, or a recursive loop, collects
# before it is joined: each piece is counted as it is added.
_BUFFERING = (nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.AssignBlock, nodes.Block)


def instrument(tree: nodes.Template) -> nodes.Template:
    """Route loops, comparisons, `~`, literals, slices and buffered output through the
    budget."""
    _visit(tree, buffered=False)
    return tree


def _visit(node: nodes.Node, buffered: bool) -> nodes.Node:
    inner = buffered or isinstance(node, _BUFFERING)
    inner = inner or (isinstance(node, nodes.For) and node.recursive)
    for field in node.fields:
        value = getattr(node, field)
        if isinstance(value, list):
            setattr(node, field, [new for item in value for new in _visit_item(item, inner)])
        elif isinstance(value, nodes.Node):
            setattr(node, field, _visit(value, inner))
    return _guarded(node)


def _visit_item(item: Any, buffered: bool) -> list[Any]:
    if not isinstance(item, nodes.Node):
        return [item]
    item = _visit(item, buffered)
    if not (buffered and isinstance(item, nodes.Output)):
        return [item]
    literal = sum(len(child.data) for child in item.nodes if isinstance(child, nodes.TemplateData))
    item.nodes = [
        child if isinstance(child, nodes.TemplateData) else _filter(OUTPUT, child)
        for child in item.nodes
    ]
    if not literal:
        return [item]
    charge = _filter(TEXT, nodes.Const(literal, lineno=item.lineno))
    return [nodes.ExprStmt(charge, lineno=item.lineno), item]


def _guarded(node: nodes.Node) -> nodes.Node:
    if isinstance(node, nodes.For):
        # Jinja types a loop's iterable as a Node; its parser only ever puts an expression.
        assert isinstance(node.iter, nodes.Expr)
        node.iter = _filter(LOOP, node.iter)
    elif isinstance(node, nodes.Compare):
        node.expr = _filter(TICK, node.expr)
        for operand in node.ops:
            operand.expr = _filter(TICK, operand.expr)
    elif isinstance(node, nodes.Concat):
        return _filter(CONCAT, nodes.Tuple(node.nodes, "load", lineno=node.lineno))
    elif (
        isinstance(node, (nodes.List, nodes.Dict))
        or (isinstance(node, nodes.Tuple) and node.ctx == "load")
        # Jinja slices in Python, not through the environment's getitem.
        or (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Slice))
    ):
        return _filter(MADE, node)
    return node


def _filter(name: str, node: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)
