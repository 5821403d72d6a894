"""Which language a step is written in, guessed from its template's small words: a step in
French in a campaign whose footer, listing cards and pages are English reads as two
languages to its leads.

A count of stop words (the, and, vous, pour, usted, para…) once Jinja, HTML and links are
taken out: never wrong on our samples, microseconds a step, no dependency. It abstains
(None) on a text too short or too mixed to tell, and the preflight only warns when it
answers another language than the campaign's.
"""

import html
import re
from collections import Counter

# Words of one language only: those shared by two of them (de, la, en, que, a, se, un,
# no, si, son, me) are left out. A new language adds its own set.
STOP_WORDS = {
    "en": frozenset(
        """the and to of you your is are for with this that we our have has will be it on
        at from by an or if not can would please thank thanks hi hello about just here more
        any they what when which there been was were my i""".split()
    ),
    "fr": frozenset(
        """le les des du et est une pour vous votre vos nous notre avec dans sur pas ce
        cette qui au aux il elle sont être avoir bonjour merci très plus mais ou je mon ma
        mes cordialement c l d j qu été ces leur""".split()
    ),
    "es": frozenset(
        """el los las del y es una unos unas para por con usted ustedes su sus nosotros
        nuestro nuestra está están este esta estos pero como muy más hola gracias saludos
        cuando también hay ser tiene puede lo al mi o""".split()
    ),
}
MIN_HITS = 4  # stop words needed to say anything
MIN_SHARE = 0.6  # of them, the share one language must have

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_MARKUP = re.compile(r"<[^>]+>|https?://\S+|\S+@\S+")
_WORD = re.compile(r"[^\W\d_]+")  # l'appartement: l, appartement


def guess_language(*texts: str) -> str | None:
    """The language these template texts are written in, or None when unclear."""
    words = []
    for text in texts:
        plain = html.unescape(_MARKUP.sub(" ", _JINJA.sub(" ", text)))
        words += _WORD.findall(plain.lower())
    scores = Counter(
        {language: sum(word in stop for word in words) for language, stop in STOP_WORDS.items()}
    )
    total = sum(scores.values())
    if total < MIN_HITS:
        return None
    language, hits = scores.most_common(1)[0]
    return language if hits / total >= MIN_SHARE else None
