"""The preflight warns about a step written in another language than the campaign's (its
footer, listing cards and unsubscribe page are in the campaign's), from a count of the
template's small words; and it checks each message in the campaign's language."""

import time

import pytest

from campaigns.models import CampaignStep
from campaigns.preflight import content, preflight_run
from campaigns.preflight.audit import OTHER_LANGUAGE
from campaigns.preflight.languages import guess_language

FRENCH = """<p>Bonjour {{ lead.first_name }},</p>
<p>Merci pour votre demande. Nous avons trois nouveaux biens dans votre quartier, et je
serais ravie de vous les faire visiter cette semaine.</p>
<p>Bien cordialement,<br>{{ sender.name }}</p>"""
SPANISH = """<p>Hola {{ lead.first_name }},</p>
<p>Gracias por su mensaje. Tenemos tres casas nuevas en su barrio y me encantaría
enseñárselas esta semana. Saludos</p>"""
ENGLISH = """<p>Hi {{ lead.first_name }},</p>
<p>Thanks for your interest. We have three new homes in your area, and I would be glad to
show them to you this week.</p>"""


@pytest.mark.parametrize(
    ("text", "language"),
    [(FRENCH, "fr"), (SPANISH, "es"), (ENGLISH, "en"), ("<p>Hi {{ lead.name }}</p>", None)],
)
def test_the_language_of_a_template_is_told_by_its_small_words(text, language):
    assert guess_language("Subject", text) == language


def test_markup_links_and_template_code_are_not_read_as_words():
    english_code = '{% if lead.city %}{{ lead.city | default("the area") }}{% endif %}'
    link = '<a href="https://example.com/the/and/you/for/with">Voir</a>'
    assert guess_language(f"<p>{english_code} {link} Bonjour, merci pour votre visite.</p>") in (
        "fr",
        None,
    )


def languages_found(campaign) -> list:
    return preflight_run(campaign).languages


def test_a_french_step_in_an_english_campaign_is_flagged_for_its_leads(campaign_a, lead_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(
        subject="Nouveaux biens", body_template=FRENCH
    )
    report = preflight_run(campaign_a)
    [finding] = report.languages
    assert finding.key == "language:1" and finding.lead_ids == [lead_a.pk]
    assert finding.detail == OTHER_LANGUAGE.format(written="French", language="English")
    assert not report.all_clear
    assert "Steps in another language than the campaign's:" in report.lines()


def test_the_same_step_in_a_campaign_written_in_french_is_fine(campaign_a, lead_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(body_template=FRENCH)
    campaign_a.language = "fr"
    campaign_a.save()
    assert languages_found(campaign_a) == []


def test_a_spanish_step_in_a_french_agencys_campaign_names_both(campaign_b, lead_b):
    organization = campaign_b.organization
    organization.language = "fr"
    organization.save()
    CampaignStep.objects.filter(campaign=campaign_b).update(body_template=SPANISH)
    [finding] = languages_found(campaign_b)
    assert finding.detail == OTHER_LANGUAGE.format(written="Spanish", language="French")


def test_a_step_too_short_to_tell_is_not_flagged(campaign_a, lead_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(body_template="<p>Bonjour !</p>")
    assert languages_found(campaign_a) == []


def test_each_message_is_checked_as_written_in_the_campaigns_language(campaign_a, lead_a):
    """The French footer's words are ours, not the message's: an image alone is still an
    image alone."""
    campaign_a.language = "fr"
    campaign_a.save()
    CampaignStep.objects.filter(campaign=campaign_a).update(
        body_template='<img src="https://agency.example/flyer.png" alt="">'
    )
    report = preflight_run(campaign_a)
    problems = {finding.key.split(":")[2] for finding in report.content}
    assert content.IMAGES_ONLY in problems and content.NO_TEXT in problems


@pytest.mark.parametrize(
    "text", ["<" * 100_000, "{#" * 50_000, "x@" * 50_000, "{% raw %}" + "{{" * 45_000]
)
def test_a_template_built_to_be_slow_to_read_is_read_in_linear_time(text):
    """Staff write the templates: a "<" never closed, retried from each one by a regular
    expression, would take minutes; read in one pass it takes milliseconds."""
    started = time.thread_time()
    assert guess_language(text) is None
    assert time.thread_time() - started < 0.5
