"""Template mistakes are said in plain words, with the line and what was probably meant."""

import pytest

from campaigns.content.rendering import SAMPLE_CONTEXT, TemplateError, render, render_message


def error_for(source: str, context: dict | None = None) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        render(source, context or SAMPLE_CONTEXT, html=True)
    return caught.value


def test_a_misspelt_field_is_named_with_the_field_meant():
    error = error_for("<p>Hello</p>\n<p>{{ lead.first_nam }}</p>")
    assert str(error) == (
        "Line 2: There is no field “first_nam” on a lead. Did you mean “first_name”?"
    )
    assert error.line == 2


def test_an_unknown_field_without_a_close_one_lists_the_fields():
    error = error_for("{{ property.colour }}")
    assert "There is no field “colour” on a property. A property has: title, city" in str(error)


def test_an_if_never_closed_names_the_line_it_opens_on():
    error = error_for("<p>Hi</p>\n\n{% if lead.city %}<p>In {{ lead.city }}</p>\n<p>Bye</p>")
    assert str(error) == "An {% if %} on line 3 is never closed: add {% endif %}."
    assert error.line == 3


def test_a_block_closed_inside_out_names_both_tags():
    error = error_for("{% if lead.city %}\n{% for n in range(2) %}\n{% endif %}")
    assert str(error) == (
        "Line 3: A {% for %} on line 2 is still open when {% endif %} comes: "
        "add {% endfor %} before it."
    )


@pytest.mark.parametrize(
    "source, plain",
    [
        ("{% endif %}", "This {% endif %} has no {% if %} before it to close."),
        ("{% iff lead.city %}{% endif %}", "There is no {% iff %} tag. Did you mean {% if %}?"),
        ("{% else %}", "This {% else %} is not inside an {% if %} (or a {% for %})."),
        (
            "{% if lead.city %}{% else %}{% else %}{% endif %}",
            "The {% if %} on line 1 already has its {% else %}",
        ),
        ("{{ lead.name }", "A {{ … }} ends with a single }: it needs two, }}."),
        ("Hi {{ lead.name", "A {{ is never closed: end it with }}."),
        ("{% if lead.city %", "A {% is never closed: end it with %}."),
        ("{{ }}", "An empty {{ }}: put a field inside, like {{ lead.first_name }}."),
        ("{% %}", "An empty {% %}: write a tag inside, like {% if lead.city %}."),
        ('{{ lead.name | default("there", true }}', "A “(” is never closed: add “)”."),
        ('{{ "there }}', 'A text in quotes is never closed: add the closing ".'),
        ("{{ lead.first name }}", "“name” is not expected here."),
        ("{% if lead.city = 'LA' %}{% endif %}", "To compare, write == (two equals signs)."),
        ("{{ lead.name | defualt('x') }}", "There is no filter “defualt” (the word after “|”)."),
        ("{{ lead. }}", "A name is missing after a “.” or a “|”"),
        ("{{ leed.name }}", "There is no “leed” in an email template. Did you mean “lead”?"),
    ],
)
def test_common_syntax_errors_are_said_in_plain_words(source, plain):
    message = str(error_for(source))
    assert plain in message
    for jargon in ("Jinja", "token", "dict object", "end of print statement", "expected name"):
        assert jargon not in message


def test_an_unknown_filter_is_an_error_with_a_suggestion_not_a_crash():
    error = error_for("{{ lead.name | uper }}")
    assert "Did you mean “upper”?" in str(error)


def test_a_missing_property_says_how_to_guard_it():
    error = error_for("<p>{{ property.title }}</p>", {**SAMPLE_CONTEXT, "property": None})
    assert "This lead has no property linked" in str(error)
    assert "{% if property %}" in str(error)


def test_an_empty_value_in_a_comparison_says_how_to_give_a_fallback():
    lead = {**SAMPLE_CONTEXT["lead"], "budget_max": None}
    error = error_for(
        "{% if lead.budget_max > 500000 %}big{% endif %}", {**SAMPLE_CONTEXT, "lead": lead}
    )
    assert "is empty for this lead" in str(error) and "default(0, true)" in str(error)
    assert "NoneType" not in str(error)


def test_the_part_of_the_message_is_named():
    with pytest.raises(TemplateError) as caught:
        render_message(
            subject="Hi {{ lead.nam }}", html="<p>x</p>", text="", context=SAMPLE_CONTEXT
        )
    assert caught.value.part == "subject"
