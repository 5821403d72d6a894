"""Benchmarks: each stage against its peer, measured in the same run on the same data.

Every contender runs in its own process with a fresh database, so timings and peak
memory are its own; a full run measures one at a time, a small or tiny run two at once.
Results print as a table and go to var/bench/results.json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAGES = {
    # stage: (unit, {contender: worker function name}, full size, small size)
    # --tiny divides the small size by 10: the smoke run in `make test`.
    "csv_import": ("rows/s", {"ours": "import_ours", "peer": "import_peer"}, 100_000, 1_000),
    # Lower is better for seconds: the ratio is peer / ours.
    "launch_blast": ("s", {"ours": "launch_ours", "peer": "launch_peer"}, 100_000, 1_000),
    "tick_nothing_due": (
        "s",
        {"ours": "tick_idle_ours", "peer": "tick_idle_peer"},
        100_000,
        2_000,
    ),
    "tick_10pct_due": ("s", {"ours": "tick_due_ours", "peer": "tick_due_peer"}, 100_000, 2_000),
    "build_vs_django": ("msg/s", {"ours": "build_ours", "peer": "build_django"}, 20_000, 500),
    "build_vs_stdlib": ("msg/s", {"ours": "build_ours", "peer": "build_stdlib"}, 20_000, 500),
    # Sustained sends as a fraction of Gmail's per-user quota, summed over the accounts;
    # the size is messages per account (bench/sending.py).
    "send_1_account": ("of quota", {"ours": "send_1_ours", "peer": "send_1_peer"}, 300, 30),
    "send_3_accounts": ("quotas", {"ours": "send_3_ours", "peer": "send_3_peer"}, 300, 30),
    # log-message reports per second under gunicorn, single and batch forms, measured on
    # one server and data set (bench/ingest.py): rows api_ingest_single, api_ingest_batch.
    "api_ingest": ("msg/s", {"stages": "api_ingest"}, 20_000, 500),
    # The admin at scale: one data set (leads, five messages each), four pages measured on
    # it (bench/admin_pages.py): rows admin_lead_list and so on. Sizes are leads.
    "admin_pages": ("ms", {"stages": "admin_pages"}, 1_000_000, 5_000),
    # The whole audience checked before launch, a three-step sequence (bench/preflight.py).
    "preflight": ("s", {"stages": "preflight"}, 10_000, 1_000),
    # The leads a listing fits, among this many of one agency, on PostgreSQL; rows
    # listing_matching and listing_matching_lower (bench/listing_matching.py).
    "listing_matching": ("ms", {"stages": "listing_matching"}, 1_000_000, 10_000),
}
# Units whose figures keep three decimals (seconds, fractions of a quota).
PRECISE = {"s", "of quota", "quotas"}
# Stages whose workers run against a throw-away PostgreSQL cluster (.ci/with-postgres, on
# the port BENCH_PGPORT) instead of a fresh SQLite file.
ON_POSTGRES: set[str] = {"api_ingest", "admin_pages", "listing_matching"}
# Stages whose worker loads admin pages, so it needs the admin's autodiscovery; the
# others start with bench/worker_settings.py.
NEEDS_ADMIN = {"admin_pages"}
# Units where lower is better: the ratio is peer / ours.
LOWER_IS_BETTER = {"s", "ms"}
# A stage whose rows share one expensive data set names a single worker under "stages":
# it prints {row's stage: {"ours": {...}, "peer": {...}}, ...}.


def migrated_template(workdir: Path) -> Path:
    """An SQLite database with every migration applied, made once per run."""
    template = workdir / "template.sqlite3"
    if not template.exists():
        env = dict(
            os.environ,
            VAR_DIR=str(workdir),
            DJANGO_SETTINGS_MODULE="settings.base",
            DJANGO_DEBUG="1",  # development keys: unset would mean production
            DATABASE_URL=f"sqlite:///{template}.new",
        )
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
    env = dict(
        os.environ,
        VAR_DIR=str(workdir),
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG="1",  # development keys: unset would mean production
    )
    command = [sys.executable, str(ROOT / "bench" / "workers.py"), worker, str(size)]
    if postgres:
        # A cluster of its own, on a port of its own when two workers run at once.
        env["PGPORT_TEST"] = str(int(env.get("BENCH_PGPORT", "54340")) + lane)
        command = ["bash", str(ROOT / ".ci" / "with-postgres"), *command]
    else:
        database = workdir / f"{worker}.sqlite3"
        # A copy of the migrated template: the worker's `migrate` then has nothing to do.
        shutil.copyfile(migrated_template(workdir), database)
        env.setdefault("DATABASE_URL", f"sqlite:///{database}")
    result = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
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


def row(stage: str, unit: str, size: int, measured: dict) -> dict:
    ours, peer = measured["ours"], measured["peer"]
    better = peer["value"] / ours["value"] if unit in LOWER_IS_BETTER else None
    return {
        "stage": stage,
        "ours": round(ours["value"], 3 if unit in PRECISE else 1),
        "peer": round(peer["value"], 3 if unit in PRECISE else 1),
        "unit": unit,
        "ratio": round(better or ours["value"] / peer["value"], 2),
        "size": size,
        "ours_peak_mb": ours.get("peak_mb"),
        "peer_peak_mb": peer.get("peak_mb"),
        "note": "; ".join(filter(None, (ours.get("note"), peer.get("note")))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--tiny", action="store_true", help="smoke run: the stages still work")
    parser.add_argument("--workdir", type=Path, help="where databases and results go")
    parser.add_argument("stages", nargs="*", default=list(STAGES))
    args = parser.parse_args()

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
        stage: (small // 10 if args.tiny else small if args.small else full)
        for stage, (_, _, full, small) in STAGES.items()
    }
    jobs: list[tuple[str, str, int, int]] = []
    for stage in args.stages:
        for worker in STAGES[stage][1].values():
            # build_ours serves two stages: measured once.
            if all((worker, sizes[stage]) != (job[1], job[2]) for job in jobs):
                postgres_jobs = sum(job[0] in ON_POSTGRES for job in jobs)
                jobs.append((stage, worker, sizes[stage], postgres_jobs))
    with ThreadPoolExecutor(max_workers=2 if side_by_side else 1) as pool:
        try:
            results = list(pool.map(timed_worker, jobs, [workdir] * len(jobs)))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # a failed worker stops the run
            raise
    done = {(job[1], job[2]): result for job, result in zip(jobs, results, strict=True)}
    rows = []
    for stage in args.stages:
        unit, contenders, _, _ = STAGES[stage]
        size = sizes[stage]
        measured: dict[str, dict] = {}
        for who, worker in contenders.items():
            result = done[worker, size]
            if who == "stages":
                measured.update(result)
            else:
                measured.setdefault(stage, {})[who] = result
        for name, contenders_measured in measured.items():
            rows.append(row(name, unit, size, contenders_measured))
    out = workdir / "results.json"
    out.write_text(json.dumps(rows, indent=2))
    print(f"{'stage':<20}{'size':>9}{'ours':>12}{'peer':>12}  {'unit':<8}{'ratio':>7}  peak MB")
    for line in rows:
        print(
            f"{line['stage']:<20}{line['size']:>9,}{line['ours']:>12,}{line['peer']:>12,}  "
            f"{line['unit']:<8}{line['ratio']:>6}x  "
            + (
                f"{line['ours_peak_mb']} vs {line['peer_peak_mb']}"
                if line["ours_peak_mb"] is not None
                else ""
            )
        )
        if line["note"]:
            print(f"  {line['note']}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
