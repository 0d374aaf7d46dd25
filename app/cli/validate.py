"""`ijw validate` (offline XSD + level-2 check of message files) and `ijw schemas write`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from app.cli.main import Root
from app.config import ROOT
from app.ijw import model, xml
from app.ijw.catalogue.xsd_writer import write_all
from app.ijw.rules.engine import check


def _files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.xml") if p.is_file())
        else:
            yield path


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
    progress: Callable[[list[Path]], Any] = lambda items: items  # noqa: E731
    if len(files) > 1 and sys.stderr.isatty():
        progress = lambda items: tqdm(items, unit="file", file=sys.stderr)  # noqa: E731
    clean = True
    for path in progress(files):
        result = {"path": str(path), **validate_bytes(path.read_bytes())}
        ok = result["xsd_valid"] and not result["findings"]
        clean = clean and ok
        if args.json:
            print(json.dumps(result, default=str), flush=True)
        else:
            status = "ok" if ok else ("XSD INVALID" if not result["xsd_valid"] else "REJECTED")
            print(f"{path}: {result['message_type'] or '?'} {status}")
            for err in result["errors"]:
                print(f"  line {err['line']}: {err['path']} {err['message']}")
            for f in result["findings"]:
                print(f"  {f['rule']} ({f['retourcode']}) at {', '.join(f['location'])}")
    return 0 if clean else 1


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
    p = schemas.add_parser("write", help="render schemas/xsd from the message model")
    p.add_argument("--folder", default=str(ROOT / "schemas" / "xsd"))
    p.set_defaults(func=cmd_schemas_write)
