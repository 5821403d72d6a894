"""What a preflight found, as lines of plain words, each about a set of leads."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.content.follow_ups import SentSubject

THREADED = _(
    "{step} goes as a reply in the first email's thread, with the subject “{subject}”: the "
    "subject written for it is not used."
)


def leads_text(count: int) -> str:
    return ngettext("%(n)s lead", "%(n)s leads", count) % {"n": f"{count:,}"}


@dataclass
class Finding:
    """`count` leads (the page links them) and what about them: "lead.city: 32 leads
    with no city; step 1 uses the fallback “your area”"."""

    key: str
    label: str
    detail: str
    lead_ids: list = field(default_factory=list)
    url: str = ""  # the lead list filtered to these leads, set by the admin page

    @property
    def count(self) -> int:
        return len(self.lead_ids)

    @property
    def count_text(self) -> str:
        return leads_text(self.count)

    def __str__(self) -> str:
        return f"{self.label}: {self.count_text} {self.detail}"


@dataclass
class Report:
    """The preflight of a campaign's audience: nothing in it was queued or sent."""

    campaign: Any
    steps: list
    audience: int = 0
    to_send: int = 0
    skipped: list[Finding] = field(default_factory=list)
    fields: list[Finding] = field(default_factory=list)
    failures: list[Finding] = field(default_factory=list)
    content: list[Finding] = field(default_factory=list)
    languages: list[Finding] = field(default_factory=list)
    duplicates: list[Finding] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    seconds: float = 0.0
    subjects: list[SentSubject] = field(default_factory=list)

    @property
    def threaded(self) -> list[str]:
        """The steps whose own subject threading replaces, said in words."""
        return [
            THREADED.format(step=sent.step.label(), subject=sent.subject)
            for sent in self.subjects
            if sent.threaded
        ]

    @property
    def sections(self) -> list[tuple[str, list[Finding]]]:
        named = [
            ("Skipped, and why", self.skipped),
            ("Merge fields that are blank for some leads", self.fields),
            ("Leads the message cannot be rendered for", self.failures),
            ("Content that hurts delivery", self.content),
            ("Steps in another language than the campaign's", self.languages),
            ("Addresses shared by several leads", self.duplicates),
        ]
        return [(title, findings) for title, findings in named if findings]

    @property
    def all_clear(self) -> bool:
        return not (self.fields or self.failures or self.content or self.languages or self.blocking)

    def findings(self) -> list[Finding]:
        return [finding for _, findings in self.sections for finding in findings]

    def summary(self) -> str:
        skipped = sum(finding.count for finding in self.skipped)
        steps = len(self.steps)
        return (
            f"{leads_text(self.audience)} in the audience: {self.to_send:,} would get "
            f"{'them' if steps > 1 else 'it'}, {skipped:,} skipped. "
            + ngettext("%(n)s step", "%(n)s steps", steps)
            % {"n": steps}
            + f" rendered and checked for every lead in {self.seconds:.2f} s; "
            "nothing was queued."
        )

    def lines(self) -> list[str]:
        """The report as text (manage.py launch_campaign --check)."""
        lines = [f"Preflight of “{self.campaign.name}”: {self.summary()}", *self.threaded]
        for title, findings in self.sections:
            lines.append(f"{title}:")
            lines.extend(f"  {finding}" for finding in findings)
        if self.all_clear:
            lines.append("No blank field, rendering failure or content problem.")
        lines.extend(f"Launch is blocked: {reason}" for reason in self.blocking)
        return lines
