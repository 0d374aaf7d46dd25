"""Run every benchmark in one go (`make bench`); each prints its own side-by-side table.

    .venv/bin/python bench/run_all.py [--postgres URL] [--quick]

--postgres (or IJW_BENCH_POSTGRES_URL) adds the PostgreSQL columns; that database is WIPED, so
give a scratch database.  --quick uses smaller inputs (a smoke run, not the targets).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("IJW_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    pg = ["--postgres", args.postgres] if args.postgres else []
    runs = [
        ["rules_bench.py", *(["--sizes", "1000,2000,4000"] if args.quick else [])],
        [
            "declaration_bench.py",
            "--rejected",
            *pg,
            *(["--prestaties", "2000"] if args.quick else []),
        ],
        ["flows_bench.py", "--clients", "50" if args.quick else "500", *pg],
        ["soak_bench.py", *(["--rounds", "2", "--prestaties", "2000"] if args.quick else [])],
        ["ui_bench.py", "--rounds", "2" if args.quick else "5", *pg],
        [
            "ggk_bench.py",
            *pg,
            *(
                ["--messages", "50", "--entries", "50", "--prestaties", "2000"]
                if args.quick
                else []
            ),
        ],
        ["steering_bench.py", *pg, *(["--sizes", "200,1000", "--runs", "2"] if args.quick else [])],
        ["http_bench.py", *pg, *(["--quick"] if args.quick else [])],
        # the scale-out over several provider/gemeente pairs (one pair is serialised on purpose)
        ["http_bench.py", "--pairs", "8", *pg, *(["--quick"] if args.quick else [])],
    ]
    status = 0
    env = {k: v for k, v in os.environ.items() if k != "IJW_TEST_POSTGRES_URL"}
    for script, *rest in runs:
        print(f"\n=== {script} {' '.join(rest)}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / script), *rest], env=env, check=False)
        status = status or done.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
