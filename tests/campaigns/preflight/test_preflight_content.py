"""The content checks deliverability guides name, run on each message as it will be sent
(the footer the builder adds included), each with a one-line reason."""

import pytest

from campaigns.models import CampaignStep
from campaigns.preflight import content, preflight_run

CLEAN_HTML = "<p>Hi Ana, three new homes in Pasadena.</p>"


def checked(step_fields: dict, campaign_a) -> dict[str, str]:
    CampaignStep.objects.filter(campaign=campaign_a).update(**step_fields)
    return {
        finding.key.split(":")[2]: finding.detail for finding in preflight_run(campaign_a).content
    }


def test_a_plain_message_passes_every_check(campaign_a, lead_a):
    assert checked({"subject": "Homes in Pasadena", "body_template": CLEAN_HTML}, campaign_a) == {}


@pytest.mark.parametrize(
    ("subject", "problem"),
    [
        ("{{ lead.city }}", content.SUBJECT_EMPTY),  # Ana has no city
        ("New homes " * 16, content.SUBJECT_LONG),
        ("NEW HOMES IN PASADENA!", content.SUBJECT_CAPS),
    ],
)
def test_subjects_empty_too_long_or_shouting_are_reported(campaign_a, lead_a, subject, problem):
    found = checked({"subject": subject, "body_template": CLEAN_HTML}, campaign_a)
    assert list(found) == [problem]
    assert found[problem] == f"would get a message where {content.REASONS[problem]}"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "".join(f'<a href="https://agency.example/{n}">home {n}</a> ' for n in range(11)),
            content.TOO_MANY_LINKS,
        ),
        ('<p>See <a href="https://bit.ly/3xYz">the loft</a></p>', content.SHORTENER),
        ('<img src="https://agency.example/flyer.png" alt="">', content.IMAGES_ONLY),
        # Under the 100,000 characters a template may hold, over 102 KB once encoded.
        ("<p>" + "Un séjour très éclairé. " * 3900 + "</p>", content.CLIPPED),
    ],
)
def test_bodies_that_filters_distrust_are_reported(campaign_a, lead_a, body, problem):
    found = checked({"subject": "Homes", "body_template": body}, campaign_a)
    assert problem in found


def test_ten_links_and_the_unsubscribe_link_are_fine(campaign_a, lead_a):
    links = "".join(f'<a href="https://agency.example/{n}">home {n}</a> ' for n in range(10))
    assert checked({"subject": "Homes", "body_template": f"<p>{links}</p>"}, campaign_a) == {}


def test_an_empty_text_version_is_reported(campaign_a, lead_a):
    found = checked(
        {
            "subject": "Homes",
            "body_template": CLEAN_HTML,
            "text_template": "{% if false %}x{% endif %}",
        },
        campaign_a,
    )
    assert list(found) == [content.NO_TEXT]


def test_an_unsubscribe_link_hidden_in_a_comment_counts_as_removed(campaign_a, lead_a):
    # The builder adds a footer only when the link is absent: a comment hides it from that.
    body = CLEAN_HTML + "<!-- {{ unsubscribe_url }} -->"
    found = checked({"subject": "Homes", "body_template": body}, campaign_a)
    assert list(found) == [content.NO_UNSUBSCRIBE]


def test_a_postal_address_only_in_the_text_version_counts_as_removed_from_the_html(
    campaign_a, lead_a
):
    text = "Hi Ana.\n{{ organization.postal_address }}\n{{ unsubscribe_url }}"
    found = checked(
        {"subject": "Homes", "body_template": CLEAN_HTML, "text_template": text}, campaign_a
    )
    assert list(found) == [content.NO_ADDRESS]


def test_a_template_that_writes_the_footer_itself_passes(campaign_a, lead_a):
    body = (
        CLEAN_HTML + '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · '
        "{{ organization.postal_address }}</p>"
    )
    assert checked({"subject": "Homes", "body_template": body}, campaign_a) == {}


def test_click_tracking_is_counted_in_the_size_gmail_sees(campaign_a, lead_a):
    # Just under the limit untracked; each tracked link is much longer than the original.
    links = "".join(f'<a href="https://a.example/{n}">{n}</a>' for n in range(20))
    # Two bytes a character: a template may hold at most 100,000 characters.
    body = "<p>" + "é" * ((content.GMAIL_CLIP_BYTES - 1_000 - len(links)) // 2) + links + "</p>"
    assert content.CLIPPED not in checked({"subject": "Homes", "body_template": body}, campaign_a)
    campaign_a.track_clicks = True
    campaign_a.save()
    assert content.CLIPPED in checked({"subject": "Homes", "body_template": body}, campaign_a)
