"""Any HTML becomes its plain-text version in time in proportion to its length, and without
an error: Python 3.11's HTMLParser rescans the document for each construct never closed."""

import pytest

from campaigns.content.html_text import html_to_text
from tests.limited_render import run_limited

SIZE = 200_000
HOSTILE = {
    "comments never closed": "<!--" * (SIZE // 4),
    "end tags never closed": "</" * (SIZE // 2),
    "instructions never closed": "<?" * (SIZE // 2),
    "declarations never closed": "<!" * (SIZE // 2),
    "sections never closed": "<![CDATA[" * (SIZE // 9),
    "links inside links": "<a href='x'>" * (SIZE // 16) + "</a>" * (SIZE // 16),
}


@pytest.mark.parametrize("html", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_html_becomes_text_in_linear_time(html):
    outcome = run_limited(lambda: html_to_text(html))
    assert outcome.result == "rendered", outcome
    assert outcome.cpu_seconds < 0.5, outcome


def test_an_unknown_marked_section_reads_as_text():
    assert html_to_text("<p>a</p><![foo[b]]>") == "a\n\n<![foo[b]]>\n"


def test_links_inside_links_keep_each_address():
    html = '<a href="https://x.example/1">one <a href="https://x.example/2">two</a></a>'
    assert html_to_text(html) == "one two (https://x.example/2) (https://x.example/1)\n"
