"""Templates read a lead's real first name (the fallback applies when it has none), its
custom fields (`{{ lead.custom.neighborhood }}`) and its phone as people of the agency's
country write it."""

from campaigns.content import rendering
from campaigns.outbox import sending
from crm.models import Lead

STEP = (
    "<p>Hi {{ lead.first_name | default('there', true) }}, homes around "
    "{{ lead.custom.neighborhood | default('your area', true) }}. Call {{ lead.phone }}.</p>"
)


def rendered(lead: Lead) -> str:
    context = rendering.message_context(lead=lead, sender=None, unsubscribe_url="https://u/x")
    return rendering.render(STEP, context, html=True)


def test_a_lead_with_only_a_last_name_gets_the_fallback_not_its_last_name(org_a):
    okafor = Lead.objects.create(organization=org_a, last_name="Okafor", email="o@example.com")
    assert rendered(okafor).startswith("<p>Hi there,")


def test_a_custom_field_is_printed_and_a_lead_without_it_gets_the_fallback(org_a):
    ana = Lead.objects.create(
        organization=org_a,
        first_name="Ana",
        email="a@example.com",
        phone="+13105551542",
        custom={"neighborhood": "Echo Park"},
    )
    ben = Lead.objects.create(organization=org_a, first_name="Ben", email="b@example.com")
    assert rendered(ana) == ("<p>Hi Ana, homes around Echo Park. Call (310) 555-1542.</p>")
    assert rendered(ben) == "<p>Hi Ben, homes around your area. Call .</p>"


def test_a_custom_field_named_like_a_dict_method_is_the_field(org_a):
    lead = Lead.objects.create(
        organization=org_a, email="a@example.com", custom={"items": "3 beds", "keys": "<b>"}
    )
    context = rendering.message_context(lead=lead, sender=None, unsubscribe_url="https://u/x")
    out = rendering.render("{{ lead.custom.items }} {{ lead.custom.keys }}", context, html=True)
    assert out == "3 beds &lt;b&gt;"


def test_a_step_using_a_custom_field_saves_and_previews(campaign_a, org_a):
    step = campaign_a.steps.get()
    step.body_template = STEP
    step.full_clean()
    lead = Lead.objects.create(
        organization=org_a,
        first_name="Cy",
        email="c@example.com",
        custom={"neighborhood": "Silver Lake"},
    )
    message = sending.render_for(step, lead, campaign_a.email_account)
    assert "homes around Silver Lake" in message.html


def test_a_french_agency_reads_french_numbers_as_french_people_write_them(org_b):
    org_b.country = "FR"
    org_b.save()
    lead = Lead.objects.create(organization=org_b, email="l@example.fr", phone="+33675137778")
    context = rendering.message_context(lead=lead, sender=None, unsubscribe_url="https://u/x")
    assert context["lead"]["phone"] == "06 75 13 77 78"
