"""Imports from the admin as rows of LeadImport: the file kept on disk, previewed with a
mapping, then imported. A small file is read while the page waits; a larger one by a thread
of the web process once the request is committed, the page showing its progress.

Why this way (the 1.8-million-row preview held a web worker for 71 s of CPU): a thread
plus a row in the database, like the launch's queuing (campaigns/launching/queuing.py), is
the simplest thing that keeps the page answering. A run says it is alive at each batch
(`heartbeat_at`, with its `claim`); one silent for ORPHANED_AFTER seconds stopped with its
process, and is taken up again by whoever looks next (the import's page, a sender's loop,
`manage.py import_leads --resume`). A preview just starts over; an import commits batch by
batch with the line it reached (`written_line`), so the one that takes it up starts after
that line and nobody is written twice. A run that lost its claim stops at its next batch,
its batch rolled back.
"""

import datetime
import logging
import threading
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from crm.importing.csv_reading import CsvFileError
from crm.importing.lead_import import ImportReport, Resume, leads_import
from crm.importing.mapping import Mapping
from crm.importing.remembered import mapping_remember
from crm.models import LeadImport, Organization

log = logging.getLogger(__name__)
State = LeadImport.State
# A run that has not said it is alive for this long stopped with its process.
ORPHANED_AFTER = 60
# A preview or an import nobody confirmed or looked at for this long is deleted.
STALE_AFTER = datetime.timedelta(days=1)
SAMPLE_VALUES = 3  # a column's first values shown in the mapping step
DISTINCT_KEPT = 50  # a column's values counted, for a status column's mapping
UNEXPECTED = gettext_lazy(
    "The import stopped on an unexpected error ({error}); nothing more was written."
)
EXPIRED = gettext_lazy("This import has expired or was already done. Upload the file again.")


class ClaimLost(Exception):
    """Another run took this import over: this one stops."""


def upload_path(job: LeadImport) -> Path:
    return Path(settings.LEAD_IMPORT_DIR) / f"{job.pk}.upload"


def seen_path(job: LeadImport) -> Path:
    return Path(settings.LEAD_IMPORT_DIR) / f"{job.pk}-seen.sqlite3"


def _forget_files(job: LeadImport) -> None:
    for path in (upload_path(job), seen_path(job)):
        path.unlink(missing_ok=True)
        Path(f"{path}-wal").unlink(missing_ok=True)
        Path(f"{path}-shm").unlink(missing_ok=True)


def lead_import_forget(job: LeadImport) -> None:
    """An import and its files, gone."""
    _forget_files(job)
    job.delete()


def _drop_stale() -> None:
    """Previews nobody confirmed and finished imports, after a day: their files and rows."""
    cutoff = timezone.now() - STALE_AFTER
    for job in LeadImport.objects.exclude(state__in=LeadImport.RUNNING).filter(
        updated_at__lt=cutoff
    ):
        lead_import_forget(job)


def lead_import_start(*, organization: Organization, user: Any, upload: Any) -> LeadImport:
    """Keep an uploaded file (copied in chunks: never whole in memory) and start its
    preview with the agency's last mapping for its header, or the automatic one."""
    _drop_stale()
    folder = Path(settings.LEAD_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    job = LeadImport.objects.create(
        organization=organization,
        created_by=user if getattr(user, "pk", None) else None,
        file_name=upload.name[:255],
        file_size=upload.size,
    )
    with upload_path(job).open("wb") as stored:
        for chunk in upload.chunks():
            stored.write(chunk)
    run_or_queue(job)
    job.refresh_from_db()
    return job


def lead_import_preview(*, job: LeadImport, mapping: Mapping, sheet: str = "") -> bool:
    """Preview again with staff's mapping (or another sheet); False when the import is no
    longer waiting for one."""
    changed = LeadImport.objects.filter(
        pk=job.pk, state__in=(State.PREVIEWED, State.FAILED)
    ).update(
        state=State.PREVIEWING,
        mapping=mapping.as_json() if not sheet or sheet == job.sheet else {},
        sheet=sheet or job.sheet,
        progress=0,
        error="",
        claim=None,
        heartbeat_at=None,
    )
    if changed and upload_path(job).exists():
        job.refresh_from_db()
        run_or_queue(job)
    return bool(changed)


def lead_import_confirm(*, job: LeadImport) -> bool:
    """Import what the preview showed; False when it is not waiting for confirmation."""
    if not upload_path(job).exists():
        return False
    changed = LeadImport.objects.filter(pk=job.pk, state=State.PREVIEWED).update(
        state=State.IMPORTING, progress=0, written_line=0, claim=None, heartbeat_at=None
    )
    if changed:
        job.refresh_from_db()
        run_or_queue(job)
    return bool(changed)


def runs_inline(job: LeadImport) -> bool:
    return job.file_size <= settings.LEAD_IMPORT_INLINE_BYTES


def run_or_queue(job: LeadImport) -> None:
    """A small file now, while the page waits; a larger one in a thread once committed."""
    if runs_inline(job):
        work(job.pk)
    else:
        # The thread writes the report's words in the language of the staff who asked.
        language = translation.get_language()
        transaction.on_commit(lambda: in_background(job.pk, language))


def _work_in_thread(job_id: Any, language: str | None = None) -> None:
    close_old_connections()
    try:
        if language:
            with translation.override(language):
                work(job_id)
        else:
            work(job_id)
    except Exception:  # nobody to tell in a thread: logged, and the job says it failed
        log.exception("import %s stopped", job_id)
    finally:
        connection.close()


def in_background(job_id: Any, language: str | None = None) -> threading.Thread:
    """Run the job in a thread, its texts in `language` (else the site's)."""
    thread = threading.Thread(
        target=_work_in_thread, args=(job_id, language), name=f"import-{job_id}", daemon=True
    )
    thread.start()
    return thread


def _claim(job_id: Any) -> uuid.UUID | None:
    """Take a running job that nobody runs, or whose run went silent; None when another
    run holds it (or it is not running)."""
    mine = uuid.uuid4()
    stale = timezone.now() - datetime.timedelta(seconds=ORPHANED_AFTER)
    taken = LeadImport.objects.filter(
        Q(claim__isnull=True) | Q(heartbeat_at__lt=stale),
        pk=job_id,
        state__in=LeadImport.RUNNING,
    ).update(claim=mine, heartbeat_at=timezone.now())
    return mine if taken else None


class _Beat:
    """A run's heartbeat and progress, written at each batch under its claim."""

    def __init__(self, job: LeadImport, claim: uuid.UUID) -> None:
        self.job, self.claim = job, claim

    def __call__(self, **fields: Any) -> None:
        moved = LeadImport.objects.filter(pk=self.job.pk, claim=self.claim).update(
            heartbeat_at=timezone.now(), **fields
        )
        if not moved:
            raise ClaimLost(self.job.pk)


class ColumnSummary:
    """What the mapping step shows of each column: its first values and how often each
    value comes (the first DISTINCT_KEPT values), for mapping a status column's values."""

    def __init__(self) -> None:
        self.header: list[str] = []
        self.first: list[list[str]] = []
        self.counts: list[dict[str, int]] = []
        self.more: list[bool] = []

    def __call__(self, header: list[str], batch: list[tuple[int, list[str]]]) -> None:
        if not self.header:
            self.header = header
            width = len(header)
            self.first = [[] for _ in range(width)]
            self.counts = [{} for _ in range(width)]
            self.more = [False] * width
        for _line, cells in batch:
            for index, cell in enumerate(cells[: len(self.header)]):
                cell = cell.strip()
                if not cell:
                    continue
                if len(self.first[index]) < SAMPLE_VALUES:
                    self.first[index].append(cell[:80])
                counts = self.counts[index]
                if cell in counts:
                    counts[cell] += 1
                elif len(counts) < DISTINCT_KEPT:
                    counts[cell] = 1
                else:
                    self.more[index] = True

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {"first": first, "counts": counts, "more": more}
            for first, counts, more in zip(self.first, self.counts, self.more, strict=True)
        ]


def work(job_id: Any) -> None:
    """Run the job's preview or import if nobody else does."""
    claim = _claim(job_id)
    if claim is None:
        return
    job = LeadImport.objects.select_related("organization").get(pk=job_id)
    beat = _Beat(job, claim)
    try:
        if job.state == State.PREVIEWING:
            _preview(job, beat)
        else:
            _import(job, beat)
    except ClaimLost:
        return
    except CsvFileError as error:
        _finish(job, claim, State.FAILED, error=str(error))
    except FileNotFoundError:
        _finish(job, claim, State.FAILED, error=str(EXPIRED))
    except Exception as error:
        log.exception("import %s failed", job.pk)
        _finish(job, claim, State.FAILED, error=UNEXPECTED.format(error=type(error).__name__))


def _finish(job: LeadImport, claim: uuid.UUID, state: str, **fields: Any) -> None:
    LeadImport.objects.filter(pk=job.pk, claim=claim).update(
        state=state, claim=None, finished_at=timezone.now(), **fields
    )
    if state in (State.DONE, State.FAILED) and job.state == State.IMPORTING:
        _forget_files(job)


def _mapping_of(job: LeadImport) -> Mapping | None:
    return Mapping.from_json(job.mapping) if job.mapping else None


def _preview(job: LeadImport, beat: _Beat) -> None:
    summary = ColumnSummary()
    with upload_path(job).open("rb") as source:
        report = leads_import(
            organization=job.organization,
            data=source,
            mapping=_mapping_of(job),
            sheet=job.sheet,
            dry_run=True,
            sample_size=20,
            look=summary,
            progress=lambda written, read: beat(progress=read),
        )
    LeadImport.objects.filter(pk=job.pk, claim=beat.claim).update(
        state=State.PREVIEWED,
        report=report.as_json(),
        columns=summary.as_json(),
        mapping=report.mapping,
        sheets=report.sheets,
        progress=1,
        claim=None,
        heartbeat_at=timezone.now(),
    )


def _import(job: LeadImport, beat: _Beat) -> None:
    mapping = _mapping_of(job)
    report = ImportReport.from_json(job.report) if job.written_line else ImportReport()
    if not job.written_line:
        report.sample = []

    def save(line: int, so_far: ImportReport) -> None:
        beat(written_line=line, report=so_far.as_json())

    with upload_path(job).open("rb") as source:
        report = leads_import(
            organization=job.organization,
            data=source,
            mapping=mapping,
            sheet=job.sheet,
            resume=Resume(job.written_line, report, seen_path(job), save),
            progress=lambda written, read: beat(progress=read),
            source_name=job.file_name,
        )
    if mapping is not None:
        mapping_remember(organization=job.organization, mapping=mapping)
    _finish(job, beat.claim, State.DONE, report=report.as_json(), progress=1)


def orphans(now: datetime.datetime | None = None) -> list[Any]:
    """The imports whose run stopped with its process (silent for ORPHANED_AFTER)."""
    stale = (now or timezone.now()) - datetime.timedelta(seconds=ORPHANED_AFTER)
    # A run never started (its process stopped before its thread did) has no heartbeat.
    silent = Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, updated_at__lt=stale)
    running = LeadImport.objects.filter(silent, state__in=LeadImport.RUNNING)
    return list(running.values_list("pk", flat=True))


def take_over_orphans() -> int:
    """Run the stopped imports here, one after the other; how many were taken."""
    stopped = orphans()
    for job_id in stopped:
        work(job_id)
    return len(stopped)


def restart_orphans(now: datetime.datetime | None = None) -> int:
    """Start the stopped imports again, each in a thread of this process (the sender's
    loop calls it: its sending goes on meanwhile); how many were started."""
    stopped = orphans(now)
    for job_id in stopped:
        in_background(job_id)
    return len(stopped)
