"""Pages are named for the people using them: the home by the agency, the header by the
page ("Leads > Import", "Campaigns > Spring A > Launch"), never "Site administration"."""

import re

from django.urls import reverse


def header(response) -> str:
    """The header's breadcrumbs as a person reads them."""
    page = response.content.decode()
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.DOTALL).group(1)
    text = re.sub(r"<[^>]+>", " ", h1.replace("chevron_right", "›"))
    return " ".join(text.split())


def test_the_home_is_titled_with_the_agency_name(client_a):
    response = client_a.get(reverse("admin:index"))
    page = response.content.decode()
    assert "Site administration" not in page
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)
    assert " ".join(title.split()) == "Sunset Realty | Campaigns"
    assert header(response) == "Sunset Realty"


def test_a_superuser_home_names_all_agencies(admin_client_root, org_a):
    assert header(admin_client_root.get(reverse("admin:index"))) == "All agencies"


def test_the_import_page_is_named_in_the_header(client_a):
    assert header(client_a.get(reverse("admin:crm_lead_import"))) == "Leads › Import"
    page = client_a.get(reverse("admin:crm_suppressedaddress_import"))
    assert header(page) == "Suppression list › Import"


def test_campaign_pages_name_the_campaign_and_the_page(client_a, campaign_a, lead_a):
    change = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    assert header(change) == "Campaigns › Spring A"
    launch = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    assert header(launch) == "Campaigns › Spring A › Launch"
    assert header(client_a.get(reverse("admin:campaigns_campaign_changelist"))) == "Campaigns"
    step = campaign_a.steps.get()
    preview = client_a.get(reverse("admin:campaigns_campaignstep_preview", args=[step.pk]))
    assert header(preview) == "Campaigns › Spring A › Preview of Step 1 · Hi A"


def test_the_header_links_back_to_the_list_and_the_campaign(client_a, campaign_a, lead_a):
    page = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    h1 = page.content.decode().split("<h1")[1].split("</h1>")[0]
    assert f'href="{reverse("admin:campaigns_campaign_changelist")}"' in h1
    assert f'href="{reverse("admin:campaigns_campaign_change", args=[campaign_a.pk])}"' in h1
