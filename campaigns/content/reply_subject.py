"""A follow-up's subject: sent as a reply in the first message's thread, it is "Re: " and
the first message's subject, unless that subject reads as a reply already.

The prefix is the campaign's language's (a catalogue entry; RFC 5322 §3.6.5's "Re: " in
English, French and Spanish alike, which Gmail needs to thread the message). What reads
as a reply already is what mail programs write in any of our languages: "RE :" and "Réf :"
(French Outlook), "RE:" and "RV:" (Spanish), "AW:" (German), with a count ("Re[2]:").
"""

import re

from django.utils import translation
from django.utils.translation import gettext_lazy as _

# Translators: how a reply's subject starts in your language's mail programs. Keep "Re: "
# unless they write another prefix: Gmail threads a reply by it.
REPLY = _("Re: %(subject)s")
ALREADY_A_REPLY = re.compile(
    r"^\s*(?:re|ré|réf|rép|rv|aw|sv|antw|r)\s*(?:\[\d+\]|\(\d+\))?\s*:",
    re.IGNORECASE,
)


def reply_subject(subject: str, language: str) -> str:
    """`subject` as the subject of a reply, written in `language`."""
    if ALREADY_A_REPLY.match(subject):
        return subject
    with translation.override(language):
        return str(REPLY) % {"subject": subject}
