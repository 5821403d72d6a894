"""The text part made from the HTML keeps a link's address, and drops empty ones."""

from campaigns.content.rendering import SAMPLE_CONTEXT, render_message

HTML = (
    '<p>See <a href="{{ property.url }}">the listing</a> or '
    '<a href="https://sunset.example/homes">all our homes</a>.</p>'
)


def text_for(url: str) -> str:
    context = {**SAMPLE_CONTEXT, "property": {**SAMPLE_CONTEXT["property"], "url": url}}
    return render_message(subject="Hi", html=HTML, text="", context=context).text


def test_a_property_without_a_url_leaves_no_empty_brackets():
    text = text_for("")
    assert "()" not in text
    assert text == "See the listing or all our homes (https://sunset.example/homes).\n"


def test_a_property_with_a_url_keeps_it_after_the_link_text():
    text = text_for("https://sunset.example/loft")
    assert "the listing (https://sunset.example/loft)" in text
    assert "\x02" not in text and "\x03" not in text
