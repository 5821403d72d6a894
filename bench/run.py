"""Benchmarks: each stage against a fair peer (written as its documentation or a Django
expert would) and, where kept, a naive one, measured in the same run on the same data.

Every contender runs in its own process with a fresh database of the bench's own (never
the one the environment names) and production settings, so timings and peak memory are
its own; a full run measures one at a time, a small or tiny run two at once. Every peer's
output is compared with ours: a difference fails the run. Results print as a table and go
to var/bench/results.json.
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Stage:
    """A stage's unit, its contenders and sizes. Contenders: `ours`, `peer` (the fair peer,
    written as its documentation or a Django expert would: the headline ratio) and any
    second, labelled peer; or `stages`, one worker measuring several rows on one data set."""

    unit: str
    contenders: dict[str, str]  # label: bench module.function
    full: int
    small: int
    tiny: int = 0  # the smoke run in `make test`; small / 10 when unset


STAGES = {
    "csv_import": Stage(
        "rows/s",
        {"ours": "importing.ours", "peer": "importing.peer", "defaults": "importing.defaults"},
        100_000,
        1_000,
    ),
    # Lower is better for seconds: the ratio is peer / ours.
    "launch_blast": Stage(
        "s",
        {"ours": "launching.ours", "peer": "launching.peer", "naive": "launching.naive"},
        100_000,
        1_000,
    ),
    "tick_nothing_due": Stage(
        "s",
        {"ours": "ticking.ours_idle", "peer": "ticking.peer_idle", "naive": "ticking.naive_idle"},
        100_000,
        2_000,
    ),
    "tick_10pct_due": Stage(
        "s",
        {"ours": "ticking.ours_due", "peer": "ticking.peer_due", "naive": "ticking.naive_due"},
        100_000,
        2_000,
    ),
    "build_messages": Stage(
        "msg/s",
        {"ours": "building.ours", "peer": "building.django", "stdlib": "building.stdlib"},
        20_000,
        500,
    ),
    # Sustained sends as a fraction of Gmail's per-user quota, summed over the accounts;
    # the size is messages per account (bench/sending.py).
    "send_1_account": Stage(
        "of quota", {"ours": "sending.ours_1", "peer": "sending.peer_1"}, 300, 30
    ),
    "send_3_accounts": Stage(
        "quotas", {"ours": "sending.ours_3", "peer": "sending.peer_3"}, 300, 30
    ),
    # log-message reports per second under gunicorn, single and batch forms, measured on
    # one server and data set (bench/ingest.py): rows api_ingest_single, api_ingest_batch.
    "api_ingest": Stage("msg/s", {"stages": "ingest.stages"}, 20_000, 500),
    # The admin, six pages on one data set of leads with five messages each
    # (bench/admin_pages.py), at a typical agency's size and at a million leads.
    # Their figure is CPU per page load (this process and its database backend): the work
    # itself, which neighbours on a shared machine do not inflate; wall-clock in the notes.
    "admin_agency": Stage("CPU ms", {"stages": "admin_pages.agency"}, 5_000, 5_000, 500),
    "admin_pages": Stage("CPU ms", {"stages": "admin_pages.scale"}, 1_000_000, 20_000),
    # The whole audience checked before launch, a three-step sequence (bench/preflight.py).
    "preflight": Stage("s", {"stages": "preflight.measure"}, 10_000, 1_000),
    # The leads a listing fits, among this many of one agency, on PostgreSQL; rows
    # listing_matching and listing_matching_lower (bench/listing_matching.py).
    "listing_matching": Stage("ms", {"stages": "listing_matching.measure"}, 1_000_000, 10_000),
}
# Units whose figures keep three decimals (seconds, fractions of a quota).
PRECISE = {"s", "of quota", "quotas"}
# Stages whose workers run against a throw-away PostgreSQL cluster (.ci/with-postgres, on
# the port BENCH_PGPORT) instead of a fresh SQLite file.
ON_POSTGRES = {"api_ingest", "admin_agency", "admin_pages", "listing_matching"}
# Stages whose worker loads admin pages, so it needs the admin's autodiscovery; the
# others start with bench/worker_settings.py.
NEEDS_ADMIN = {"admin_agency", "admin_pages"}
# Stages the smoke run leaves out: the admin at scale runs the agency stage's code.
NOT_IN_SMOKE = {"admin_pages"}
# Units where lower is better: the ratio is peer / ours.
LOWER_IS_BETTER = {"s", "ms", "CPU ms"}


# What passes from the caller's environment to the workers: finding programs and the locale,
# nothing the project's settings read. A production shell's DATABASE_URL, secrets or n8n
# address never reach the bench, which makes its own databases (SQLite files in the work
# folder, a throw-away PostgreSQL cluster) and its own made-up secrets.
PASSED_THROUGH = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")


def _made_up_secrets() -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "GOOGLE_CLIENT_ID": "bench",
        "GOOGLE_CLIENT_SECRET": "bench",
    }


# One set per run: every worker signs the same unsubscribe links, so outputs compare.
SECRETS = _made_up_secrets()


def bench_environment(workdir: Path, settings_module: str) -> dict[str, str]:
    """Production settings (DEBUG off), as a deployment runs them, on the bench's own data."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update(
        SECRETS,
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG="0",
        VAR_DIR=str(workdir),
        PUBLIC_BASE_URL="https://campaigns.example",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",  # no TLS in front of the test client or gunicorn here
        LOG_LEVEL="WARNING",
    )
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def migrated_template(workdir: Path) -> Path:
    """An SQLite database with every migration applied, made once per run."""
    template = workdir / "template.sqlite3"
    if not template.exists():
        env = bench_environment(workdir, "bench.worker_settings")
        env["DATABASE_URL"] = f"sqlite:///{template}.new"
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
            env=env,
            check=True,
            cwd=ROOT,
        )
        Path(f"{template}.new").rename(template)
    return template


def run_worker(worker: str, size: int, workdir: Path, stage: str, lane: int = 0) -> dict:
    postgres = stage in ON_POSTGRES
    settings_module = "settings.base" if stage in NEEDS_ADMIN else "bench.worker_settings"
    env = bench_environment(workdir, settings_module)
    command = [sys.executable, str(ROOT / "bench" / "workers.py"), worker, str(size)]
    if postgres:
        # A cluster of its own (with-postgres sets DATABASE_URL to it), on a free port (or
        # BENCH_PGPORT's, one more per worker): other runs may hold a fixed one.
        fixed = os.environ.get("BENCH_PGPORT")
        env["PGPORT_TEST"] = str(int(fixed) + lane if fixed else _free_port())
        command = ["bash", str(ROOT / ".ci" / "with-postgres"), *command]
    else:
        database = workdir / f"{worker}.sqlite3"
        # A copy of the migrated template: the worker's `migrate` then has nothing to do.
        shutil.copyfile(migrated_template(workdir), database)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"{worker} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def timed_worker(job: tuple[str, str, int, int], workdir: Path) -> dict:
    stage, worker, size, lane = job
    for leftover in workdir.glob(f"{worker}.sqlite3*"):
        leftover.unlink()
    started = time.perf_counter()
    result = run_worker(worker, size, workdir, stage, lane)
    elapsed = time.perf_counter() - started
    print(f"{stage}: {worker} ({size:,}) {elapsed:.1f} s", flush=True, file=sys.stderr)
    return result


def _figure(value: float, unit: str) -> float:
    return round(value, 3 if unit in PRECISE else 1)


def _ratio(ours: float, theirs: float, unit: str) -> float:
    """How many times better ours is: higher is better for us, whatever the unit."""
    return round(theirs / ours if unit in LOWER_IS_BETTER else ours / theirs, 2)


def row(stage: str, unit: str, size: int, measured: dict) -> dict:
    """One line of results: ours against the fair peer, and any second peer after."""
    ours, peer = measured["ours"], measured["peer"]
    others = [item for item in measured.items() if item[0] not in {"ours", "peer"}]
    return {
        "stage": stage,
        "ours": _figure(ours["value"], unit),
        "peer": _figure(peer["value"], unit),
        "unit": unit,
        "ratio": _ratio(ours["value"], peer["value"], unit),
        "size": size,
        "ours_peak_mb": ours.get("peak_mb"),
        "peer_peak_mb": peer.get("peak_mb"),
        "others": [
            {
                "peer": label,
                "value": _figure(result["value"], unit),
                "ratio": _ratio(ours["value"], result["value"], unit),
                "peak_mb": result.get("peak_mb"),
            }
            for label, result in others
        ],
        "note": "; ".join(
            filter(None, (result.get("note") for result in (ours, peer, *dict(others).values())))
        ),
    }


def output_differences(stage: str, measured: dict) -> list[str]:
    """Each peer's output against ours (counts, and sampled rows field by field)."""
    from bench.checks import differences

    ours = measured["ours"].get("output")
    found = []
    for label, result in measured.items():
        if label == "ours":
            continue
        if ours is None or "output" not in result:
            found.append(f"{stage}: {label} or ours reported no output to check")
            continue
        found += [f"{stage}: {label}: {line}" for line in differences(ours, result["output"])]
    return found


def print_table(rows: list[dict]) -> None:
    print(f"{'stage':<26}{'size':>10}{'ours':>12}{'peer':>12}  {'unit':<8}{'ratio':>7}  peak MB")
    for line in rows:
        peaks = line["ours_peak_mb"] is not None
        print(
            f"{line['stage']:<26}{line['size']:>10,}{line['ours']:>12,}{line['peer']:>12,}  "
            f"{line['unit']:<8}{line['ratio']:>6}x  "
            + (f"{line['ours_peak_mb']} vs {line['peer_peak_mb']}" if peaks else "")
        )
        for other in line["others"]:
            print(
                f"{'':<26}{'against ' + other['peer']:>22}{other['value']:>12,}  "
                f"{line['unit']:<8}{other['ratio']:>6}x  "
                + (f"{line['ours_peak_mb']} vs {other['peak_mb']}" if peaks else "")
            )
        if line["note"]:
            print(f"  {line['note']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--tiny", action="store_true", help="smoke run: the stages still work")
    parser.add_argument("--workdir", type=Path, help="where databases and results go")
    parser.add_argument("--size", type=int, help="one size for the chosen stages")
    parser.add_argument("stages", nargs="*", default=list(STAGES), help=", ".join(STAGES))
    args = parser.parse_args()
    unknown = set(args.stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")

    workdir = args.workdir or ROOT / "var" / "bench" / ("smoke" if args.tiny else "")
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("template.sqlite3*"):
        stale.unlink()  # migrations may have changed since the last run
    # Full runs measure one worker at a time. Small and tiny runs, whose time goes mostly
    # into starting processes, keep two workers going at once, one per core: their figures
    # are rougher.
    side_by_side = args.small or args.tiny
    if set(args.stages) - ON_POSTGRES:
        migrated_template(workdir)  # made once, before workers copy it side by side
    sizes = {
        name: (stage.tiny or stage.small // 10)
        if args.tiny
        else stage.small
        if args.small
        else stage.full
        for name, stage in STAGES.items()
    }
    if args.size:
        sizes = dict.fromkeys(STAGES, args.size)
    stages = [s for s in args.stages if not (args.tiny and s in NOT_IN_SMOKE)]
    jobs: list[tuple[str, str, int, int]] = []
    # The long PostgreSQL workers first, so that the short ones fill the other lane.
    for stage in sorted(stages, key=lambda name: name not in ON_POSTGRES):
        for worker in STAGES[stage].contenders.values():
            postgres_jobs = sum(job[0] in ON_POSTGRES for job in jobs)
            jobs.append((stage, worker, sizes[stage], postgres_jobs))
    with ThreadPoolExecutor(max_workers=2 if side_by_side else 1) as pool:
        try:
            results = list(pool.map(timed_worker, jobs, [workdir] * len(jobs)))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # a failed worker stops the run
            raise
    done = {(job[0], job[1]): result for job, result in zip(jobs, results, strict=True)}
    rows, wrong = [], []
    for stage in stages:
        measured: dict[str, dict] = {}
        for label, worker in STAGES[stage].contenders.items():
            result = done[stage, worker]
            if label == "stages":
                measured.update(result)  # checked inside the worker
            else:
                measured.setdefault(stage, {})[label] = result
        if "stages" not in STAGES[stage].contenders:
            wrong += output_differences(stage, measured[stage])
        for name, contenders in measured.items():
            rows.append(row(name, STAGES[stage].unit, sizes[stage], contenders))
    if wrong:
        # A peer that produced something else than ours is a failed run, not a figure.
        raise SystemExit("Outputs differ:\n" + "\n".join(wrong))
    out = workdir / "results.json"
    out.write_text(json.dumps(rows, indent=2))
    print_table(rows)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
