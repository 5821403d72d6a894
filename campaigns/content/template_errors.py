"""Template mistakes said in the words of the person who wrote the email.

Jinja reports what its parser expected ("'dict object' has no attribute", "Jinja was looking
for the following tags"); an agent needs what is wrong, on which line, and what was probably
meant. Each function returns (message, line) for rendering.TemplateError.
"""

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, UndefinedError, nodes
from jinja2.filters import FILTERS
from jinja2.tests import TESTS

from campaigns.content.formats import TEMPLATE_FILTERS

UNKNOWN_FIELD = "There is no field “{field}” on {owner}."
DID_YOU_MEAN = " Did you mean “{suggestion}”?"
FIELDS_ARE = " {owner} has: {fields}."
UNKNOWN_NAME = "There is no “{name}” in an email template."
NAMES_ARE = " You can use {names}."
NO_PROPERTY = (
    "This lead has no property linked, so “property.{field}” has no value. Show it only "
    "when there is one: {{% if property %}}…{{% endif %}}."
)
NOT_A_FIELD = "“{field}” is not a field of {value}."
EMPTY_VALUE = (
    "A value used in a comparison or a sum is empty for this lead. Give it a fallback, "
    "e.g. {{ lead.budget_max | default(0, true) }}."
)
CANNOT_CALCULATE = "This cannot be calculated: {error}."
NEVER_CLOSED = "{article} {{% {tag} %}} on line {line} is never closed: add {{% end{tag} %}}."
CLOSE_INNER_FIRST = (
    "{article} {{% {tag} %}} on line {line} is still open when {{% {closing} %}} comes: "
    "add {{% end{tag} %}} before it."
)
NOTHING_TO_CLOSE = "This {{% {closing} %}} has no {{% {tag} %}} before it to close."
OUTSIDE_OF_IF = "This {{% {tag} %}} is not inside an {{% if %}} (or a {{% for %}})."
ELSE_ALREADY = (
    "The {{% {opener} %}} on line {line} already has its {{% else %}}: nothing else can come "
    "after it but {{% end{opener} %}}."
)
UNKNOWN_TAG = "There is no {{% {tag} %}} tag."
DID_YOU_MEAN_TAG = " Did you mean {{% {tag} %}}?"
TAGS_ARE = " Tags look like {% if lead.city %}…{% endif %} or {% for … in … %}…{% endfor %}."
UNKNOWN_FILTER = "There is no filter “{name}” (the word after “|”)."
UNKNOWN_TEST = "There is no test “{name}” (the word after “is”)."
PRINT_NOT_CLOSED = "A {{ is never closed: end it with }}."
PRINT_HALF_CLOSED = "A {{ … }} ends with a single }: it needs two, }}."
TAG_NOT_CLOSED = "A {% is never closed: end it with %}."
EMPTY_PRINT = "An empty {{ }}: put a field inside, like {{ lead.first_name }}."
EMPTY_TAG = "An empty {% %}: write a tag inside, like {% if lead.city %}."
MISSING_VALUE = "This {% … %} needs a value, like {% if lead.city %}."
FOR_WITHOUT_IN = "A {% for %} is written {% for item in list %}: its “in” is missing."
NAME_MISSING = (
    'A name is missing after a “.” or a “|”, as in lead.first_name or | default("there", true).'
)
UNEXPECTED_WORD = "“{word}” is not expected here."
IN_PRINT_HINT = " Inside {{ … }} write one field, like {{ lead.first_name }} (no spaces in a name)."
COMPARE_HINT = " To compare, write == (two equals signs)."
UNCLOSED_BRACKET = "A “{opening}” is never closed: add “{closing}”."
UNCLOSED_QUOTE = "A text in quotes is never closed: add the closing {quote}."
BAD_CHARACTER = "The character “{char}” cannot be used inside {{{{ … }}}} or {{% … %}}."
RAW_NOT_CLOSED = "A {% raw %} is never closed: add {% endraw %}."
UNREADABLE = "This cannot be read: {detail}"

OWNERS = {
    "lead": "a lead",
    "property": "a property",
    "organization": "the organization",
    "sender": "the sender",
}
# Block tags an email template can use, for suggestions and for finding unclosed ones.
BLOCK_TAGS = ("if", "for", "with", "filter", "macro", "call", "autoescape", "raw", "set")
KNOWN_TAGS = (*BLOCK_TAGS, "elif", "else", *(f"end{tag}" for tag in BLOCK_TAGS))
BRACKETS = {"(": ")", "[": "]", "{": "}"}
_LEXER = Environment()  # the default delimiters, as in rendering's environments
PART_NAMES = {
    "subject": "subject",
    "subject_b": "subject B",
    "subject_c": "subject C",
    "subject_d": "subject D",
    "html": "body",
    "text": "plain-text version",
}


def part_name(part: str) -> str:
    """The part of a message a TemplateError is in, as staff call it."""
    return PART_NAMES.get(part, "template")


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return DID_YOU_MEAN.format(suggestion=close[0]) if close else ""


def _article(tag: str) -> str:
    return "An" if tag[0] in "aeiou" else "A"


def unknown_field(tree: nodes.Template, context: Mapping[str, Any]) -> tuple[str, int] | None:
    """The first `lead.frist_name` (or `lead["frist_name"]`) naming a field that the
    documented context does not have; checked when the template is saved."""
    fields = {name: value for name, value in context.items() if isinstance(value, dict)}
    # A name the template assigns itself ({% set lead = … %}) is not the context's.
    assigned = {node.name for node in tree.find_all(nodes.Name) if node.ctx != "load"}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            target, field = node.node, node.attr
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            target, field = node.node, node.arg.value
        else:
            continue
        if not isinstance(target, nodes.Name) or target.name in assigned:
            continue
        known = fields.get(target.name)
        if known is None or field in known:
            continue
        owner = OWNERS.get(target.name, target.name)
        message = UNKNOWN_FIELD.format(field=field, owner=owner)
        hint = _suggest(field, known) or FIELDS_ARE.format(
            owner=owner[0].upper() + owner[1:], fields=", ".join(known)
        )
        return message + hint, node.lineno
    return None


def unknown_name(name: str, allowed: Any) -> str:
    names = sorted(allowed)
    hint = _suggest(name, names) or NAMES_ARE.format(names=", ".join(names))
    return UNKNOWN_NAME.format(name=name) + hint


def undefined(error: UndefinedError, context: Mapping[str, Any]) -> str:
    """A value missing while rendering for one lead (the saved template was valid)."""
    text = str(error)
    every_field = {key for value in context.values() if isinstance(value, dict) for key in value}
    if match := re.fullmatch(r"'None' has no attribute '([^']+)'", text):
        field = match.group(1)
        if field in context.get("property", {}):
            return NO_PROPERTY.format(field=field)
        return NOT_A_FIELD.format(field=field, value="an empty value")
    if match := re.fullmatch(r"'dict object' has no attribute '([^']+)'", text):
        field = match.group(1)
        return f"There is no field “{field}”." + _suggest(field, every_field)
    if match := re.fullmatch(r"'(\w+) object' has no attribute '([^']+)'", text):
        kinds = {"str": "a text", "int": "a number", "float": "a number", "list": "a list"}
        value = kinds.get(match.group(1), "this value")
        return NOT_A_FIELD.format(field=match.group(2), value=value)
    if match := re.fullmatch(r"'([^']+)' is undefined", text):
        return unknown_name(match.group(1), context)
    return text


def calculation(error: Exception) -> str:
    """A comparison or a sum that fails for this lead's values."""
    if "NoneType" in str(error):
        return EMPTY_VALUE
    return CANNOT_CALCULATE.format(error=error)


def _tag_at(tokens: list[tuple[int, str, str]], index: int) -> str:
    """The tag name of the {% … %} that starts at tokens[index]."""
    for _line, kind, value in tokens[index + 1 :]:
        if kind == "name":
            return value
        if kind != "whitespace":
            return ""
    return ""


def _is_block_set(tokens: list[tuple[int, str, str]], index: int) -> bool:
    """{% set x %}…{% endset %} opens a block; {% set x = … %} does not."""
    for _line, kind, value in tokens[index + 1 :]:
        if kind == "block_end":
            return True
        if kind == "operator" and value == "=":
            return False
    return True


@dataclass
class _OpenBlock:
    """A block tag not closed yet, and whether it has had its {% else %}."""

    tag: str
    line: int
    has_else: bool = False


def _scan_blocks(source: str) -> tuple[list[_OpenBlock], str]:
    """Walk the block tags as Jinja does. Returns the blocks open (innermost last) where
    the first misplaced tag stands, with that tag; or, when none is misplaced, the blocks
    still open at the end, with ""."""
    try:
        tokens = list(_LEXER.lex(source))
    except TemplateSyntaxError:
        return [], ""
    stack: list[_OpenBlock] = []
    for index, (line, kind, _value) in enumerate(tokens):
        if kind != "block_begin":
            continue
        tag = _tag_at(tokens, index)
        top = stack[-1] if stack else None
        if tag in BLOCK_TAGS and (tag != "set" or _is_block_set(tokens, index)):
            stack.append(_OpenBlock(tag, line))
        elif tag.startswith("end") and tag[3:] in BLOCK_TAGS:
            if top is None or top.tag != tag[3:]:
                return stack, tag
            stack.pop()
        elif tag in ("else", "elif"):
            openers = ("if", "for") if tag == "else" else ("if",)
            if top is None or top.tag not in openers or top.has_else:
                return stack, tag
            top.has_else = tag == "else"
    return stack, ""


def syntax(error: TemplateSyntaxError, source: str) -> tuple[str, int | None]:
    """A template that cannot be parsed, said plainly; the line is where to look."""
    message, line = error.message or "", error.lineno
    if message.startswith("Unexpected end of template. Jinja was looking"):
        open_blocks, _misplaced = _scan_blocks(source)
        if open_blocks:
            last = open_blocks[-1]
            article = _article(last.tag)
            return NEVER_CLOSED.format(article=article, tag=last.tag, line=last.line), last.line
    if match := re.match(r"Encountered unknown tag '(\w+)'\.", message):
        return _unknown_tag(match.group(1), source), line
    if match := re.fullmatch(r"No (filter|test) named '([^']+)'\.", message):
        kind, name = match.groups()
        template, known = (
            (UNKNOWN_FILTER, {**FILTERS, **TEMPLATE_FILTERS})
            if kind == "filter"
            else (UNKNOWN_TEST, TESTS)
        )
        return template.format(name=name) + _suggest(name, known), line
    return _parser_complaint(message), line


def _unknown_tag(tag: str, source: str) -> str:
    open_blocks, misplaced = _scan_blocks(source)
    if misplaced != tag:
        close = difflib.get_close_matches(tag, KNOWN_TAGS, n=1, cutoff=0.6)
        hint = DID_YOU_MEAN_TAG.format(tag=close[0]) if close else TAGS_ARE
        return UNKNOWN_TAG.format(tag=tag) + hint
    top = open_blocks[-1] if open_blocks else None
    if tag in ("else", "elif"):
        if top is not None and top.has_else:
            return ELSE_ALREADY.format(opener=top.tag, line=top.line)
        return OUTSIDE_OF_IF.format(tag=tag)
    if top is None:
        return NOTHING_TO_CLOSE.format(closing=tag, tag=tag[3:])
    return CLOSE_INNER_FIRST.format(
        article=_article(top.tag), tag=top.tag, line=top.line, closing=tag
    )


def _parser_complaint(message: str) -> str:
    """The parser's own complaints about a {{ … }} or a {% … %}."""
    if message == "unexpected end of template, expected 'end of print statement'.":
        return PRINT_NOT_CLOSED
    if message == "unexpected '}'":
        return PRINT_HALF_CLOSED
    if message == "unexpected 'end of template'":
        return TAG_NOT_CLOSED
    if message == "tag name expected":
        return EMPTY_TAG
    if message == "Expected an expression, got 'end of print statement'":
        return EMPTY_PRINT
    if message == "Expected an expression, got 'end of statement block'":
        return MISSING_VALUE
    if message.startswith("expected token 'in'"):
        return FOR_WITHOUT_IN
    if message == "expected name or number":
        return NAME_MISSING
    if message == "Missing end of raw directive":
        return RAW_NOT_CLOSED
    if match := re.search(r"expected '([)\]}])'$", message):
        closing = match.group(1)
        opening = next(key for key, value in BRACKETS.items() if value == closing)
        return UNCLOSED_BRACKET.format(opening=opening, closing=closing)
    if match := re.fullmatch(r"unexpected char '(.)' at \d+", message):
        char = match.group(1)
        if char in "'\"":
            return UNCLOSED_QUOTE.format(quote=char)
        return BAD_CHARACTER.format(char=char)
    if match := re.fullmatch(r"expected token '([^']+)', got '([^']+)'", message):
        expected, word = match.groups()
        if expected == "name":
            return NAME_MISSING
        hint = ""
        if expected == "end of print statement":
            hint = IN_PRINT_HINT
        elif word == "=":
            hint = COMPARE_HINT
        return UNEXPECTED_WORD.format(word=word) + hint
    # Anything else: Jinja's words, without its talk about itself.
    detail = re.sub(r"\s*(You probably|Jinja) .*$", "", message) or "a syntax error"
    return UNREADABLE.format(detail=detail)
