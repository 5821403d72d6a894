"""A blast's step takes subjects B to D in the step editor, checked like its subject when
saved (the mistake named, with its line) and in the live preview; each subject is previewed
as it is sent. A sequence's steps take none."""

from django.urls import reverse

from campaigns.models import VARIANTS_FOR_BLASTS, Campaign, MessageLog
from campaigns.outbox import claims
from crm.models import Lead
from tests.conftest import ab_blast, campaign_page, make_sequence, saved_steps

PREVIEW = reverse("admin:campaigns_campaign_step_preview")


def change_url(campaign: Campaign) -> str:
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def with_subjects(campaign: Campaign, **subjects: str) -> dict:
    steps = saved_steps(campaign)
    steps[0].update(subjects)
    return campaign_page(campaign, steps)


def test_subjects_b_to_d_are_saved_from_the_campaign_page(client_a, campaign_a):
    subjects = {"subject_b": "New homes, {{ lead.first_name }}", "subject_c": "", "subject_d": "D"}
    response = client_a.post(change_url(campaign_a), with_subjects(campaign_a, **subjects))
    assert response.status_code == 302
    step = campaign_a.steps.get()
    assert (step.subject_b, step.subject_d) == ("New homes, {{ lead.first_name }}", "D")
    assert step.variants() == ["A", "B", "D"]


def test_a_mistake_in_subject_b_is_refused_with_its_line(client_a, campaign_a):
    data = with_subjects(campaign_a, subject_b="Hi {{ lead.frist_name }}")
    response = client_a.post(change_url(campaign_a), data)
    assert response.status_code == 200
    assert "There is no field “frist_name” on a lead." in response.content.decode()
    assert campaign_a.steps.get().subject_b == ""


def test_a_sequence_step_takes_no_subject_variants(client_a, org_a, account_a):
    sequence = make_sequence(org_a, account_a)
    response = client_a.post(change_url(sequence), with_subjects(sequence, subject_b="Other"))
    assert response.status_code == 200
    assert str(VARIANTS_FOR_BLASTS) in response.content.decode()
    assert not sequence.steps.exclude(subject_b="").exists()


def test_the_live_preview_shows_the_subject_chosen_and_names_its_mistakes(
    client_a, campaign_a, lead_a
):
    typed = {
        "campaign": campaign_a.pk,
        "lead": lead_a.pk,
        "subject": "A for {{ lead.name }}",
        "subject_b": "B for {{ lead.name }}",
        "body_template": "<p>Hi</p>",
    }
    assert client_a.post(PREVIEW, typed).json()["subject"] == "A for Ana Souza"
    chosen = client_a.post(PREVIEW, {**typed, "variant": "B"}).json()
    assert (chosen["variant"], chosen["subject"]) == ("B", "B for Ana Souza")
    unwritten = client_a.post(PREVIEW, {**typed, "variant": "C"}).json()
    assert (unwritten["variant"], unwritten["subject"]) == ("A", "A for Ana Souza")
    broken = {**typed, "subject_b": "{% if lead.city %}B", "variant": "B"}
    error = client_a.post(PREVIEW, broken).json()["error"]
    assert error["part"] == "subject B" and "never closed" in error["message"]


def test_each_subject_is_previewed_as_it_is_sent(client_a, campaign_a):
    ab_blast(campaign_a, leads=4, share=100)  # two leads per subject, all in the test
    claimed = claims.claim(
        campaign_a.email_account, claims.account_queue(campaign_a.email_account), 4
    )
    assert {message.variant for message in claimed.messages} == {"A", "B"}
    step = campaign_a.steps.get()
    for message in claimed.messages:
        page = client_a.get(
            reverse("admin:campaigns_campaignstep_preview", args=[step.pk]),
            {"lead": message.lead_id, "variant": message.variant},
        )
        sent = MessageLog.objects.get(pk=message.pk).subject
        assert sent == f"{message.variant}: {Lead.objects.get(pk=message.lead_id).name}"
        assert f'<p class="text-important font-semibold" id="preview-subject">{sent}</p>' in (
            page.content.decode()
        )


def test_a_duplicate_keeps_the_subjects_and_the_test_settings(campaign_a):
    ab_blast(campaign_a, leads=2, share=50)
    Campaign.objects.filter(pk=campaign_a.pk).update(ab_wait_hours=9)
    campaign_a.refresh_from_db()
    copy = campaign_a.duplicate()
    assert copy.steps.get().subject_b == "B: {{ lead.name }}"
    assert (copy.ab_share, copy.ab_wait_hours, copy.ab_measure) == (50, 9, "opens")
