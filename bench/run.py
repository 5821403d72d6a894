"""Benchmarks: each stage against its peer, measured in the same run on the same data.

Every contender runs in its own process with a fresh database, so timings and peak
memory are its own. Results print as a table and go to var/bench/results.json.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAGES = {
    # stage: (unit, {contender: worker function name}, full size, small size)
    # --tiny divides the small size by 10: the smoke run in `make test`.
    "csv_import": ("rows/s", {"ours": "import_ours", "peer": "import_peer"}, 100_000, 10_000),
    # Lower is better for seconds: the ratio is peer / ours.
    "launch_blast": ("s", {"ours": "launch_ours", "peer": "launch_peer"}, 100_000, 5_000),
    "tick_nothing_due": (
        "s",
        {"ours": "tick_idle_ours", "peer": "tick_idle_peer"},
        100_000,
        10_000,
    ),
    "tick_10pct_due": ("s", {"ours": "tick_due_ours", "peer": "tick_due_peer"}, 100_000, 10_000),
    "build_vs_django": ("msg/s", {"ours": "build_ours", "peer": "build_django"}, 20_000, 2_000),
    "build_vs_stdlib": ("msg/s", {"ours": "build_ours", "peer": "build_stdlib"}, 20_000, 2_000),
}
# Stages whose workers run against a throw-away PostgreSQL cluster (.ci/with-postgres, on
# the port BENCH_PGPORT) instead of a fresh SQLite file.
ON_POSTGRES: set[str] = set()
# A stage whose contenders share one expensive data set names a single worker under
# "both": it prints {"ours": {...}, "peer": {...}}.


def run_worker(worker: str, size: int, workdir: Path, postgres: bool = False) -> dict:
    env = dict(os.environ, VAR_DIR=str(workdir), DJANGO_SETTINGS_MODULE="settings.base")
    command = [sys.executable, str(ROOT / "bench" / "workers.py"), worker, str(size)]
    if postgres:
        env["PGPORT_TEST"] = env.get("BENCH_PGPORT", "54340")
        command = ["bash", str(ROOT / ".ci" / "with-postgres"), *command]
    else:
        env.setdefault("DATABASE_URL", f"sqlite:///{workdir / f'{worker}.sqlite3'}")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--tiny", action="store_true", help="smoke run: the stages still work")
    parser.add_argument("--workdir", type=Path, help="where databases and results go")
    parser.add_argument("stages", nargs="*", default=list(STAGES))
    args = parser.parse_args()

    workdir = args.workdir or ROOT / "var" / "bench" / ("smoke" if args.tiny else "")
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for stage in args.stages:
        unit, contenders, full, small = STAGES[stage]
        size = small // 10 if args.tiny else small if args.small else full
        measured = {}
        for who, worker in contenders.items():
            for leftover in workdir.glob(f"{worker}.sqlite3*"):
                leftover.unlink()
            result = run_worker(worker, size, workdir, postgres=stage in ON_POSTGRES)
            measured.update(result if who == "both" else {who: result})
        ours, peer = measured["ours"], measured["peer"]
        rows.append(
            {
                "stage": stage,
                "ours": round(ours["value"], 3 if unit == "s" else 1),
                "peer": round(peer["value"], 3 if unit == "s" else 1),
                "unit": unit,
                "ratio": round(
                    peer["value"] / ours["value"] if unit == "s" else ours["value"] / peer["value"],
                    2,
                ),
                "size": size,
                "ours_peak_mb": ours["peak_mb"],
                "peer_peak_mb": peer["peak_mb"],
                "note": ours.get("note", ""),
            }
        )
    out = workdir / "results.json"
    out.write_text(json.dumps(rows, indent=2))
    print(f"{'stage':<14}{'size':>9}{'ours':>12}{'peer':>12}  {'unit':<8}{'ratio':>7}  peak MB")
    for row in rows:
        print(
            f"{row['stage']:<14}{row['size']:>9,}{row['ours']:>12,}{row['peer']:>12,}  "
            f"{row['unit']:<8}{row['ratio']:>6}x  {row['ours_peak_mb']} vs {row['peer_peak_mb']}"
        )
        if row["note"]:
            print(f"  {row['note']}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
