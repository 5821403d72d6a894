"""The builder's bytes parse back with Python's email parser, with every header we promise."""

import base64
from email import message_from_bytes, policy

from campaigns.content.mime import Addressing, build, gmail_raw, with_footer
from campaigns.content.rendering import Rendered

ADDRESSING = Addressing(
    sender_name="Jordan Dupré",
    sender_email="jordan@agency.example",
    to_email="lea@example.fr",
    to_name="Léa Moreau",
    reply_to="desk@agency.example",
    unsubscribe_url="https://app.example/u/token123/",
    unsubscribe_mailto=True,
    postal_address="18 rue des Martyrs, 75009 Paris",
)
LONG_SUBJECT = "Nouvelles annonces à Paris pour Léa — " + " ".join(["très"] * 30)


def parse(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def test_a_built_message_has_every_header_and_both_alternatives():
    message = parse(
        build(Rendered(LONG_SUBJECT, "<p>Bonjour Léa</p>", "Bonjour Léa\n"), ADDRESSING)
    )
    assert message["From"] == "Jordan Dupré <jordan@agency.example>"
    assert message["To"] == "Léa Moreau <lea@example.fr>"
    assert message["Reply-To"] == "desk@agency.example"
    assert message["Subject"] == LONG_SUBJECT
    assert message["Message-ID"].endswith("@agency.example>")
    assert message["Date"].datetime is not None
    assert message["List-Unsubscribe"] == (
        "<https://app.example/u/token123/>, <mailto:jordan@agency.example?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    assert "Bonjour Léa" in message.get_body(("plain",)).get_content()
    assert "<p>Bonjour Léa</p>" in message.get_body(("html",)).get_content()
    assert message.defects == [] and all(not p.defects for p in message.iter_parts())


def test_every_line_is_short_and_ends_with_crlf():
    data = build(Rendered(LONG_SUBJECT, "<p>" + "x" * 5000 + "</p>", "y" * 5000), ADDRESSING)
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78
    assert b"\n" not in data.replace(b"\r\n", b"")
    data.decode("ascii")


def test_a_step_without_the_unsubscribe_link_gets_the_footer():
    message = parse(build(Rendered("Hi", "<p>Hi</p>", "Hi\n"), ADDRESSING))
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert 'href="https://app.example/u/token123/"' in html
    assert "18 rue des Martyrs, 75009 Paris" in html and "18 rue des Martyrs" in text
    assert "Unsubscribe: https://app.example/u/token123/" in text


def test_the_footer_is_added_once():
    rendered = Rendered("Hi", "<p>Hi</p>", "Hi\n")
    once = with_footer(rendered, postal_address="1 Main St", unsubscribe_url="https://u/1")
    twice = with_footer(once, postal_address="1 Main St", unsubscribe_url="https://u/1")
    assert once == twice


def test_a_test_send_is_marked():
    addressing = Addressing(**{**ADDRESSING.__dict__, "is_test": True})
    message = parse(build(Rendered("Hi", "<p>Hi</p>", "Hi\n"), addressing))
    assert message["Subject"] == "[Test] Hi"
    assert message["X-Campaign-Test"] == "yes"


def test_gmail_raw_is_base64url_of_the_bytes():
    data = build(Rendered("Hi", "<p>Hi ÿ</p>", "Hi ÿ\n"), ADDRESSING)
    raw = gmail_raw(data)
    assert "+" not in raw and "/" not in raw
    assert base64.urlsafe_b64decode(raw) == data


def test_a_follow_up_names_the_message_it_answers():
    addressing = Addressing(**{**ADDRESSING.__dict__, "in_reply_to": "<first@agency.example>"})
    message = parse(build(Rendered("Re: Hi", "<p>Hi</p>", "Hi\n"), addressing))
    assert message["In-Reply-To"] == "<first@agency.example>"
    assert message["References"] == "<first@agency.example>"
