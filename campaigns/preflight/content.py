"""The content checks that deliverability guides name, run on a message as it will be sent
(footer included), each with a one-line reason for staff."""

import html
import re
from dataclasses import dataclass

from campaigns.content import mime
from campaigns.content.rendering import Rendered

SUBJECT_EMPTY = "subject_empty"
SUBJECT_LONG = "subject_long"
SUBJECT_CAPS = "subject_caps"
TOO_MANY_LINKS = "too_many_links"
SHORTENER = "shortener"
IMAGES_ONLY = "images_only"
CLIPPED = "clipped"
NO_TEXT = "no_text"
NO_UNSUBSCRIBE = "no_unsubscribe"
NO_ADDRESS = "no_address"
REASONS = {
    SUBJECT_EMPTY: "the subject is empty: people skip such mail and filters distrust it.",
    SUBJECT_LONG: "the subject is over 150 characters: inboxes cut it and filters notice.",
    SUBJECT_CAPS: "the subject is all capitals: spam filters score shouting subjects.",
    TOO_MANY_LINKS: "the message has more than 10 links: link-heavy mail looks like spam.",
    SHORTENER: "a link goes through a URL shortener (bit.ly…): spammers hide behind them, "
    "so filters distrust them.",
    IMAGES_ONLY: "the message is images with no text: filters cannot read it and most "
    "readers do not load images.",
    CLIPPED: "the HTML is over 102 KB: Gmail clips it behind “View entire message”, "
    "unsubscribe link and tracking included.",
    NO_TEXT: "the plain-text version is empty: filters distrust HTML-only mail.",
    NO_UNSUBSCRIBE: "the unsubscribe link is hidden (in a comment) or missing from the text "
    "version: the law and Gmail's bulk sender rules require a visible one.",
    NO_ADDRESS: "the postal address is missing from the HTML version: anti-spam law "
    "requires it in the message people read.",
}
MAX_SUBJECT = 150
MAX_LINKS = 10
GMAIL_CLIP_BYTES = 102 * 1024
SHORTENERS = (
    "bit.ly bitly.com tinyurl.com t.co goo.gl ow.ly is.gd v.gd buff.ly rebrand.ly cutt.ly "
    "shorturl.at tiny.cc rb.gy t.ly s.id lnkd.in bl.ink short.io adf.ly shorte.st clck.ru"
).split()
_LINK = re.compile(r"""href\s*=\s*["']?\s*(https?://[^"'\s>]+)""", re.IGNORECASE)
_SHORTENED = re.compile(
    r"https?://(?:www\.)?(?:" + "|".join(re.escape(host) for host in SHORTENERS) + r")(?:[/:?#]|$)",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INVISIBLE = re.compile(r"<(style|script|head|title)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Footer:
    """What every message of the organization must show: its postal address (and the
    ways a template may have written it into the HTML); and the words our footer adds
    (why they get it, "Unsubscribe"), in the language active when it is made."""

    postal_address: str
    forms: tuple[str, ...]
    words: tuple[str, ...] = ()

    @classmethod
    def of(cls, postal_address: str, agency: str = "") -> "Footer":
        words = tuple(word for word in (mime.why_line(agency), str(mime.UNSUBSCRIBE)) if word)
        address = postal_address.strip()
        escaped = html.escape(address)
        forms = (
            address,
            escaped,
            escaped.replace("\n", "<br>"),
            escaped.replace("&#x27;", "&#39;"),
        )
        return cls(address, forms, words)


def subject_problems(subject: str) -> list[str]:
    """The checks the subject as sent fails (a follow-up's is "Re: " and the first's)."""
    found = []
    if not subject.strip():
        found.append(SUBJECT_EMPTY)
    elif len(subject) > MAX_SUBJECT:
        found.append(SUBJECT_LONG)
    if subject.upper() == subject and sum(c.isupper() for c in subject) >= 5:
        found.append(SUBJECT_CAPS)
    return found


def body_problems(
    final: Rendered, *, unsubscribe_url: str, footer: Footer, tracked_size: int = 0
) -> list[str]:
    """The checks the message's parts fail; `tracked_size` is the HTML's size once click
    tracking rewrote its links (0: not tracked)."""
    found = []
    body = final.html
    lower = body.lower()
    links = [html.unescape(link) for link in _links(body, lower)]
    if sum(link != unsubscribe_url for link in links) > MAX_LINKS:
        found.append(TOO_MANY_LINKS)
    if any(_SHORTENED.match(link) for link in links):
        found.append(SHORTENER)
    shown = _COMMENT.sub("", body) if "<!--" in body else body
    if "<img" in lower and not _words(_visible_text(shown), footer, unsubscribe_url):
        found.append(IMAGES_ONLY)
    if max(tracked_size, len(body.encode())) > GMAIL_CLIP_BYTES:
        found.append(CLIPPED)
    if not _words(final.text, footer, unsubscribe_url):
        found.append(NO_TEXT)
    href = (f'href="{html.escape(unsubscribe_url)}"', f"href='{html.escape(unsubscribe_url)}'")
    if not any(form in shown for form in href) or unsubscribe_url not in final.text:
        found.append(NO_UNSUBSCRIBE)
    if footer.postal_address and not _shows_address(shown, footer):
        found.append(NO_ADDRESS)
    return found


def _links(body: str, lower: str) -> list[str]:
    """The http and https links of the HTML's href attributes. Each "href" is found by a plain
    search and the pattern tried there only: a regular expression scanning the whole body
    for it, in any case, costs more than the rest of the checks."""
    links = []
    start = lower.find("href")
    while start != -1:
        if match := _LINK.match(body, start):
            links.append(match[1])
        start = lower.find("href", start + 4)
    return links


def _visible_text(body: str) -> str:
    return html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", body)))


def _words(text: str, footer: Footer, unsubscribe_url: str) -> bool:
    """Whether `text` says anything besides the footer we add."""
    for part in (footer.postal_address, unsubscribe_url, *footer.words):
        if part:
            text = text.replace(part, " ")
    return bool(_WORD.search(text))


def _shows_address(shown: str, footer: Footer) -> bool:
    if any(form in shown for form in footer.forms):
        return True
    # Written another way (lines joined by commas, tags between them): compare the words.
    wanted = " ".join(re.findall(r"\w+", footer.postal_address))
    return wanted in " ".join(re.findall(r"\w+", _visible_text(shown)))
