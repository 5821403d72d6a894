"""The sandbox writes each account's .eml files in a folder named after the account's id,
inside SANDBOX_OUTBOX_DIR (issue 24 §2): an address such as `"../../../../x"@x.example`,
which Django's EmailField accepts, no longer writes outside it."""

from campaigns.accounts import providers
from campaigns.content import mime, rendering
from campaigns.models import EmailAccount

TRAVERSAL = '"../../../../x"@x.example'


def test_an_address_with_dots_and_slashes_writes_inside_the_outbox(
    org_a, staff_a, settings, tmp_path
):
    outbox = tmp_path / "a" / "b" / "c" / "outbox"
    settings.SANDBOX_OUTBOX_DIR = outbox
    account = EmailAccount.objects.create(
        organization=org_a,
        user=staff_a,
        email_address=TRAVERSAL,
        display_name="Sandbox",
        provider=EmailAccount.Provider.SANDBOX,
    )
    account.full_clean()  # Django takes the address: only the folder's name protects us
    message = mime.build(
        rendering.Rendered(subject="s", html="<p>x</p>", text="x"),
        mime.Addressing(sender_name="S", sender_email=TRAVERSAL, to_email="to@example.com"),
    )
    providers.send(account, message)
    written = list(tmp_path.rglob("*.eml"))
    assert [path.parent for path in written] == [outbox / str(account.pk)]
    assert written[0].read_bytes() == message
