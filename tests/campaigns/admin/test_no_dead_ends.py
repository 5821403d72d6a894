"""No dead ends: a launch refused for want of a sending account links to Connect Gmail (one
that cannot send, to the accounts to reconnect it), and an empty list says what to do first
("No leads yet: import a CSV or add one"), with the pages that do it."""

from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.launching import blasts
from campaigns.models import Campaign, EmailAccount
from crm.models import Lead
from tests.conftest import make_staff


def notes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_launch_without_an_account_links_to_connect_gmail(client_a, org_a, lead_a):
    campaign = Campaign.objects.create(organization=org_a, name="No account")
    campaign.steps.create(order=1, subject="Hi", body_template="<p>Hi</p>")
    response = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign.pk]))
    connect = reverse("admin:campaigns_emailaccount_connect_gmail")
    assert notes(response) == [
        f'{blasts.NO_ACCOUNT} <a class="underline font-medium" href="{connect}">Connect Gmail</a>'
    ]
    page = client_a.get(response.url).content.decode()
    assert f'href="{connect}">Connect Gmail</a>' in page


def test_an_account_that_cannot_send_links_to_the_accounts(client_a, campaign_a, lead_a):
    EmailAccount.objects.filter(pk=campaign_a.email_account_id).update(needs_reconnect=True)
    response = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    (note,) = notes(response)
    assert "Reconnect it first." in note
    assert f'href="{reverse("admin:campaigns_emailaccount_changelist")}"' in note


def test_an_empty_list_says_what_to_do_first(org_b, org_a):
    from tests.conftest import logged_in

    newcomer = logged_in(make_staff("newcomer", org_b))
    Lead.objects.filter(organization=org_b).delete()
    page = newcomer.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "No leads yet: import a CSV (from your CRM or a spreadsheet), or add one." in page
    assert f'href="{reverse("admin:crm_lead_import")}"' in page
    accounts = newcomer.get(reverse("admin:campaigns_emailaccount_changelist")).content.decode()
    assert "No sending account yet: connect the Gmail your campaigns will send from." in accounts
    assert f'href="{reverse("admin:campaigns_emailaccount_connect_gmail")}"' in accounts


def test_a_search_that_finds_nothing_offers_to_reset_it(client_a, lead_a):
    page = client_a.get(reverse("admin:crm_lead_changelist") + "?q=nobody-at-all").content
    assert b"Nothing matches this search or these filters" in page
    assert b"No leads yet" not in page
