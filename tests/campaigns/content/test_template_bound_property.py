"""Whatever a staff member writes, the render keeps the bound or is refused: templates built
from the grammar (filters, methods, operators, nesting, loops, set, macros and blocks),
each rendered in a child under rlimits."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.content.sandbox import filters, methods
from tests.limited_render import render_limited

PRELUDE = (
    "{% set s = 'ab' * 50000 %}{% set n = 99 %}{% set l = range(1000)|list %}"
    "{% set d = {'a': s, 'b': [s, n]} %}{% set x = 'x' %}"
)
NAMES = ["s", "n", "l", "d", "x", "lead.name", "lead.budget_max", "lead", "sender.email"]
NUMBERS = ["0", "1", "2", "-1", "9", "99", "1000", "100000", "10**8", "2**64", "1.5"]
TEXTS = ["'x'", "'é😀'", "'%0100d'", "'%s%s'", "'{:>99999}'", "'{0}{0}'", "'\\t'", "'<a>'"]
TEXTS += ["'<!--'", "'a b'", "''", "'\"'", "'\\n'"]
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "~"]
COMPARISONS = ["==", "<", "in", "not in"]
FILTERS = sorted({*filters.FILTERS, "pprint"})
METHODS = sorted({name for _, name in methods.METHODS} | {"format", "format_map"})

atoms = st.sampled_from(NAMES + NUMBERS + TEXTS)


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    arguments = st.lists(inner, max_size=3).map(", ".join)
    return st.one_of(
        st.builds("({} {} {})".format, inner, st.sampled_from(OPERATORS), inner),
        st.builds("({} {} {})".format, inner, st.sampled_from(COMPARISONS), inner),
        st.builds("({})|{}({})".format, inner, st.sampled_from(FILTERS), arguments),
        st.builds("({}).{}({})".format, inner, st.sampled_from(METHODS), arguments),
        st.builds("({})[{}:{}]".format, inner, inner, inner),
        st.builds("({} if {} else {})".format, inner, inner, inner),
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.builds("{{'k': {}, 'v': {}}}".format, inner, inner),
    )


expressions = st.recursive(atoms, _compound, max_leaves=8)


def _blocks(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    body = st.lists(inner, min_size=1, max_size=3).map("".join)
    return st.one_of(
        st.builds("{{% for x in {} %}}{}{{% endfor %}}".format, expressions, body),
        st.builds(
            "{{% for x in {} recursive %}}{}{{{{ loop([x ~ x]) }}}}{{% endfor %}}".format,
            expressions,
            body,
        ),
        st.builds("{{% if {} %}}{}{{% else %}}{}{{% endif %}}".format, expressions, body, body),
        st.builds(
            "{{% filter {} %}}{}{{% endfilter %}}".format,
            st.sampled_from(["upper", "e", "trim", "striptags", "indent"]),
            body,
        ),
        st.builds("{{% set t %}}{}{{% endset %}}{{{{ t ~ t }}}}".format, body),
        st.builds(
            "{{% macro m(a, k) %}}{}{{{{ m(a ~ {}, k - 1) if k > 0 else a }}}}{{% endmacro %}}"
            "{{{{ m({}, 30) }}}}".format,
            body,
            expressions,
            expressions,
        ),
        st.builds(
            "{{% macro c() %}}{{{{ caller() ~ caller() }}}}{{% endmacro %}}"
            "{{% call c() %}}{}{{% endcall %}}".format,
            body,
        ),
    )


statements = st.recursive(
    st.one_of(
        expressions.map("{{{{ {} }}}}".format),
        st.builds(
            "{{% set {} = {} %}}".format, st.sampled_from(["s", "n", "l", "d", "x"]), expressions
        ),
        st.sampled_from(["text ", "<p>", "</p>"]),
    ),
    _blocks,
    max_leaves=6,
)
templates = st.lists(statements, min_size=1, max_size=4).map(lambda parts: PRELUDE + "".join(parts))


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(source=templates, html=st.booleans())
def test_any_template_renders_within_the_bound_or_is_refused(source, html):
    outcome = render_limited(source, html=html)
    assert outcome.result in ("rendered", "refused"), (source, str(outcome))
    assert outcome.within_bounds, (source, str(outcome))
