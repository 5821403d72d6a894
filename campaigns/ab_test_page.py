"""The A/B subject test on its campaign's page: each subject's results, the p-value, where
the test stands or what it decided (refreshed with the page's live figures), and staff
picking the winner by hand (a confirmation, then a POST)."""

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from campaigns import ab_tests, admin_views, rendering
from campaigns.ab_results import (
    MEASURE_WORDS,
    STAGES,
    WAITING,
    Comparison,
    VariantResult,
    compare,
    p_words,
    percent,
    variant_results,
)
from campaigns.models import AbGroup, AbMeasure, AbTest, Campaign, MessageLog
from crm.timezones import spoken_time

SETTINGS_HELP = (
    "Used when the blast's step has two subjects or more (subject B, C, D beside its "
    "subject): the test share is split evenly between them and sent first; after the wait, "
    "the subject with the best rate goes to the rest, or the first one when the difference "
    "could be chance."
)
QUEUING = "Queuing the audience: the test starts once it is queued."
TESTING = (
    "Testing: {waiting} of the {total} test messages still to send. The winner is chosen "
    "{hours} h after the last one goes out."
)
WAITING_FOR_RESULTS = "Waiting for the results: the winner is chosen {when}."
DUE_NOW = "now (when the sender next runs)"
PAUSED = (
    "Paused: the test and the rest are held. The winner is chosen once you resume and the "
    "wait is over."
)
CANCELLED = "Cancelled before a winner was chosen: the rest was not sent."
DECIDED = "{outcome} Decided {when}."
SETTINGS = (
    "{share}% of the audience, {per_variant} per subject; the best {measure} {hours} h after "
    "the last test message"
)
PICK_TITLE = "Send subject {variant} to the rest?"
PICK_EXPLANATION = (
    "“{subject}” goes to the {held} leads who wait for the winner, at the account's pace. "
    "So far: {so_far}. The test stops here: this cannot be undone."
)
PICK_PAUSED = " The campaign is paused: they go out once you resume it."
PICKED = "Subject {variant} goes to the rest."
NO_TEST = "This campaign has no A/B test."


def ab_test_live(campaign: Campaign) -> dict[str, Any] | None:
    """The test's part of the campaign page's live figures; None without a test."""
    test = (
        AbTest.objects.filter(campaign=campaign)
        .select_related("dispatch__snapshot", "chosen_by")
        .first()
    )
    if test is None:
        return None
    results = variant_results(test)
    comparison = compare(results)
    rest = MessageLog.objects.filter(
        dispatch=test.dispatch_id, ab_group__in=[AbGroup.HELD, AbGroup.REST], is_test=False
    ).funnel(*STAGES, waiting=Count("pk", filter=Q(status__in=WAITING)))
    state, line = _where(campaign, test, results)
    return {
        "state": state,
        "line": line,
        "settings": SETTINGS.format(
            share=test.share,
            per_variant=test.per_variant,
            measure=MEASURE_WORDS[AbMeasure(test.measure)],
            hours=round(test.wait.total_seconds() / 3600, 1),
        ),
        "measure": MEASURE_WORDS[AbMeasure(test.measure)],
        "rows": [_row(result, test, campaign) for result in results],
        "rest": {
            "label": f"The rest: {test.winner}" if test.winner else "The rest (held)",
            **rest,
            "rate": "",
        },
        "comparison": comparison.words() if comparison else "",
        "p_value": p_words(comparison.p_value) if comparison else "",
        "may_pick": state in ("testing", "waiting", "paused"),
    }


def _row(result: VariantResult, test: AbTest, campaign: Campaign) -> dict[str, Any]:
    return {
        "letter": result.letter,
        "subject": as_read(result.subject, campaign),
        **result.counts(),
        "waiting": result.waiting,
        "rate": percent(result.rate) if result.sent else "",
        "winner": result.letter == test.winner,
    }


def as_read(subject: str, campaign: Campaign) -> str:
    """The subject as the sample lead reads it: the page shows no template code."""
    organization = {"name": campaign.organization.name, "postal_address": ""}
    try:
        text = rendering.render(
            subject, {**rendering.SAMPLE_CONTEXT, "organization": organization}, html=False
        )
    except rendering.TemplateError:
        return subject
    return " ".join(text.split())


def _where(campaign: Campaign, test: AbTest, results: list[VariantResult]) -> tuple[str, str]:
    """The test's state, and the line that says it."""
    if test.decided_at:
        return "decided", DECIDED.format(outcome=test.outcome, when=spoken_time(test.decided_at))
    if campaign.status == Campaign.Status.COMPLETED:
        return "cancelled", CANCELLED
    if campaign.status == Campaign.Status.PAUSED:
        return "paused", PAUSED
    if test.started_at is None:
        return "queuing", QUEUING
    due = ab_tests.decision_due_at(test)
    if due is None:
        waiting = sum(result.waiting for result in results)
        hours = round(test.wait.total_seconds() / 3600, 1)
        total = test.per_variant * len(test.variants)
        return "testing", TESTING.format(waiting=waiting, total=total, hours=f"{hours:g}")
    when = spoken_time(due) if due > timezone.now() else DUE_NOW
    return "waiting", WAITING_FOR_RESULTS.format(when=when)


def ab_winner_pick(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Staff send one subject to the rest now: a GET asks (and changes nothing), the POST
    does it. Only for a campaign of the staff member's organizations (the admin's queryset)."""
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404("No such campaign.")
    test = AbTest.objects.filter(campaign=campaign).select_related("dispatch__snapshot").first()
    if test is None:
        raise Http404(NO_TEST)
    back = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    variant = (request.POST.get("variant") or request.GET.get("variant") or "").strip().upper()
    if request.method != "POST":
        if test.decided_at or variant not in test.variants:
            return _picked(request, test, variant, back)
        return admin_views.confirmation(
            model_admin,
            request,
            title=PICK_TITLE.format(variant=variant),
            explanation=_explanation(campaign, test, variant),
            button=f"Send {variant} to the rest",
            back=back,
            icon="emoji_events",
        )
    return _picked(request, test, variant, back)


def _picked(request: HttpRequest, test: AbTest, variant: str, back: str) -> HttpResponse:
    """Pick (on a POST), or say why not; back to the campaign either way."""
    try:
        if request.method != "POST":
            # A GET that cannot be confirmed: the service's own refusal, changing nothing.
            ab_tests.check_pick(test=test, variant=variant)
        else:
            ab_tests.ab_test_pick(test=test, variant=variant, user=request.user)
            messages.success(request, PICKED.format(variant=variant))
    except ab_tests.AbTestError as refused:
        messages.warning(request, str(refused))
    return HttpResponseRedirect(back)


def _explanation(campaign: Campaign, test: AbTest, variant: str) -> str:
    comparison: Comparison | None = compare(variant_results(test))
    held = MessageLog.objects.filter(
        dispatch=test.dispatch_id, ab_group=AbGroup.HELD, status=MessageLog.Status.QUEUED
    ).count()
    text = PICK_EXPLANATION.format(
        subject=test.dispatch.snapshot.subject_of(variant),
        held=f"{held:,}",
        so_far=comparison.words() if comparison else ab_tests.CHOSEN_BEFORE_RESULTS,
    )
    return text + (PICK_PAUSED if campaign.status == Campaign.Status.PAUSED else "")
