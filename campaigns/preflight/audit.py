"""The preflight itself: one query for the audience and why each lead is skipped, contexts
built from its rows, every step rendered by the one renderer, every message checked."""

import hashlib
import time
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import translation

from campaigns.audiences import audience
from campaigns.content import follow_ups, rendering
from campaigns.models import Campaign, CampaignStep, Enrollment, MessageLog
from campaigns.outbox import senders, unsubscribe_links
from campaigns.preflight import content, fields, languages, renders
from campaigns.preflight.report import Finding, Report
from campaigns.sequences import schedule
from crm import consent
from crm.models import Property

CHUNK = 2000
LEAD_COLUMNS = (
    "pk",
    "name",
    "first_name",
    "last_name",
    "custom",
    "email",
    "phone",
    "city",
    "status",
    "budget_min",
    "budget_max",
    "source",
    "created_at",
    "property_id",
    "owner_id",
)
# Skip reasons in the order they are told: a lead counts under the first that applies.
SKIPS = {
    "opted_out": ("Opted out", "unsubscribed: they are never emailed again."),
    "suppressed": (
        "On the suppression list",
        "with an address that bounced or that staff listed.",
    ),
    "left": (
        "Left this campaign",
        "opted out of this campaign, or of its kind, on their preference page.",
    ),
    "no_consent": (
        "No consent on record",
        "with no basis for email that {regime} accepts: record their consent on their page.",
    ),
    "consent_expired": (
        "Consent expired",
        "whose consent from an enquiry or a past sale ran out under {regime}: record a new "
        "enquiry or their express consent on their page.",
    ),
    "already": ("Already in the sequence", "enrolled already: they are not enrolled twice."),
    "already_sent": ("Already sent", "got this step already: nobody gets a step twice."),
    "stops": ("Clients and lost leads", "marked client or lost: the sequence stops for them."),
    "no_account": (
        "No sending account",
        "would get nothing: the campaign has no sending account that can send. Choose one "
        "(or reconnect it); they were checked as they would be sent.",
    ),
}
PARTS = {"subject": "subject", "html": "body", "text": "text version"}
BLOCKED_STEP = "step {order} cannot be rendered for any lead (all {count:,} fail): {reason}"
BLOCKED_ACCOUNT = "the campaign has no sending account that can send."
OTHER_LANGUAGE = (
    "would get a message written in {written}, while this campaign writes to them in "
    "{language} (the footer, listing cards and unsubscribe page): translate the step, or "
    "set the campaign's language to {written}."
)


def steps_of(campaign: Campaign) -> list[CampaignStep]:
    """The steps a launch sends: a blast's first step, a sequence's active steps."""
    if campaign.type == Campaign.Type.SEQUENCE:
        return schedule.active_steps(campaign)
    first = campaign.steps.order_by("order").first()
    return [first] if first else []


def preflight_run(
    campaign: Campaign,
    *,
    lead_ids: list[str] | None = None,
    audience_filter: dict[str, Any] | None = None,
    only: str = "",
    digest: Any = None,
) -> Report:
    """Render every step for every lead of the audience and report; nothing is queued.
    `only` names one finding's key when just its leads are wanted (the lead list's filter);
    `digest` (a hashlib object) is fed every rendering, for the benchmark's comparison.
    Raises audience.AudienceError for a bad filter."""
    started = time.perf_counter()
    audience_args: dict[str, Any] = {}
    if lead_ids is not None:
        audience_args["lead_ids"] = lead_ids
    if audience_filter is not None:
        audience_args["audience_filter"] = audience_filter
    leads = audience.audience_of(campaign, **audience_args)
    steps = steps_of(campaign)
    audit = _Audit(campaign, steps, render=not only or only.startswith(("failed:", "content:")))
    skipped: dict[str, list] = defaultdict(list)
    reasons, rows = _rows(campaign, leads, steps)
    for row in rows:
        flags = row[len(LEAD_COLUMNS) :]
        reason = next((name for name, flag in zip(reasons, flags, strict=True) if flag), "")
        if reason:
            skipped[reason].append(row[0])
        else:
            audit.add(row, digest)
    report = Report(campaign=campaign, steps=steps, audience=audit.seen + _count(skipped))
    report.to_send = audit.seen - len(audit.no_account)
    if audit.no_account:
        skipped["no_account"] = audit.no_account
    if audit.account is None or not audit.account.can_send:
        # Sent from each lead's agent or not, a launch needs an account to fall back on.
        report.blocking.append(BLOCKED_ACCOUNT)
    regime = consent.regime_for(campaign.organization.country).name
    report.skipped = [
        Finding(
            f"skipped:{name}",
            SKIPS[name][0],
            SKIPS[name][1].format(regime=regime),
            lead_ids=skipped[name],
        )
        for name in SKIPS
        if skipped.get(name)
    ]
    report.fields = audit.field_findings()
    report.failures = audit.failure_findings()
    report.content = audit.content_findings()
    report.languages = audit.language_findings()
    report.duplicates = _duplicates(leads) if not only or only == "duplicates" else []
    report.blocking += audit.blocking()
    report.subjects = follow_ups.subjects_as_sent(steps, campaign.as_written)
    report.seconds = time.perf_counter() - started
    return report


def lead_ids(campaign: Campaign, key: str) -> list:
    """The leads of one finding of the campaign's preflight, found again from the data."""
    report = preflight_run(campaign, only=key)
    return next((finding.lead_ids for finding in report.findings() if finding.key == key), [])


def _count(groups: dict[str, list]) -> int:
    return sum(len(ids) for ids in groups.values())


def _rows(campaign: Campaign, leads: Any, steps: list[CampaignStep]) -> tuple[list[str], Any]:
    """The skip reasons that apply to this campaign, and the audience's leads with one flag
    per reason, in one query."""
    flags: dict[str, Q] = audience.skip_reasons(campaign)
    if campaign.type == Campaign.Type.SEQUENCE:
        enrolled = Enrollment.objects.filter(campaign=campaign, lead=OuterRef("pk"))
        flags["already"] = Q(Exists(enrolled))
        flags["stops"] = Q(status__in=schedule.STOP_STATUSES)
    elif steps:
        sent = MessageLog.objects.filter(campaign_step=steps[0], lead=OuterRef("pk"), is_test=False)
        flags["already_sent"] = Q(Exists(sent))
    annotated = leads.annotate(
        **{f"skip_{name}": ExpressionWrapper(q, BooleanField()) for name, q in flags.items()}
    )
    names = [*LEAD_COLUMNS, *(f"skip_{name}" for name in flags)]
    return list(flags), annotated.order_by("pk").values_list(*names).iterator(chunk_size=CHUNK)


def _duplicates(leads: Any) -> list[Finding]:
    """Leads sharing an address with another lead of the audience (once lower-cased): the
    database keeps one lead per address per agency, so this stays empty unless that rule
    was bypassed; such a mailbox would get the message once per lead."""
    shared = (
        leads.annotate(address=Lower("email"))
        .values("address")
        .annotate(leads=Count("pk"))
        .filter(leads__gt=1)
        .values("address")
    )
    ids = list(
        leads.annotate(address=Lower("email"))
        .filter(address__in=shared)
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    detail = "sharing an address with another lead: that mailbox gets it once per lead."
    return [Finding("duplicates", "Shared addresses", detail, lead_ids=ids)]


class _Audit:
    """Renders each lead's steps and remembers, per finding, which leads it concerns."""

    def __init__(self, campaign: Campaign, steps: list[CampaignStep], render: bool) -> None:
        self.campaign, self.steps, self.render = campaign, steps, render
        self.organization = campaign.organization
        self.language = campaign.email_language()
        self.account = senders.sending_account(campaign)
        self.properties = {
            item.pk: (item, rendering.property_values(item))
            for item in Property.objects.filter(organization=self.organization)
        }
        self.link = renders.stand_in_link(campaign)
        # Each lead is checked as sent from their own sender (the agent's, or the campaign's).
        self.senders = senders.Senders(campaign, self.account)
        self.renderers: dict[Any, list[renders.StepRenderer]] = {}
        self.no_account: list = []  # leads whom no account that can send would send to
        self.uses = {
            step.order: fields.step_uses(
                (step.subject, False), (step.body_template, True), (step.text_template, False)
            )
            for step in steps
        }
        used = {name for uses in self.uses.values() for name in uses}
        self.used = sorted(used, key=lambda name: (not name.startswith("lead."), name))
        self.ids: list = []
        self.empty: dict[str, list] = defaultdict(list)
        self.missing: dict[str, list] = defaultdict(list)
        self.printed_none: set[str] = set()
        self.failures: dict[tuple, list] = defaultdict(list)
        self.problems: dict[tuple, list] = defaultdict(list)
        self.rendered = dict.fromkeys((step.order for step in steps), 0)

    @property
    def seen(self) -> int:
        return len(self.ids)

    def renderers_for(self, account: Any) -> list[renders.StepRenderer]:
        key = account.pk if account else None
        if key not in self.renderers:
            self.renderers[key] = [
                renders.StepRenderer(step, self.campaign, account, self.link) for step in self.steps
            ]
        return self.renderers[key]

    def add(self, row: tuple, digest: Any) -> None:
        pk = row[0]
        self.ids.append(pk)
        lead = SimpleNamespace(**dict(zip(LEAD_COLUMNS, row, strict=False)))
        lead.sender = self.senders.for_owner(lead.owner_id)
        if lead.sender is self.account and (self.account is None or not self.account.can_send):
            self.no_account.append(pk)
        lead.organization = self.organization
        lead.property, property_values = self.properties.get(lead.property_id, (None, None))
        values = {"lead": rendering.lead_values(lead), "property": property_values}
        self._count_blanks(pk, values)
        if self.render:
            self._render(pk, lead, values, digest)

    def _count_blanks(self, pk: Any, values: dict) -> None:
        for name in self.used:
            value = fields.value_of(values, name)
            if value is fields.ABSENT:
                self.missing[name].append(pk)
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                self.empty[name].append(pk)
                if value is None:
                    self.printed_none.add(name)

    def _render(self, pk: Any, lead: Any, values: dict, digest: Any) -> None:
        own: list[str] = []

        def own_link() -> str:  # signed once per lead, and only when needed
            if not own:
                own.append(unsubscribe_links.url_for(lead, campaign=self.campaign))
            return own[0]

        first_subject = None
        for index, renderer in enumerate(self.renderers_for(lead.sender)):
            order = renderer.step.order
            outcome, link = renderer.outcome(values, lead, own_link)
            if outcome.final is None:
                self.failures[order, outcome.part, outcome.error].append(pk)
                if digest is not None:
                    digest.update(f"{pk}|{order}|{outcome.part}|{outcome.error}\n".encode())
                continue
            self.rendered[order] += 1
            for problem in outcome.problems:
                self.problems[order, problem].append(pk)
            subject = outcome.final.subject
            if link in subject:
                subject = subject.replace(link, own_link())
            if index == 0:
                first_subject = subject
            else:
                # A threaded follow-up goes as a reply, with the first email's subject.
                subject = follow_ups.subject_as_sent(
                    renderer.step, self.steps[0], subject, first_subject
                )
            for problem in content.subject_problems(subject):
                self.problems[order, problem].append(pk)
            if digest is not None:
                final = renders.as_sent(outcome.final, link, own_link())
                digest.update(f"{pk}|{order}|{final.subject}|{final.html}|{final.text}\n".encode())

    def field_findings(self) -> list[Finding]:
        found = []
        for name in self.used:
            attribute = name.rpartition(".")[2].replace("_", " ")
            steps = [(order, uses[name]) for order, uses in self.uses.items() if name in uses]
            if self.empty.get(name):
                treatment = "; ".join(self._empty_phrase(order, use, name) for order, use in steps)
                detail = f"with no {attribute}: {treatment}."
                found.append(Finding(f"blank:{name}", name, detail, lead_ids=self.empty[name]))
            if self.missing.get(name):
                treatment = "; ".join(_missing_phrase(order, use) for order, use in steps)
                detail = f"with no linked property: {treatment}."
                found.append(Finding(f"missing:{name}", name, detail, lead_ids=self.missing[name]))
        return found

    def _empty_phrase(self, order: int, use: fields.Use, name: str) -> str:
        if use.empty == fields.FALLBACK:
            return f"step {order} uses the fallback {_quoted(use.fallback)}"
        if use.empty == fields.LEFT_OUT:
            return f"step {order} leaves it out"
        printed = "“None” is printed" if name in self.printed_none else "they get a blank"
        phrase = f"step {order} has no fallback, {printed}"
        if use.missing_only_default:
            phrase += " (its default(…) only replaces a missing value: add “, true”)"
        return phrase

    def failure_findings(self) -> list[Finding]:
        found = []
        for (order, part, reason), ids in sorted(self.failures.items(), key=lambda item: item[0]):
            digest = hashlib.sha1(f"{order}|{part}|{reason}".encode()).hexdigest()[:12]
            label = f"Step {order} ({PARTS.get(part, part)})"
            detail = f"cannot be rendered: {reason}"
            found.append(Finding(f"failed:{order}:{digest}", label, detail, lead_ids=ids))
        return found

    def content_findings(self) -> list[Finding]:
        order_of = {name: position for position, name in enumerate(content.REASONS)}
        keys = sorted(self.problems, key=lambda key: (key[0], order_of[key[1]]))
        return [
            Finding(
                f"content:{order}:{problem}",
                f"Step {order}",
                f"would get a message where {content.REASONS[problem]}",
                lead_ids=self.problems[order, problem],
            )
            for order, problem in keys
        ]

    def language_findings(self) -> list[Finding]:
        """The steps whose words are in another language than the campaign's."""
        found = []
        for step in self.steps:
            written = languages.guess_language(step.subject, step.body_template, step.text_template)
            if written is None or written == self.language:
                continue
            detail = OTHER_LANGUAGE.format(
                written=_language_name(written), language=_language_name(self.language)
            )
            key = f"language:{step.order}"
            found.append(Finding(key, f"Step {step.order}", detail, lead_ids=list(self.ids)))
        return found

    def blocking(self) -> list[str]:
        """A step that renders for nobody cannot be launched."""
        reasons = []
        for step in self.steps:
            if not self.render or not self.ids or self.rendered[step.order]:
                continue
            first = next(key for key in self.failures if key[0] == step.order)
            reasons.append(BLOCKED_STEP.format(order=step.order, count=self.seen, reason=first[2]))
        return reasons


def _missing_phrase(order: int, use: fields.Use) -> str:
    if use.missing == fields.FALLBACK:
        return f"step {order} uses the fallback {_quoted(use.fallback)}"
    if use.missing == fields.LEFT_OUT:
        return f"step {order} leaves it out"
    return f"step {order} cannot be rendered for them (below)"


def _language_name(code: str) -> str:
    return str(translation.get_language_info(code)["name_translated"])


def _quoted(fallback: str | None) -> str:
    return f"“{fallback}”" if fallback is not None else "given by the template"
