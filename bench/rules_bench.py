"""Level-2 rules against lxml parse + XSD validation on large JW323 declarations, side by side.

    .venv/bin/python bench/rules_bench.py [--sizes 1000,2000,10000,13000,26000] [--repeat 3]

For each size a valid JW323 is generated (`testkit.samples.big_declaration`, about 1 kB per
prestatie: 26,000 prestaties is the 25 MB limit of OP179) and then, in the same process and run,
timed: lxml parse, XSD validation, building the parsed model (`to_model`) and all level-2 rules
(`check`).  Each figure is the best of `--repeat` runs (at least 20 for the small sizes, whose
times are in milliseconds), the usual way to keep other load on the machine out of the figures.
The ratios compare our work with the unavoidable parse + XSD; the doubling rows give the growth
factor where the input doubles (1k -> 2k, 13k -> 26k).  Targets (issue 10): the level-2 rules,
model building included ((m+r)/(p+x)), <= 2x parse+XSD at 25 MB, doubling the input <= 2.1x
the time.  This script prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ijw import xml
from app.ijw.model import to_model
from app.ijw.rules.engine import check, registered
from testkit.samples import big_declaration

COLUMNS = ("parse", "xsd", "model", "rules")


def _timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def measure(data: bytes, repeat: int) -> dict[str, float]:
    """Best seconds per stage over `repeat` runs; checks that the message is clean."""
    runs: dict[str, list[float]] = {name: [] for name in COLUMNS}
    for _ in range(repeat):
        gc.collect()
        t_parse, tree = _timed(lambda: xml.parse(data))
        info = xml.identify(tree)
        t_xsd, _ = _timed(partial(xml.validate, tree, info))
        t_model, message = _timed(partial(to_model, tree, info))
        t_rules, findings = _timed(partial(check, message))
        if findings:
            raise SystemExit(f"generated declaration is not level-2 clean: {findings[:3]}")
        for name, value in zip(COLUMNS, (t_parse, t_xsd, t_model, t_rules), strict=True):
            runs[name].append(value)
        del tree, message
    return {name: min(values) for name, values in runs.items()}


def main(argv: list[str] | None = None) -> None:
    """Generate, measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,10000,13000,26000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    registered()  # import the rule modules outside the timings
    xml.schema_for("JW323")  # compile the XSD once, outside the timings
    results: dict[int, dict[str, float]] = {}
    header = (
        f"{'prestaties':>10} {'MB':>6} {'parse s':>8} {'XSD s':>7} {'model s':>8} {'rules s':>8}"
        f" {'rules/(p+x)':>11} {'(m+r)/(p+x)':>11}"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        data = big_declaration(n, seed=n)
        t = measure(data, max(args.repeat, 20) if n <= 2000 else args.repeat)
        results[n] = t
        base = t["parse"] + t["xsd"]
        print(
            f"{n:>10,} {len(data) / 1e6:>6.1f} {t['parse']:>8.3f} {t['xsd']:>7.3f}"
            f" {t['model']:>8.3f} {t['rules']:>8.3f} {t['rules'] / base:>11.2f}"
            f" {(t['model'] + t['rules']) / base:>11.2f}",
            flush=True,
        )
    doublings = [(n, 2 * n) for n in sizes if 2 * n in results]
    if doublings:
        print()
        print(f"{'doubling':>16} " + " ".join(f"{name + ' x':>8}" for name in COLUMNS))
        for small, big in doublings:
            factors = " ".join(f"{results[big][c] / results[small][c]:>8.2f}" for c in COLUMNS)
            print(f"{f'{small:,} -> {big:,}':>16} {factors}")
    print()
    print("targets: (model+rules)/(parse+XSD) <= 2 at 25 MB; growth on doubling <= 2.1")


if __name__ == "__main__":
    main()
