"""Staff templates render in a sandbox: escapes, secrets and denial of service are refused."""

import pytest

from campaigns.content import rendering
from campaigns.content.rendering import SAMPLE_CONTEXT, TemplateError, render, render_message

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ ('{0.__class__}'|attr('format'))(1) }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__ }}",
    "{{ self }}",
    "{{ lead.update({'email': 'x'}) }}",
    "{% set x = lead.__class__ %}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_known_sandbox_escapes_are_refused(source):
    with pytest.raises(TemplateError):
        render(source, SAMPLE_CONTEXT, html=True)


@pytest.mark.parametrize("source", ["{{ settings.SECRET_KEY }}", "{{ request }}", "{{ config }}"])
def test_nothing_outside_the_documented_context_is_reachable(source):
    with pytest.raises(TemplateError) as error:
        render(source, SAMPLE_CONTEXT, html=True)
    assert "in an email template. You can use lead, listing_card, organization" in str(error.value)
    assert "SECRET" not in str(error.value).replace("settings.SECRET_KEY", "")


def test_lead_data_is_escaped_in_html():
    context = {
        **SAMPLE_CONTEXT,
        "lead": {**SAMPLE_CONTEXT["lead"], "name": "<img src=x onerror=alert(1)>"},
    }
    html = render("<p>Hi {{ lead.name }}</p>", context, html=True)
    assert html == "<p>Hi &lt;img src=x onerror=alert(1)&gt;</p>"


def test_a_typo_names_the_field_and_the_line():
    with pytest.raises(TemplateError) as error:
        render("Hello\n{{ lead.frist_name }}", SAMPLE_CONTEXT, html=True)
    assert error.value.line == 2
    assert "frist_name" in str(error.value)


def test_a_syntax_error_names_the_line():
    with pytest.raises(TemplateError) as error:
        render("one\ntwo\n{% if lead.name %}three", SAMPLE_CONTEXT, html=True)
    assert error.value.line == 3


def test_defaults_fill_in_missing_values():
    context = {**SAMPLE_CONTEXT, "lead": {**SAMPLE_CONTEXT["lead"], "city": ""}}
    assert render("{{ lead.city or 'your area' }}", context, html=False) == "your area"


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 10**9 }}",
        "{{ [1] * 10**8 }}",
        "{{ 2 ** 100000 }}",
        "{% for i in range(10**7) %}{% endfor %}",
        "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% for a in range(1000) %}{% for b in range(10) %}{{ lead.name * 1000 }}"
        "{% endfor %}{% endfor %}",
    ],
)
def test_runaway_templates_are_stopped_with_a_clear_error(source):
    with pytest.raises(TemplateError) as error:
        render(source, SAMPLE_CONTEXT, html=False)
    assert "not allowed" in str(error.value) or "larger than" in str(error.value)


def test_the_subject_cannot_carry_line_breaks_into_headers():
    rendered = render_message(
        subject="Hello\r\nBcc: victim@example.com {{ lead.name }}",
        html="<p>x</p>",
        text="",
        context=SAMPLE_CONTEXT,
    )
    assert rendered.subject == "Hello Bcc: victim@example.com Sam Sample"


def test_an_empty_text_part_is_made_from_the_html_with_links_kept():
    rendered = render_message(
        subject="s",
        html='<h1>Hi {{ lead.first_name }}</h1><p>See <a href="https://x.example/l">'
        "the listing</a>.</p>",
        text="",
        context=SAMPLE_CONTEXT,
    )
    assert rendered.text == "Hi Sam\n\nSee the listing (https://x.example/l).\n"


def test_the_failing_part_is_named():
    with pytest.raises(TemplateError) as error:
        render_message(subject="ok", html="{{ nope }}", text="", context=SAMPLE_CONTEXT)
    assert error.value.part == "html"


def test_the_context_holds_plain_values_only(lead_a, account_a):
    context = rendering.message_context(lead=lead_a, sender=account_a, unsubscribe_url="u")
    assert set(context) == rendering.CONTEXT_NAMES
    for value in context.values():
        assert value is None or isinstance(value, (dict, str))


@pytest.mark.parametrize(
    "html",
    [
        '<h1>Hi {{ lead.first_name }}</h1><p>See <a href="https://x.example/{{ lead.city }}">'
        "homes in {{ lead.city }}</a>.</p><ul><li>{{ lead.budget_min }}</li></ul>",
        "<p>{% if lead.city %}In {{ lead.city }}{% else %}Near you{% endif %} &amp; more</p>",
        "<p>{% if lead.budget_min < 600000 %}Starter homes{% endif %}</p>",
        "<table><tr><td>{{ property.title }}</td><td>{{ property.price }}</td></tr></table>",
    ],
)
def test_the_text_part_reads_the_same_as_the_rendered_html(html):
    from campaigns.content.html_text import html_to_text

    context = {**SAMPLE_CONTEXT, "lead": {**SAMPLE_CONTEXT["lead"], "first_name": "<Sam> & Co"}}
    rendered = render_message(subject="s", html=html, text="", context=context)
    assert rendered.text == html_to_text(rendered.html)
