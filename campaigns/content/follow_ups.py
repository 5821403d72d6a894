"""What subject a step is sent with. A sequence that threads its follow-ups sends each step
after the first as a reply in the first email's thread, and Gmail threads a reply only when
its subject is the first one's: such a step goes out as "Re: " (reply_subject, in the
campaign's language) and the first email's subject, and the subject written for it is not
used (unless the step is set to go as a new email).

One function says it for the step editor, the previews, the preflight, the export and the
send (campaigns/sequences/schedule.py), so that what staff read is what leads get."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from campaigns.content.reply_subject import reply_subject


def in_first_thread(step: Any, first_step: Any) -> bool:
    """Whether `step` goes as a reply in the thread of `first_step`, its sequence's first
    active step: the campaign threads its follow-ups and the step is not set to go as a
    new email. Steps are compared by their number (an unsaved step in the editor has one)."""
    campaign = step.campaign
    return (
        campaign.type == "sequence"
        and campaign.thread_follow_ups
        and first_step is not None
        and step.order != first_step.order
        and not step.new_thread
    )


def subject_as_sent(step: Any, first_step: Any, own: str, first: str | None) -> str:
    """The subject `step` is sent with: `own` (its subject, rendered for a lead or in its
    own words), or, when it goes in the first step's thread, `first` (the first email's,
    the same way) as a reply. `first` is None when the lead's first email did not go out:
    the follow-up then starts a thread of its own, with its own subject."""
    if first is None or not in_first_thread(step, first_step):
        return own
    # "Re: " in the campaign's language's way, once (content/reply_subject.py).
    return reply_subject(first, step.campaign.email_language())


@dataclass(frozen=True)
class SentSubject:
    """A step and the subject it is sent with, in words; `threaded`: its own is not used."""

    step: Any
    subject: str
    threaded: bool


def subjects_as_sent(steps: list[Any], words: Callable[[str], str]) -> list[SentSubject]:
    """Each of a campaign's steps (active ones, in order) with the subject it is sent with,
    in its own words (`words` reads a template: Campaign.as_written), for the pages that
    show every step: the editor, the preflight, the export."""
    first = steps[0] if steps else None
    first_words = words(first.subject) if first is not None else None
    return [
        SentSubject(
            step,
            subject_as_sent(step, first, words(step.subject), first_words),
            in_first_thread(step, first),
        )
        for step in steps
    ]
