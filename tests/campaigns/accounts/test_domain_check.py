"""The domain check reads SPF, DKIM (google._domainkey and the selectors staff add) and
DMARC from a DNS server on loopback, never the internet, and says in plain words what is
missing and what to add; the account page shows the stored result with its time."""

import base64
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.urls import reverse

from campaigns.accounts import domain_check
from campaigns.models import DomainCheck, EmailAccount

SPF = "v=spf1 include:_spf.google.com ~all"
DMARC = "v=DMARC1; p=none; rua=mailto:dmarc@bars-homes.com"


def dkim(bits: int = 2048) -> str:
    """A DKIM record with an RSA key of `bits` (a short one is only a public number: no
    library makes such a key any more)."""
    if bits >= 1024:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    else:
        key = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) + 0x1235).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


@pytest.fixture
def bars(org_a, staff_a) -> EmailAccount:
    return EmailAccount.objects.create(
        organization=org_a,
        user=staff_a,
        email_address="maria@bars-homes.com",
        display_name="Maria",
        refresh_token="r",
    )


def findings(check: DomainCheck) -> dict[str, tuple[bool, str, str]]:
    return {f["key"]: (f["ok"], f["text"], f["fix"]) for f in check.findings}


def test_a_domain_with_all_three_is_authenticated(bars, dns_zone):
    dns_zone.records = {
        "bars-homes.com": ["google-site-verification=abc", SPF],
        "google._domainkey.bars-homes.com": [dkim()],  # 2048 bits: split in 255-byte strings
        "_dmarc.bars-homes.com": [DMARC],
    }
    check = domain_check.check_account(bars)
    assert check.authenticated and not check.error
    assert findings(check)["dmarc"] == (True, "bars-homes.com has a DMARC record (p=none).", "")
    assert check.spf == SPF and check.dmarc == DMARC
    assert "_dmarc.bars-homes.com" in dns_zone.asked  # our server was asked, nobody else


def test_a_missing_dmarc_record_is_said_with_the_record_to_add(bars, dns_zone):
    dns_zone.records = {"bars-homes.com": [SPF], "google._domainkey.bars-homes.com": [dkim()]}
    check = domain_check.check_account(bars)
    assert not check.authenticated
    assert findings(check)["dmarc"] == (
        False,
        "bars-homes.com has no DMARC record.",
        "Add a TXT record at _dmarc.bars-homes.com: v=DMARC1; p=none; "
        "rua=mailto:dmarc@bars-homes.com",
    )


def test_dmarc_falls_back_to_the_organizational_domain(org_a, staff_a, dns_zone):
    account = EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="a@mail.bars-homes.co.uk", display_name="A"
    )
    dns_zone.records = {
        "mail.bars-homes.co.uk": [SPF],
        "google._domainkey.mail.bars-homes.co.uk": [dkim()],
        "_dmarc.bars-homes.co.uk": ["v=DMARC1; p=quarantine"],
    }
    assert findings(domain_check.check_account(account))["dmarc"][0] is True


@pytest.mark.parametrize(
    ("records", "text", "fix"),
    [
        ([], "bars-homes.com has no SPF record.", "v=spf1 include:_spf.google.com ~all"),
        ([SPF, "v=spf1 -all"], "bars-homes.com has 2 SPF records", "Keep one TXT record"),
        (
            ["v=spf1 include:mailgun.org ~all"],
            "does not name Google's servers",
            "v=spf1 include:_spf.google.com include:mailgun.org ~all",
        ),
        (["v=spf1 include:_spf.google.com +all"], "ends in +all", "~all"),
    ],
)
def test_spf_problems_are_named(bars, dns_zone, records, text, fix):
    dns_zone.records = {"bars-homes.com": records}
    ok, said, to_add = findings(domain_check.check_account(bars))["spf"]
    assert not ok and text in said and fix in to_add


def test_dkim_is_read_at_the_selectors_staff_add(bars, dns_zone):
    bars.dkim_selectors = "s1, Mailchimp"
    bars.save()
    dns_zone.records = {"s1._domainkey.bars-homes.com": [dkim()]}
    check = domain_check.check_account(bars)
    assert findings(check)["dkim"] == (True, "bars-homes.com publishes a DKIM key (s1).", "")
    assert {"google._domainkey.bars-homes.com", "mailchimp._domainkey.bars-homes.com"} <= set(
        dns_zone.asked
    )


def test_no_dkim_key_says_where_google_makes_one(bars, dns_zone):
    ok, text, fix = findings(domain_check.check_account(bars))["dkim"]
    assert not ok and text == "bars-homes.com has no DKIM key at google._domainkey.bars-homes.com."
    assert "Google Admin console" in fix and "google._domainkey.bars-homes.com" in fix


def test_a_dkim_key_under_1024_bits_is_too_short(bars, dns_zone):
    dns_zone.records = {"google._domainkey.bars-homes.com": [dkim(768)]}
    ok, text, _ = findings(domain_check.check_account(bars))["dkim"]
    assert not ok and "768 bits" in text


def test_a_resolver_that_does_not_answer_concludes_nothing(bars, dns_zone):
    dns_zone.silent = True
    check = domain_check.check_account(bars)
    assert check.error.startswith("DNS did not answer for bars-homes.com")
    assert check.findings == [] and not check.authenticated


def test_a_personal_gmail_account_is_named_as_such(org_a, staff_a, client_a, dns_zone):
    account = EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="maria.bars@gmail.com", display_name="M"
    )
    assert domain_check.check_account(account) is None and dns_zone.asked == []
    page = client_a.get(reverse("admin:campaigns_emailaccount_change", args=[account.pk]))
    assert "Google&#x27;s own domain" in page.content.decode()
    assert "500 messages a day" in page.content.decode()


def test_a_personal_gmail_account_cannot_be_given_a_workspace_limit(org_a, staff_a):
    from django.core.exceptions import ValidationError

    account = EmailAccount(
        organization=org_a,
        user=staff_a,
        email_address="m@gmail.com",
        display_name="M",
        daily_limit=2000,
    )
    with pytest.raises(ValidationError, match="500 messages a day at most"):
        account.full_clean()


def test_the_account_page_shows_the_stored_check_and_its_time(bars, client_a, dns_zone):
    url = reverse("admin:campaigns_emailaccount_change", args=[bars.pk])
    assert "has not been checked yet" in client_a.get(url).content.decode()
    check_url = reverse("admin:campaigns_emailaccount_check_domain", args=[bars.pk])
    client_a.get(check_url)  # the confirmation: a GET asks DNS nothing
    assert dns_zone.asked == [] and not DomainCheck.objects.exists()
    dns_zone.records = {"bars-homes.com": [SPF], "google._domainkey.bars-homes.com": [dkim()]}
    client_a.post(check_url)
    page = client_a.get(url).content.decode()
    assert "bars-homes.com has no DMARC record." in page
    assert "v=DMARC1; p=none; rua=mailto:dmarc@bars-homes.com" in page
    assert 'id="domain-checked-at">Checked ' in page


def test_another_agency_cannot_check_or_read_it(bars, client_b, dns_zone):
    client_b.post(reverse("admin:campaigns_emailaccount_check_domain", args=[bars.pk]))
    assert dns_zone.asked == []


def test_the_command_checks_each_domain_once(bars, org_a, staff_a, dns_zone):
    EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="tom@bars-homes.com", display_name="T"
    )
    out = StringIO()
    call_command("check_domains", stdout=out)
    assert out.getvalue().count("bars-homes.com has no DMARC record.") == 1
    assert dns_zone.asked.count("_dmarc.bars-homes.com") == 1
