"""`ijw validate` (offline XSD + level-2 check of message files) and `ijw schemas write`."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from app.cli.main import Root
from app.ijw import model, xml
from app.ijw.catalogue.xsd_writer import write_all
from app.ijw.rules.engine import check
from app.ijw.xml import SCHEMA_DIR

_SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".git", ".tox"}


def _files(paths: list[str]) -> Iterator[Path]:
    """The files named, and the *.xml files below folders named (not in hidden folders,
    virtual environments or node_modules)."""
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            yield path
            continue
        for found in sorted(path.rglob("*.xml")):
            parts = found.relative_to(path).parts[:-1]
            if found.is_file() and not any(p in _SKIP_DIRS or p.startswith(".") for p in parts):
                yield found


def _looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def validate_bytes(data: bytes) -> dict[str, Any]:
    """Level 1 and level 2 verdict of one message, as `ijw validate --json` prints it."""
    out: dict[str, Any] = {"message_type": None, "xsd_valid": False, "errors": [], "findings": []}
    try:
        tree = xml.parse(data)
        info = xml.identify(tree)
        out["message_type"] = info.name
        xml.validate(tree, info)
    except xml.Rejection as exc:
        out["errors"] = [
            {"line": e.line, "path": e.path, "message": e.message} for e in exc.errors
        ] or [{"line": None, "path": "", "message": exc.message}]
        return out
    out["xsd_valid"] = True
    out["findings"] = [f.as_dict() for f in check(model.to_model(tree, info))]
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    files = list(_files(args.paths))
    missing = [f for f in files if not f.exists()]
    if missing:
        print(f"ijw: no such file: {missing[0]}", file=sys.stderr)
        return 2
    bar = len(files) > 1 and sys.stderr.isatty()
    items: Iterable[Path] = tqdm(files, unit="file", file=sys.stderr) if bar else files

    def say(line: str) -> None:
        # through tqdm while a bar is drawn, so lines never tear it
        if bar:
            tqdm.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    counts: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    for path in items:
        data = path.read_bytes()
        if not _looks_like_xml(data):
            counts["skipped"] += 1
            if args.json:
                say(json.dumps({"path": str(path), "skipped": "not XML"}))
            else:
                say(f"{path}: skipped (not XML)")
            continue
        result = {"path": str(path), **validate_bytes(data)}
        ok = result["xsd_valid"] and not result["findings"]
        counts["valid" if ok else "invalid"] += 1
        rules.update(f["rule"] for f in result["findings"])
        if not result["xsd_valid"]:
            rules["XSD"] += 1
        if args.json:
            say(json.dumps(result, default=str))
            continue
        status = "ok" if ok else ("XSD INVALID" if not result["xsd_valid"] else "REJECTED")
        say(f"{path}: {result['message_type'] or '?'} {status}")
        for err in result["errors"]:
            say(f"  line {err['line']}: {err['path']} {err['message']}")
        for f in result["findings"]:
            say(f"  {f['rule']} ({f['retourcode']}) at {', '.join(f['location'])}")
    if not args.json:
        by_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(rules.items())) or "-"
        print(
            f"{len(files)} file(s): {counts['valid']} valid, {counts['invalid']} invalid, "
            f"{counts['skipped']} skipped; by rule: {by_rule}",
            file=sys.stderr,
        )
    return 0 if not counts["invalid"] else 1


def cmd_schemas_write(args: argparse.Namespace) -> int:
    for path in write_all(Path(args.folder)):
        print(path)
    return 0


def register(sub: Any, root: Root) -> None:
    """Add validate and schemas."""
    p = sub.add_parser("validate", help="validate message files offline (XSD and level 2)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per file")
    p.add_argument("paths", nargs="+", help="files or folders (*.xml, recursively)")
    p.set_defaults(func=cmd_validate)

    schemas = sub.add_parser("schemas", help="our XSDs").add_subparsers(dest="s", required=True)
    p = schemas.add_parser("write", help="render app/ijw/xsd from the message model")
    p.add_argument("--folder", default=str(SCHEMA_DIR))
    p.set_defaults(func=cmd_schemas_write)
