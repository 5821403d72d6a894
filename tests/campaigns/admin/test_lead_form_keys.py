"""Lead form keys in the admin: made with the secret shown once (and a form to paste),
kept as a hash; listed with the leads each brought and the sequence it enrols them in;
revoked by a POST (a GET only asks); another agency's keys and sequences are out of reach."""

import re

from django.urls import reverse

from crm.inbound import keys
from crm.models import InboundKey, Lead
from tests.conftest import make_sequence

LIST = reverse("admin:crm_inboundkey_changelist")
ADD = reverse("admin:crm_inboundkey_add")


def test_a_key_is_shown_once_with_a_form_to_paste_and_kept_as_a_hash(client_a, org_a, account_a):
    nurture = make_sequence(org_a, account_a)
    response = client_a.post(
        ADD, {"name": "Website contact form", "source": "Website", "sequence": nurture.pk}
    )
    page = response.content.decode()
    assert response.status_code == 200, page[:3000]
    secret = re.search(r'id="inbound-secret" readonly value="(lk_[^"]+)"', page).group(1)
    assert "Copy this key now: it is not shown again." in page
    assert f'name="key" value="{secret}"' in page.replace("&quot;", '"')
    key = InboundKey.objects.get()
    assert (key.organization, key.enrol_in, key.source) == (org_a, nurture.pk, "Website")
    assert key.key_hash == keys.key_hash(secret) and secret not in str(key.__dict__)
    assert keys.key_for(secret) == key
    # Never again: neither the list nor the key's page holds it.
    assert secret not in client_a.get(LIST).content.decode()
    change = client_a.get(reverse("admin:crm_inboundkey_change", args=[key.pk]))
    assert secret not in change.content.decode() and f"{key.prefix}…" in change.content.decode()


def test_the_list_shows_the_leads_each_key_brought(client_a, org_a, account_a):
    nurture = make_sequence(org_a, account_a)
    key, _ = keys.inbound_key_create(organization=org_a, name="Site", enrol_in=nurture.pk)
    for n in range(3):
        Lead.objects.create(organization=org_a, email=f"l{n}@example.com", inbound_key=key)
    Lead.objects.create(organization=org_a, email="other@example.com")
    page = client_a.get(LIST).content.decode()
    link = reverse("admin:crm_lead_changelist") + f"?inbound_key__id__exact={key.pk}"
    assert f'<a href="{link.replace("&", "&amp;")}">3</a>' in page
    assert "Nurture (Draft)" in page
    listed = client_a.get(link).context["cl"].result_list
    assert sorted(lead.email for lead in listed) == [
        "l0@example.com",
        "l1@example.com",
        "l2@example.com",
    ]


def test_revoking_asks_on_a_get_and_revokes_on_the_post(client_a, org_a):
    key, _secret = keys.inbound_key_create(organization=org_a, name="Zapier")
    url = reverse("admin:crm_inboundkey_revoke_one", args=[key.pk])
    assert "Revoke “Zapier" in client_a.get(url).content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    response = client_a.post(url, follow=True)
    assert "1 key revoked" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    page = client_a.get(LIST).content.decode()
    assert "Revoked" in page


def test_the_bulk_action_revokes_only_my_agencys_keys(client_a, org_a, org_b):
    mine, _ = keys.inbound_key_create(organization=org_a, name="Mine")
    theirs, _ = keys.inbound_key_create(organization=org_b, name="Theirs")
    client_a.post(LIST, {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_another_agencys_keys_and_sequences_are_out_of_reach(client_a, org_b, account_b):
    theirs, _ = keys.inbound_key_create(organization=org_b, name="Harbor site")
    assert "Harbor site" not in client_a.get(LIST).content.decode()
    change = reverse("admin:crm_inboundkey_change", args=[theirs.pk])
    assert client_a.get(change).status_code in (302, 404)
    their_sequence = make_sequence(org_b, account_b)
    response = client_a.post(ADD, {"name": "Sneaky", "sequence": their_sequence.pk})
    assert "Select a valid choice" in response.content.decode()
    assert not InboundKey.objects.filter(name="Sneaky").exists()
