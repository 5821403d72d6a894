"""A large file is previewed and imported by a thread while the page answers at once and
shows the progress; an import whose process is killed is taken up again after the last
line it committed: every lead written once, the counts exact, a repeated address still
found across the restart."""

import datetime
import os
import signal
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.importing import jobs
from crm.models import Lead, LeadImport, StaffPreferences
from tests.conftest import ROOT, database_url, wait_for

State = LeadImport.State
pytestmark = pytest.mark.django_db(transaction=True)


def leads_file(rows: int, start: int = 0) -> bytes:
    lines = [f"Lead {n},lead{n}@example.com,City {n % 7},Trash" for n in range(start, rows)]
    return ("Name,Email,City,Stage\n" + "\n".join(lines) + "\n").encode("cp1252")


def state_of(job: LeadImport) -> str:
    return LeadImport.objects.get(pk=job.pk).state


def test_a_large_file_is_previewed_and_imported_in_the_background(client_a, org_a, settings):
    settings.LEAD_IMPORT_INLINE_BYTES = 1000
    data = leads_file(300)
    upload = SimpleUploadedFile("big.csv", data, "text/csv")
    response = client_a.post(
        reverse("admin:crm_lead_import"), {"organization": org_a.pk, "file": upload}
    )
    assert response.status_code == 302  # answered at once: a thread reads the file
    job = LeadImport.objects.get()
    wait_for(lambda: state_of(job) == State.PREVIEWED, seconds=60)
    page = client_a.get(response["Location"])
    assert page.context["report"].created == 300 and not Lead.objects.exists()

    confirmed = client_a.post(response["Location"], {"confirm": "1"})
    assert confirmed["Location"] == response["Location"]  # back to the import's page
    wait_for(lambda: state_of(job) == State.DONE, seconds=60)
    done = client_a.get(response["Location"]).content.decode()
    assert "Imported 300 rows: 300 new, 0 updated, 0 unchanged, 0 rejected." in done
    assert Lead.objects.filter(status="lost").count() == 300


def test_a_running_import_shows_its_progress_and_follows_it(client_a, org_a):
    job = LeadImport.objects.create(
        organization=org_a,
        file_name="big.csv",
        file_size=10_000_000,
        state=State.IMPORTING,
        progress=0.42,
        heartbeat_at=timezone.now(),
    )
    page = client_a.get(reverse("admin:crm_lead_import_job", args=[job.pk])).content.decode()
    assert 'id="import-progress" data-state="importing"' in page
    assert 'style="width: 42%"' in page and '<meta http-equiv="refresh" content="2">' in page
    assert "you can also leave it" in page


def start_resume(**env_settings: object) -> subprocess.Popen:
    """`manage.py import_leads --resume` in its own process, on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.base",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(settings.VAR_DIR),  # where the uploaded file is kept
        **{name: str(value) for name, value in env_settings.items()},
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_leads", "--resume"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_an_import_killed_midway_is_taken_up_after_its_last_line(org_a, staff_a):
    rows = 6000
    # Known leads to update, and the first address again on the last line.
    Lead.objects.bulk_create(
        Lead(organization=org_a, name="Old", email=f"LEAD{n}@example.com")
        for n in range(0, rows, 10)
    )
    data = leads_file(rows) + b"Again,lead0@example.com,Paris,Hot\n"
    upload = SimpleUploadedFile("big.csv", data, "text/csv")
    job = jobs.lead_import_start(organization=org_a, user=staff_a, upload=upload)
    assert job.state == State.PREVIEWED
    # Confirmed by a web process that stopped before it wrote anything: a sender's pass
    # (here the command) takes it over and is killed in its turn, midway.
    LeadImport.objects.filter(pk=job.pk).update(
        state=State.IMPORTING, heartbeat_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    worker = start_resume(LEAD_IMPORT_BATCH_SIZE=50)
    try:
        wait_for(lambda: LeadImport.objects.get(pk=job.pk).written_line >= 500, seconds=120)
    finally:
        worker.send_signal(signal.SIGKILL)  # no clean-up: as if the machine died
        worker.wait()
    stopped = LeadImport.objects.get(pk=job.pk)
    assert stopped.state == State.IMPORTING and 500 <= stopped.written_line < rows + 1
    written = stopped.written_line - 1  # rows committed, with their line (header is line 1)
    assert Lead.objects.filter(organization=org_a, status="lost").count() == written

    # A minute later its heartbeat is stale: whoever looks next takes it up.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        assert jobs.take_over_orphans() == 1
    done = LeadImport.objects.get(pk=job.pk)
    assert done.state == State.DONE
    report = done.report
    assert (report["rows"], report["created"], report["updated"], report["rejected"]) == (
        rows + 1,
        rows - rows // 10,
        rows // 10,
        1,
    )
    assert [error["message"] for error in report["errors"]] == [
        "lead0@example.com already appears on line 2"
    ]
    assert report["errors"][0]["line"] == rows + 2
    leads = Lead.objects.filter(organization=org_a)
    assert leads.count() == rows and leads.filter(status="lost").count() == rows
    assert not jobs.upload_path(done).exists() and not jobs.seen_path(done).exists()


def test_a_background_preview_writes_its_report_in_the_language_of_who_asked(
    client_a, org_a, staff_a, settings
):
    StaffPreferences.objects.create(user=staff_a, language="fr")
    settings.LEAD_IMPORT_INLINE_BYTES = 1000
    data = leads_file(300) + b"Ben,ben@,Paris,Hot\n"
    upload = SimpleUploadedFile("big.csv", data, "text/csv")
    response = client_a.post(
        reverse("admin:crm_lead_import"), {"organization": org_a.pk, "file": upload}
    )
    assert response.status_code == 302  # a thread reads the file, after the request
    job = LeadImport.objects.get()
    wait_for(lambda: state_of(job) == State.PREVIEWED, seconds=60)
    report = LeadImport.objects.get(pk=job.pk).report
    assert report["read_as"] == "CSV, UTF-8, séparé par des virgules"  # ASCII alone
    assert [error["message"] for error in report["errors"]] == [
        "« ben@ » n'est pas une adresse e-mail valide"
    ]
