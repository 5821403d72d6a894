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
import statistics
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
    peer: str = ""  # the fair peer, in a few words: the summary names it


STAGES = {
    "csv_import": Stage(
        "rows/s",
        {
            "ours": "importing.ours",
            "peer": "importing.peer",
            "limit": "importing.limit",
            "full_clean": "importing.full_clean",
            "defaults": "importing.defaults",
        },
        100_000,
        1_000,
        peer="django-import-export, bulk mode, validation without per-row queries",
    ),
    # Lower is better for seconds: the ratio is peer / ours.
    "launch_blast": Stage(
        "s",
        {
            "ours": "launching.ours",
            "peer": "launching.peer",
            "limit": "launching.limit",
            "rendering": "launching.rendering",
            "naive": "launching.naive",
        },
        100_000,
        1_000,
        peer="unrendered rows queued by bulk_create",
    ),
    "tick_nothing_due": Stage(
        "s",
        {"ours": "ticking.ours_idle", "peer": "ticking.peer_idle", "naive": "ticking.naive_idle"},
        100_000,
        2_000,
        peer="a Django expert's tick (indexed due rows, bulk_create)",
    ),
    "tick_10pct_due": Stage(
        "s",
        {"ours": "ticking.ours_due", "peer": "ticking.peer_due", "naive": "ticking.naive_due"},
        100_000,
        2_000,
        peer="a Django expert's tick (indexed due rows, bulk_create)",
    ),
    "build_messages": Stage(
        "msg/s",
        {"ours": "building.ours", "peer": "building.django", "stdlib": "building.stdlib"},
        20_000,
        500,
        peer="Django's EmailMultiAlternatives",
    ),
    # Sustained sends as a fraction of Gmail's per-user quota, summed over the accounts;
    # the size is messages per account (bench/sending.py).
    "send_1_account": Stage(
        "of quota",
        {"ours": "sending.ours_1", "peer": "sending.peer_1"},
        300,
        30,
        peer="the spec's send loop with the retry it lacks (sleep 1 s on a 429)",
    ),
    "send_3_accounts": Stage(
        "of quota",
        {"ours": "sending.ours_3", "peer": "sending.peer_3"},
        300,
        30,
        peer="the spec's send loop with the retry it lacks (sleep 1 s on a 429)",
    ),
    # log-message reports per second under gunicorn, single and batch forms, measured on
    # one server and data set (bench/ingest.py): rows api_ingest_single, api_ingest_batch.
    "api_ingest": Stage(
        "msg/s",
        {"stages": "ingest.stages"},
        20_000,
        500,
        peer="a plain batch view (bearer token, one locked read, bulk_update)",
    ),
    # The admin, six pages on one data set of leads with five messages each
    # (bench/admin_pages.py), at a typical agency's size and at a million leads.
    # Their figure is CPU per page load (this process and its database backend): the work
    # itself, which neighbours on a shared machine do not inflate; wall-clock in the notes.
    "admin_agency": Stage(
        "CPU ms",
        {"stages": "admin_pages.agency"},
        5_000,
        5_000,
        500,
        peer="the same page done plainly (bench/admin_pages.py PEERS)",
    ),
    "admin_pages": Stage(
        "CPU ms",
        {"stages": "admin_pages.scale"},
        1_000_000,
        20_000,
        peer="the same page done plainly (bench/admin_pages.py PEERS)",
    ),
    # The whole audience checked before launch, a three-step sequence (bench/preflight.py).
    "preflight": Stage(
        "s",
        {"stages": "preflight.measure"},
        10_000,
        1_000,
        peer="the preview function per lead and step",
    ),
    # A blast to a million leads, ours against the limit (no peer: the goal is absolute,
    # under 20 s to queue them and the launch's answer under 1 s), on SQLite and on
    # PostgreSQL (bench/launch_million.py).
    "launch_million": Stage(
        "s",
        {"stages": "launch_million.measure"},
        1_000_000,
        100_000,
        6_000,  # two chunks: the background thread queues the second
        peer="none: ours against the limit (goal: a million queued in under 20 s)",
    ),
    "launch_million_pg": Stage(
        "s",
        {"stages": "launch_million.measure"},
        1_000_000,
        100_000,
        12_000,
        peer="none: ours against the limit (goal: a million queued in under 20 s)",
    ),
    # The leads a listing fits, among this many of one agency, on PostgreSQL; rows
    # listing_matching and listing_matching_lower (bench/listing_matching.py).
    "listing_matching": Stage(
        "s",
        {"stages": "listing_matching.measure"},
        1_000_000,
        10_000,
        peer="the ORM filter with Lower(city)",
    ),
}
# Units whose figures keep four significant decimals (seconds, fractions of a quota).
PRECISE = {"s", "of quota"}
# Stages whose workers run against a throw-away PostgreSQL cluster (.ci/with-postgres, on
# the port BENCH_PGPORT) instead of a fresh SQLite file.
ON_POSTGRES = {
    "api_ingest",
    "admin_agency",
    "admin_pages",
    "listing_matching",
    "launch_million_pg",
}
# Stages whose worker loads admin pages, so it needs the admin's autodiscovery; the
# others start with bench/worker_settings.py.
NEEDS_ADMIN = {"admin_agency", "admin_pages"}
# Stages the smoke run leaves out: the admin at scale runs the agency stage's code, the
# million-lead launch on PostgreSQL the SQLite one's.
NOT_IN_SMOKE = {"admin_pages", "launch_million_pg"}
# Units where lower is better: the ratio is peer / ours.
LOWER_IS_BETTER = {"s", "CPU ms"}
# Rounds of alternating contenders (ours, the peer, the limit; the next round the peer
# first): the ratio is each round's, given as the median and range over rounds. Second
# peers run in the first round only (the slowest take minutes a round at full size).
ROUNDS = {"full": 5, "small": 5, "tiny": 1}
HEADLINE = ("ours", "peer", "limit")
# What a ratio says, printed with every table.
SUMMARY = """\
How to read this: each stage is measured for ours and for a peer doing the same work (named
below), alternating in the same run (ours, the peer, then the peer first the next round).
"ratio" is how many times better ours is than the fair peer, whatever the unit: above 1 ours
is faster (the peer's time / ours, or our rate / the peer's); the median over the rounds,
with the lowest and highest round in brackets. "of limit" is ours against the stage's
physical limit measured in the same run (raw SQL writing the same rows): 1.0 would be the
limit itself. Second peers (naive ones) are lines below, from the first round. Units: s =
seconds of wall-clock; CPU ms = milliseconds of CPU (the process and its database backend)
per page load; rows/s, msg/s = per second; of quota = sends as a fraction of Gmail's quota.
The machine's load average (1 minute) is printed beside each stage: it is shared."""


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


def run_worker(
    worker: str,
    size: int,
    workdir: Path,
    stage: str,
    lane: int = 0,
    *,
    full_check: bool = True,
    rounds: int = 1,
) -> dict:
    postgres = stage in ON_POSTGRES
    settings_module = "settings.base" if stage in NEEDS_ADMIN else "bench.worker_settings"
    env = bench_environment(workdir, settings_module)
    # The first round's workers digest every row they made (bench/checks.py), the others
    # only count: the outputs are compared once, the timings every round.
    env["BENCH_FULL_CHECK"] = "1" if full_check else "0"
    env["BENCH_ROUNDS"] = str(rounds)
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


@dataclass(frozen=True)
class Job:
    """One contender's run in one round."""

    stage: str
    label: str
    worker: str
    size: int
    round: int
    lane: int  # PostgreSQL workers' port offset (BENCH_PGPORT)
    rounds: int = 1  # the run's rounds: a one-worker stage alternates that many inside


def load_average() -> float:
    """The machine's load average over the last minute."""
    return round(os.getloadavg()[0], 1)


def timed_worker(job: Job, workdir: Path) -> dict:
    for leftover in workdir.glob(f"{job.worker}.sqlite3*"):
        leftover.unlink()
    load = load_average()
    started = time.perf_counter()
    result = run_worker(
        job.worker,
        job.size,
        workdir,
        job.stage,
        job.lane,
        full_check=job.round == 0,
        rounds=job.rounds,
    )
    elapsed = time.perf_counter() - started
    load = max(load, load_average())
    print(
        f"{job.stage}: {job.worker} ({job.size:,}) round {job.round + 1} {elapsed:.1f} s, "
        f"load {load}",
        flush=True,
        file=sys.stderr,
    )
    return {**result, "load": load}


def _figure(value: float, unit: str) -> float:
    if unit in PRECISE:
        return float(f"{value:.4g}")
    return round(value, 1)


def _ratio(ours: float, theirs: float, unit: str) -> float:
    """How many times better ours is: higher is better for us, whatever the unit."""
    return round(theirs / ours if unit in LOWER_IS_BETTER else ours / theirs, 2)


def _values(results: list[dict]) -> list[float]:
    """A contender's figures, one a round (a worker that alternates inside gives `values`)."""
    if len(results) == 1 and results[0].get("values"):
        return list(results[0]["values"])
    return [result["value"] for result in results]


def _ratios(ours: list[float], theirs: list[float], unit: str) -> list[float]:
    """Each round's ratio; against a contender run once, ours' median."""
    if len(ours) == len(theirs):
        return [_ratio(a, b, unit) for a, b in zip(ours, theirs, strict=True)]
    return [_ratio(statistics.median(ours), b, unit) for b in theirs]


def _spread(ratios: list[float]) -> dict:
    return {
        "ratio": round(statistics.median(ratios), 2),
        "ratio_low": min(ratios),
        "ratio_high": max(ratios),
        "rounds": len(ratios),
    }


def row(stage: str, unit: str, size: int, measured: dict[str, list[dict]]) -> dict:
    """One line of results: ours against the fair peer (the median ratio over rounds and its
    range), ours against the physical limit, and any second peer after."""
    ours_values = _values(measured["ours"])
    # A stage without a peer (the million-lead launch) is ours against the limit alone.
    peer_values = _values(measured["peer"]) if "peer" in measured else []
    others = [item for item in measured.items() if item[0] not in HEADLINE]
    every = [result for results in measured.values() for result in results]
    loads = [result["load"] for result in every if "load" in result]
    line = {
        "stage": stage,
        "ours": _figure(statistics.median(ours_values), unit),
        "peer": _figure(statistics.median(peer_values), unit) if peer_values else None,
        "unit": unit,
        **(
            _spread(_ratios(ours_values, peer_values, unit))
            if peer_values
            else {"ratio": None, "ratio_low": None, "ratio_high": None, "rounds": 0}
        ),
        "size": size,
        "load": [min(loads), max(loads)] if loads else None,
        "ours_peak_mb": measured["ours"][0].get("peak_mb"),
        "peer_peak_mb": measured["peer"][0].get("peak_mb") if peer_values else None,
        "limit": None,
        "of_limit": None,
        "others": [
            {
                "peer": label,
                "value": _figure(statistics.median(_values(results)), unit),
                **_spread(_ratios(ours_values, _values(results), unit)),
                "peak_mb": results[0].get("peak_mb"),
            }
            for label, results in others
        ],
        "note": "; ".join(filter(None, (results[0].get("note") for results in measured.values()))),
    }
    if "limit" in measured:
        limit_values = _values(measured["limit"])
        spread = _spread(_ratios(ours_values, limit_values, unit))
        line["limit"] = _figure(statistics.median(limit_values), unit)
        line["of_limit"] = [spread["ratio"], spread["ratio_low"], spread["ratio_high"]]
    return line


def output_differences(stage: str, measured: dict[str, list[dict]]) -> list[str]:
    """Each peer's output against ours, from the first round (counts, every row's digest,
    and sampled rows field by field); a limit's, where it reports one."""
    from bench.checks import differences

    ours = measured["ours"][0].get("output")
    found = []
    for label, results in measured.items():
        if label == "ours" or (label == "limit" and "output" not in results[0]):
            continue
        if ours is None or "output" not in results[0]:
            found.append(f"{stage}: {label} or ours reported no output to check")
            continue
        found += [f"{stage}: {label}: {line}" for line in differences(ours, results[0]["output"])]
    return found


def _range(low: float, high: float) -> str:
    return f"{low:g}-{high:g}" if low != high else f"{low:g}"


def print_table(rows: list[dict], stages: list[str]) -> None:
    print(SUMMARY)
    print()
    print("Fair peers:")
    for stage in stages:
        print(f"  {stage}: {STAGES[stage].peer}")
    print()
    print(
        f"{'stage':<24}{'size':>10}{'ours':>11}{'peer':>11}  {'unit':<9}"
        f"{'ratio (range)':>19}{'of limit':>18}  {'load':<9} peak MB"
    )
    for line in rows:
        peaks = line["ours_peak_mb"] is not None
        ratio, peer = "no peer", "–"
        if line["peer"] is not None:
            peer = f"{line['peer']:,}"
        if line["ratio"] is not None:
            ratio = f"{line['ratio']}x ({_range(line['ratio_low'], line['ratio_high'])})"
        limit = ""
        if line["of_limit"]:
            median, low, high = line["of_limit"]
            limit = f"{median} ({_range(low, high)})"
        load = _range(*line["load"]) if line["load"] else ""
        print(
            f"{line['stage']:<24}{line['size']:>10,}{line['ours']:>11,}{peer:>11}  "
            f"{line['unit']:<9}{ratio:>19}{limit:>18}  {load:<9} "
            + (f"{line['ours_peak_mb']} vs {line['peer_peak_mb']}" if peaks else "")
        )
        if line["limit"] is not None:
            print(f"{'':<24}{'the limit':>21}{line['limit']:>11,}  {line['unit']}")
        for other in line["others"]:
            ratio = f"{other['ratio']}x ({_range(other['ratio_low'], other['ratio_high'])})"
            print(
                f"{'':<24}{'against ' + other['peer']:>21}{other['value']:>11,}  "
                f"{line['unit']:<9}{ratio:>19}"
                + (f"{'':>29}{line['ours_peak_mb']} vs {other['peak_mb']}" if peaks else "")
            )
        if line["note"]:
            print(f"  {line['note']}")


def plan(stages: list[str], sizes: dict[str, int], rounds: int) -> list[Job]:
    """The jobs in the order they run: round by round, each stage's contenders in turn (the
    peer first every other round); second peers and one-worker stages in the first round."""
    jobs: list[Job] = []
    lane = 0
    for number in range(rounds):
        # The long PostgreSQL workers first, so that the short ones fill the other lane.
        for stage in sorted(stages, key=lambda name: name not in ON_POSTGRES):
            contenders = list(STAGES[stage].contenders.items())
            if number % 2:
                contenders.sort(key=lambda item: item[0] != "peer")
            for label, worker in contenders:
                if number and label not in HEADLINE:
                    continue
                jobs.append(Job(stage, label, worker, sizes[stage], number, lane, rounds))
                lane += stage in ON_POSTGRES
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--tiny", action="store_true", help="smoke run: the stages still work")
    parser.add_argument("--workdir", type=Path, help="where databases and results go")
    parser.add_argument("--size", type=int, help="one size for the chosen stages")
    parser.add_argument("--rounds", type=int, help="rounds of alternating contenders")
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
    kind = "tiny" if args.tiny else "small" if args.small else "full"
    rounds = args.rounds or ROUNDS[kind]
    print(f"load average at the start: {', '.join(f'{n:.1f}' for n in os.getloadavg())}")
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
    jobs = plan(stages, sizes, rounds)
    with ThreadPoolExecutor(max_workers=2 if side_by_side else 1) as pool:
        try:
            results = list(pool.map(timed_worker, jobs, [workdir] * len(jobs)))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # a failed worker stops the run
            raise
    rows, wrong = [], []
    for stage in stages:
        measured: dict[str, dict[str, list[dict]]] = {}
        for job, result in zip(jobs, results, strict=True):
            if job.stage != stage:
                continue
            if job.label == "stages":
                for name, contenders in result.items():  # checked inside the worker
                    if name == "load":
                        continue
                    for label, figures in contenders.items():
                        measured.setdefault(name, {}).setdefault(label, []).append(
                            {**figures, "load": result_load(figures, result)}
                        )
            else:
                measured.setdefault(stage, {}).setdefault(job.label, []).append(result)
        if "stages" not in STAGES[stage].contenders:
            wrong += output_differences(stage, measured[stage])
        for name, contenders in measured.items():
            rows.append(row(name, STAGES[stage].unit, sizes[stage], contenders))
    if wrong:
        # A peer that produced something else than ours is a failed run, not a figure.
        raise SystemExit("Outputs differ:\n" + "\n".join(wrong))
    out = workdir / "results.json"
    out.write_text(json.dumps(rows, indent=2))
    print_table(rows, stages)
    print(f"load average at the end: {', '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(f"written to {out}")


def result_load(figures: dict, worker: dict) -> float:
    """The load a row measured inside a one-worker stage ran under: the worker's."""
    return figures.get("load", worker.get("load", 0.0))


if __name__ == "__main__":
    main()
