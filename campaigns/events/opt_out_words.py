"""Does a lead's email ask to be unsubscribed? Read from its subject and, when Gmail gives
one, its snippet's first sentence (the metadata permission shows no body: see replies.py).

Phrases are matched on lower-cased, accent-folded text, as whole words. A phrase counts
anywhere in the subject or the first sentence ("Please remove me from your list"); a bare
command ("STOP", "Baja") only when it is the whole of it, so "Yes, please stop by on
Thursday" is a reply and nothing more. A phrase after a negation ("don't unsubscribe me")
is not a request. English, French, Spanish, German, Italian and Portuguese; the list and
its sources are in docs/compliance.md."""

import re
import unicodedata

PHRASES = [
    # English
    "unsubscribe",
    "unsubscribe me",
    "remove me",
    "take me off",
    "opt out",
    "opt me out",
    "stop emailing",
    "stop sending",
    "stop contacting",
    "no more emails",
    "no more email",
    "dont email me",
    "do not email me",
    "dont contact me",
    "do not contact me",
    # French
    "desabonner",
    "desabonnez",
    "desabonnement",
    "desinscrire",
    "desinscrivez",
    "desinscription",
    "retirez moi",
    "supprimez moi",
    "ne plus recevoir",
    "ne me contactez plus",
    "ne m ecrivez plus",
    # Spanish
    "darme de baja",
    "dar de baja",
    "darse de baja",
    "denme de baja",
    "cancelar suscripcion",
    "cancelar la suscripcion",
    "desuscribir",
    "desuscribirme",
    "no quiero recibir",
    "no me envien mas",
    "no me contacten",
    # German
    "abmelden",
    "abbestellen",
    "austragen",
    "keine e mails mehr",
    "keine emails mehr",
    "nicht mehr kontaktieren",
    # Italian
    "disiscrivi",
    "disiscrivermi",
    "disiscrizione",
    "cancellami",
    "cancellatemi",
    "rimuovimi",
    "rimuovetemi",
    "non voglio piu ricevere",
    # Portuguese
    "descadastrar",
    "descadastre me",
    "me descadastre",
    "me remova",
    "remova me",
    "cancelar inscricao",
    "nao quero receber",
]
# Commands that ask to stop only when they are all there is (a subject, a first sentence).
COMMANDS = {"stop", "arret", "arretez", "stop please", "please stop", "baja", "stopp", "basta"}
NEGATIONS = {"dont", "do not", "not", "never", "pas", "no", "nicht", "non", "nao"}
QUOTED = re.compile(
    r"\bon .{3,80}? wrote:|\ble .{3,80}? a ecrit|\bel .{3,80}? escribio|\bam .{3,80}? schrieb|"
    r"\bil .{3,80}? ha scritto|\bem .{3,80}? escreveu|-{3,} ?original message|^>",
)
SENTENCE_END = re.compile(r"[.!?\n]")
REPLY_PREFIX = re.compile(r"^(?:(?:re|fwd?|tr|aw|wg|rv|res|enc)\s*:\s*)+")
_PHRASE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in PHRASES) + r")\b")


def folded(text: str) -> str:
    """Lower case, accents off, apostrophes and hyphens as spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[’'`]", "", text.replace("-", " "))
    return " ".join(text.split())


def first_sentence(snippet: str) -> str:
    """The new text of a reply up to its first full stop (Gmail's snippet runs on into the
    quoted message)."""
    text = folded(snippet)
    quoted = QUOTED.search(text)
    if quoted:
        text = text[: quoted.start()]
    return SENTENCE_END.split(text, maxsplit=1)[0].strip(" ,;:-")


def _asks(text: str) -> bool:
    bare = text.strip(" .!?,;:-")
    if bare in COMMANDS:
        return True
    for match in _PHRASE.finditer(text):
        before = text[: match.start()].split()[-3:]
        window = " ".join(before)
        if not any(re.search(rf"\b{re.escape(word)}\b", window) for word in NEGATIONS):
            return True
    return False


def asks_to_unsubscribe(subject: str, snippet: str = "") -> bool:
    """The subject (reply prefixes left out) or the first sentence asks to leave."""
    title = REPLY_PREFIX.sub("", folded(subject))
    return _asks(title) or _asks(first_sentence(snippet))


def request_words(subject: str, snippet: str = "") -> str:
    """What the lead wrote that asked it, for the timeline (the subject, else the start of
    the first sentence as they wrote it)."""
    if _asks(REPLY_PREFIX.sub("", folded(subject))):
        return subject.strip()[:120]
    return " ".join(snippet.split())[:120]
