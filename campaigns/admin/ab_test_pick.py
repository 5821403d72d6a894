"""Staff pick an A/B subject test's winner by hand, from its campaign's page: a GET shows what
it will do and changes nothing, the POST (with Django's CSRF check) does it."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from campaigns.ab_tests import variants
from campaigns.ab_tests.ab_results import Comparison, as_read, compare, variant_results
from campaigns.admin import pages
from campaigns.models import AbGroup, AbTest, Campaign, MessageLog

PICK_TITLE = "Send subject {variant} to the rest?"
PICK_EXPLANATION = (
    "Subject {variant} (“{subject}”) goes to the {held} leads who wait "
    "for the winner, at the account's pace. So far: {so_far}. The test stops here: this "
    "cannot be undone."
)
PICK_PAUSED = " The campaign is paused: they go out once you resume it."
PICKED = "Subject {variant} goes to the rest."
NO_TEST = "This campaign has no A/B test."


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
        return pages.confirmation(
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
            variants.check_pick(test=test, variant=variant)
        else:
            variants.ab_test_pick(test=test, variant=variant, user=request.user)
            messages.success(request, PICKED.format(variant=variant))
    except variants.AbTestError as refused:
        messages.warning(request, str(refused))
    return HttpResponseRedirect(back)


def _explanation(campaign: Campaign, test: AbTest, variant: str) -> str:
    comparison: Comparison | None = compare(variant_results(test))
    held = MessageLog.objects.filter(
        dispatch=test.dispatch_id, ab_group=AbGroup.HELD, status=MessageLog.Status.QUEUED
    ).count()
    snapshot = test.dispatch.snapshot
    assert snapshot is not None  # A/B tests came after blasts kept their step (0013, 0018)
    text = PICK_EXPLANATION.format(
        variant=variant,
        subject=as_read(snapshot.subject_of(variant), campaign),
        held=f"{held:,}",
        so_far=comparison.words() if comparison else variants.CHOSEN_BEFORE_RESULTS,
    )
    return text + (PICK_PAUSED if campaign.status == Campaign.Status.PAUSED else "")
