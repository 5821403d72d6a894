"""Stage 4, build_messages: a rendered message turned into RFC 5322 bytes (UTF-8 headers,
text and HTML alternatives, List-Unsubscribe), ours against Django's and the standard
library's email classes on the same renderings (footer included)."""

import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from django.core.mail import EmailMultiAlternatives

from bench.checks import SAMPLES
from bench.data import HTML_TEMPLATE, SUBJECT_TEMPLATE, message_contexts
from bench.timing import rss_mb
from campaigns.content.mime import Addressing, build, with_footer
from campaigns.content.rendering import Rendered, render_message

SENDER = ("Jordan Dupré", "jordan@agency.example")


def _built(size: int, build_one: Callable[[dict], bytes]) -> dict:
    """Render and build `size` messages with `build_one(context)`, then parse every one
    back: what a mail client reads is the output compared."""
    contexts = message_contexts(size)
    before = rss_mb()
    started = time.perf_counter()
    built = [build_one(context) for context in contexts]
    seconds = time.perf_counter() - started
    read = [_as_read(message_from_bytes(data, policy=policy.default)) for data in built]
    for context, message in zip(contexts, read, strict=True):
        assert context["lead"]["first_name"] in message["subject"], message["subject"]
        assert message["to"] == context["lead"]["email"]
        assert message["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
        assert message["text"].strip()
    step = max(1, size // SAMPLES)
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": round(rss_mb() - before, 1),
        "note": f"{size:,} messages of {len(built[0]):,} bytes parsed back and checked",
        "output": {
            "counts": {"messages": len(built)},
            "sample": {str(n): read[n] for n in range(0, size, step)},
        },
    }


def _as_read(message: EmailMessage) -> dict:
    """The message as a mail client shows it: a header folded right after its name, or a
    body's closing newline, is transport, not content."""
    return {
        "subject": str(message["Subject"]).strip(),
        "from": message["From"].addresses[0].display_name,
        "from_address": message["From"].addresses[0].addr_spec,
        "to": message["To"].addresses[0].addr_spec,
        "to_name": message["To"].addresses[0].display_name,
        "list_unsubscribe": " ".join(str(message["List-Unsubscribe"]).split()),
        "list_unsubscribe_post": str(message["List-Unsubscribe-Post"]),
        "text": _body(message, "plain"),
        "html": _body(message, "html"),
    }


def _body(message: EmailMessage, kind: str) -> str:
    """A part as a mail client shows it; none at all reads as empty (and differs)."""
    part = message.get_body((kind,))
    return "" if part is None else part.get_content().replace("\r\n", "\n").rstrip()


def _rendered(context: dict) -> Rendered:
    rendered = render_message(
        subject=SUBJECT_TEMPLATE, html=HTML_TEMPLATE, text="", context=context
    )
    return with_footer(
        rendered,
        postal_address=context["organization"]["postal_address"],
        unsubscribe_url=context["unsubscribe_url"],
    )


def _unsubscribe_headers(context: dict) -> dict:
    return {
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>, "
        f"<mailto:{SENDER[1]}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def ours(size: int) -> dict:
    def one(context: dict) -> bytes:
        lead = context["lead"]
        addressing = Addressing(
            sender_name=SENDER[0],
            sender_email=SENDER[1],
            to_email=lead["email"],
            to_name=lead["name"],
            unsubscribe_url=context["unsubscribe_url"],
            # Offered where the account's replies are read (a Gmail account's are), as the
            # peers' header offers it.
            unsubscribe_mailto=True,
            postal_address=context["organization"]["postal_address"],
        )
        return build(_rendered(context), addressing)

    return _built(size, one)


def django(size: int) -> dict:
    """Django's EmailMultiAlternatives(...).message(), as its documentation sends HTML."""

    def one(context: dict) -> bytes:
        rendered, lead = _rendered(context), context["lead"]
        message = EmailMultiAlternatives(
            rendered.subject,
            rendered.text,
            from_email=formataddr(SENDER),
            to=[formataddr((lead["name"], lead["email"]))],
            headers=_unsubscribe_headers(context),
        )
        message.attach_alternative(rendered.html, "text/html")
        return message.message().as_bytes()

    return _built(size, one)


def stdlib(size: int) -> dict:
    """The standard library's EmailMessage with policy.default."""

    def one(context: dict) -> bytes:
        rendered, lead = _rendered(context), context["lead"]
        message = EmailMessage()
        message["From"] = formataddr(SENDER)
        message["To"] = formataddr((lead["name"], lead["email"]))
        message["Subject"] = rendered.subject
        message["Message-ID"] = make_msgid(domain="agency.example")
        for name, value in _unsubscribe_headers(context).items():
            message[name] = value
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message.as_bytes()

    return _built(size, one)
