"""Tags are a real field: the leads list filters by them (only the agency's are offered),
the list shows phones as the agency's country writes them, and a lead's form offers only
the agency's tags."""

from django.urls import reverse

from crm.models import Lead, Tag

URL = reverse("admin:crm_lead_changelist")


def test_the_leads_list_filters_by_tag_and_offers_only_the_agencys_tags(client_a, org_a, org_b):
    buyer = Tag.objects.create(organization=org_a, name="Buyer")
    Tag.objects.create(organization=org_b, name="Harbor VIP")
    ana = Lead.objects.create(organization=org_a, first_name="Ana", email="ana@example.com")
    ana.tags.set([buyer])
    Lead.objects.create(organization=org_a, first_name="Ben", email="ben@example.com")
    page = client_a.get(URL)
    text = page.content.decode()
    assert "Buyer" in text and "Harbor VIP" not in text
    filtered = client_a.get(URL, {"tags__id__exact": buyer.pk})
    assert [lead.first_name for lead in filtered.context["cl"].result_list] == ["Ana"]


def test_the_list_shows_a_phone_as_the_agency_writes_it(client_a, org_a):
    Lead.objects.create(
        organization=org_a, first_name="Ana", email="ana@example.com", phone="+13105551542"
    )
    assert "(310) 555-1542" in client_a.get(URL).content.decode()


def test_a_lead_form_offers_the_agencys_tags_only(client_a, org_a, org_b):
    Tag.objects.create(organization=org_a, name="Buyer")
    theirs = Tag.objects.create(organization=org_b, name="Harbor VIP")
    lead = Lead.objects.create(organization=org_a, first_name="Ana", email="ana@example.com")
    form = client_a.get(reverse("admin:crm_lead_change", args=[lead.pk])).context["adminform"]
    choices = form.form.fields["tags"].queryset
    assert list(choices.values_list("name", flat=True)) == ["Buyer"]
    assert theirs not in choices
