"""No template can take the server's memory or CPU: a render finishes within 1 s of CPU and
64 MB, or is refused with a message naming the line (issue 13, section 4)."""

import inspect

import pytest
from django.urls import reverse
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaigns.content.formats import TEMPLATE_FILTERS
from campaigns.content.rendering import (
    MAX_SOURCE,
    SAMPLE_CONTEXT,
    SOURCE_TOO_LONG,
    TemplateError,
    render,
    render_message,
)
from campaigns.content.sandbox import budget, filters
from campaigns.models import CampaignStep
from tests.limited_render import render_limited, run_limited

S = "{% set s = 'x' * 100000 %}"  # the longest text one `*` may make
S9 = S + "{% set s9 = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}{% set b9 = s9[:-1] ~ 'y' %}"

RUNAWAYS = {
    # The cases of the issue.
    "replace hidden by length": "{{ ('x'*100000)|replace('x','x'*10000)|length }}",
    "tower of powers": "{{ ((((9**99)**99)**99)**20) > 1 }}",
    "str.ljust": "{{ 'x'.ljust(10**8) }}",
    "center filter": "{{ 'x'|center(10**8) }}",
    "printf width": "{{ '%0100000000d' % 1 }}",
    "format width": "{{ '{:>100000000}'.format(1) }}",
    "list joined with a long separator": "{{ ('x'*10000)|list|join('y'*10000) }}",
    "doubling with ~": "{% set a = 'x' * 1000 %}" + "{% set a = a ~ a %}" * 30 + "{{ a|length }}",
    "doubling in a macro": "{% macro d(s, n) %}{% if n > 0 %}{{ d(s ~ s, n - 1) }}"
    "{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ d('x', 40) }}",
    "doubling in a recursive loop": "{% for a in ['x'] recursive %}"
    "{{ loop([a ~ a]) if a|length < 10**8 else a|length }}{% endfor %}",
    # Other widths, counts and repeats that Python would honour.
    "printf star width": "{{ '%*d' % (100000000, 1) }}",
    "printf repeating a key": S + "{{ ('%(a)s' * 1000) % {'a': s} }}",
    "format filter width": "{{ '%0100000000d'|format(1) }}",
    "nested format width": "{{ '{:{}}'.format(1, 100000000) }}",
    "format repeating a field": S + "{{ ('{0}' * 1000).format(s) }}",
    "zfill": "{{ '1'.zfill(10**9) }}",
    "expandtabs": "{{ ('\t' * 100000).expandtabs(100000) }}",
    "translate": S + "{{ s.translate({120: 'y' * 1000}) }}",
    "indent filter": "{{ ('x\n' * 50000)|indent(10000)|length }}",
    "wordwrap of a long word": S9 + "{{ s9|wordwrap(1)|length }}",
    "urlize with a long target": "{{ ('www.a.com ' * 5000)|urlize(target='x' * 10000)|length }}",
    "batch filling": "{{ [1]|batch(100000000, 'x')|list }}",
    "slice count": "{{ [1]|slice(100000000)|list }}",
    "tojson indent": "{% set a = ['x'] %}"
    + "{% set a = [a] %}" * 30
    + "{{ a|tojson(indent=10**5) }}",
    "sum of lists": S + "{{ s|list|batch(1)|list|sum(start=[])|length }}",
    "number from binary digits": "{{ (((('1' * 100000)|int(base=2)) ** 99) ** 99) > 1 }}",
    "round to a huge precision": "{{ 1.5|round(1000000000, 'ceil') }}",
    # Lists that share one long text print it once per reference.
    "list repeating a long text": S + "{{ [s] * 50000 }}",
    "lists of lists": "{% set a = ['x' * 1000] %}" + "{% set a = [a, a, a, a] %}" * 12 + "{{ a }}",
    "dict.fromkeys": S + "{{ {}.fromkeys(range(1000), s) }}",
    # What macros and blocks collect before they join it.
    "filter block": S
    + "{% filter upper %}{% for i in range(1000) %}{{ s }}{% endfor %}{% endfilter %}",
    "literal text in a filter block": "{% filter upper %}"
    "{% for i in range(100) %}{% for j in range(99) %}" + "x" * 5000 + "{% endfor %}{% endfor %}"
    "{% endfilter %}",
    "set block": S + "{% set t %}{% for i in range(1000) %}{{ s }}{% endfor %}{% endset %}{{ t }}",
    "caller": S + "{% macro m() %}{% for i in range(1000) %}{{ caller() }}{% endfor %}"
    "{% endmacro %}{% call m() %}{{ s }}{% endcall %}",
    "slices kept in a loop": S9 + "{% for c in s %}{% set x = s9[1:] %}{% endfor %}",
    # Work with nothing to show for it.
    "nested loops over a long text": S + "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "comparing long texts in a loop": S9
    + "{% for c in s %}{% if s9 == b9 %}{% endif %}{% endfor %}",
    "searching a long list in a loop": S + "{% set l = s|list %}"
    "{% for c in s %}{% if 'z' in l %}{% endif %}{% endfor %}",
    "macro fanning out": "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}"
    "{% endmacro %}{{ f(40) }}",
    # 9,000 multiples of 2**61 - 1: Python files them all under one slot of a dict.
    "numbers that share one hash slot": "{% set p = 2**61 - 1 %}{% set l = "
    + " + ".join(f"range(p * {k}000, p * {k + 1}000, p)|list" for k in range(9))
    + " %}{{ {}.fromkeys(l * 4)|length }}",
    "macro calling itself forever": "{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(0) }}",
    # The template itself.
    "deep brackets": "{{ " + "(" * 200 + "1" + ")" * 200 + " }}",
    "twenty-five nested loops": "".join(f"{{% for i{n} in [1] %}}" for n in range(25))
    + "{% endfor %}" * 25,
    "a template of dense code": "{{ 1 }}" * 20_000,
}


@pytest.mark.parametrize("source", RUNAWAYS.values(), ids=RUNAWAYS.keys())
def test_a_runaway_template_is_refused_within_the_bound(source):
    outcome = render_limited(source)
    assert outcome.result == "refused", outcome
    assert outcome.within_bounds, outcome


def test_the_refusal_names_the_line_and_the_limit():
    with pytest.raises(TemplateError) as error:
        render("Hello\n{{ lead.name }}\n{{ 'x'.ljust(10**7) }}", SAMPLE_CONTEXT, html=True)
    limit = budget.TEXT_TOO_LONG.format(limit=budget.MAX_TEXT)
    assert str(error.value) == f"Line 3: not allowed: {limit}"


def test_a_runaway_template_is_refused_when_the_step_is_saved(client_a, campaign_a):
    form = {
        "campaign": campaign_a.pk,
        "order": 2,
        "offset_days": 3,
        "subject": "Hi {{ lead.name }}",
        "body_template": "<p>Hi</p>\n{{ 'x'.ljust(10**7)|length }}",
        "text_template": "",
    }
    response = client_a.post(reverse("admin:campaigns_campaignstep_add"), form)
    assert "Line 2: not allowed: this would make a text longer than" in response.content.decode()
    assert not CampaignStep.objects.filter(order=2).exists()


@pytest.mark.parametrize(
    "source", ["{{ [1]|pprint }}", "{{ 'ab'.encode() }}", "{{ (1).to_bytes(9) }}"]
)
def test_what_has_no_known_cost_is_not_available(source):
    with pytest.raises(TemplateError) as error:
        render(source, SAMPLE_CONTEXT, html=True)
    assert "is not available in email templates" in str(error.value)


# The text part is then made from the rendered HTML, which Python parses tag by tag.
TOO_MANY_TAGS = {
    "comments never closed": "{% if lead.budget_min > 0 %}{{ ('<!--' * 25000)|safe }}{% endif %}",
    "links": "{% for i in range(1000) if i > -1 %}"
    + '<a href="https://x.example/">y</a>' * 20
    + "{% endfor %}",
}


@pytest.mark.parametrize("html", TOO_MANY_TAGS.values(), ids=TOO_MANY_TAGS.keys())
def test_the_plain_text_version_of_a_message_is_bounded_too(html):
    outcome = run_limited(
        lambda: render_message(subject="s", html=html, text="", context=SAMPLE_CONTEXT)
    )
    assert outcome.result == "refused", outcome
    assert outcome.within_bounds, outcome


def test_a_template_over_the_size_limit_is_refused():
    with pytest.raises(TemplateError) as error:
        render("x" * 200_000, SAMPLE_CONTEXT, html=True)
    assert str(error.value) == SOURCE_TOO_LONG.format(limit=MAX_SOURCE)


BOUNDED_BUT_FINE = {
    "a newsletter": "{% for i in range(20) %}<p>{{ lead.name|title }} {{ '%05d'|format(i) }}"
    " {{ '{:,}'.format(lead.budget_max) }} {{ lead.city|upper }}</p>{% endfor %}",
    "many small lists": "{% for i in range(1000) %}{{ [i, i * 2]|sum }}{% endfor %}",
    "a long text wrapped": "{{ ('word ' * 9000)|wordwrap(60)|length }}",
    "links in a long text": "{{ ('see www.example.com now ' * 2000)|urlize|length }}",
    "tags stripped": "{{ ('<b>x</b>' * 6000)|striptags|length }}",
    "a long list sorted": "{{ (('x' * 20000)|list)|sort|length }}",
}


@pytest.mark.parametrize("source", BOUNDED_BUT_FINE.values(), ids=BOUNDED_BUT_FINE.keys())
def test_ordinary_templates_still_render(source):
    outcome = render_limited(source)
    assert outcome.result == "rendered", outcome
    assert outcome.within_bounds, outcome


@pytest.mark.parametrize("name", sorted(filters.FILTERS))
def test_each_filter_check_takes_the_arguments_of_its_filter(name):
    # A check that names an argument differently would refuse a valid call.
    jinja_filter = {**ImmutableSandboxedEnvironment().filters, **TEMPLATE_FILTERS}[name]
    check = filters.FILTERS[name]
    expected = list(inspect.signature(jinja_filter).parameters)
    if expected[0] in ("context", "eval_ctx", "environment", "env"):
        expected = expected[1:]
    actual = list(inspect.signature(check).parameters)[2:]  # after the budget and `passed`
    assert actual[1:] in (expected[1:], ["args", "kwargs"]), (actual, expected)
