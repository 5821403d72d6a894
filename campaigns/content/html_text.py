"""Readable plain text from an email's HTML, keeping links as "text (url)"."""

import re
from html.parser import HTMLParser

BLOCKS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "ul",
    "ol",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
}
SKIP = {"style", "script", "head", "title"}
# Around a link's "(url)" in a text *template*: the url is template code whose value is
# known only per lead, so the brackets go when it comes out empty (drop_empty_links).
LINK_START, LINK_END = "\x02", "\x03"


class _TextParser(HTMLParser):
    def __init__(self, mark_links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.mark_links = mark_links
        self.parts: list[str] = []
        # Each open link: its href, and where its text starts in parts.
        self.links: list[tuple[str | None, int]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in BLOCKS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.parts)))
            self.parts.append("\0")  # where the link text starts
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start + 1 :]).strip()
            del self.parts[start:]
            if href and not href.startswith(("#", "javascript:")) and href != label:
                url = f"{LINK_START}({href}){LINK_END}" if self.mark_links else f"({href})"
                self.parts.append(f"{label} {url}" if label else href)
            else:
                self.parts.append(label)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


# Python 3.11's HTMLParser scans to the end of the document for each construct that is
# never closed, and stops with an AssertionError on a marked section it does not know:
# such openers are turned into text first, so that any document is read in linear time.
_SECTION = re.compile(r"<!\[([a-zA-Z][-_.a-zA-Z0-9]*)?")
_SECTION_END = {"if": r"\]\s*>", "else": r"\]\s*>", "endif": r"\]\s*>"}
_SECTION_END.update(dict.fromkeys(("temp", "cdata", "ignore", "include", "rcdata"), r"\]\s*\]\s*>"))


def _last_end(pattern: str, html: str) -> int:
    return max((match.end() for match in re.finditer(pattern, html)), default=-1)


def _readable(html: str) -> str:
    end = html.rfind(">") + 1
    if "<" in html[end:]:
        html = html[:end] + html[end:].replace("<", "&lt;")
    comments_end = max(html.rfind("-->") - 3, 0)
    if html.find("<!--", comments_end) != -1:
        html = html[:comments_end] + html[comments_end:].replace("<!--", "&lt;!--")
    if "<![" not in html:
        return html
    ends = {pattern: _last_end(pattern, html) for pattern in set(_SECTION_END.values())}

    def section(match: re.Match[str]) -> str:
        pattern = _SECTION_END.get((match.group(1) or "").lower())
        closed = pattern is not None and match.end() < ends[pattern]
        return match.group() if closed else "&lt;" + match.group()[1:]

    return _SECTION.sub(section, html)


def html_to_text(html: str, *, mark_links: bool = False) -> str:
    parser = _TextParser(mark_links)
    parser.feed(_readable(html))
    parser.close()
    text = "".join(part for part in parser.parts if part != "\0")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def drop_empty_links(text: str) -> str:
    """A text rendered from a marked template: "label ()" becomes "label"."""
    text = re.sub(rf" ?{LINK_START}\(\s*\){LINK_END}", "", text)
    return text.replace(LINK_START, "").replace(LINK_END, "")
