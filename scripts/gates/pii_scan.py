#!/usr/bin/env python3
"""PII canary scan: no canary value may appear in any log, error body or temporary file.

The gates and browser journeys type canary values (invented names, notes, phone numbers) into
identity and free-text fields. Those values may live only encrypted in the database; this scan
reads every file under the given directories (server logs, schemathesis cassettes of every
request and response, the run's temporary directory) and fails on any hit, plain or in the
usual encodings (URL-encoded, JSON-escaped, base64 is out of scope: nothing here encodes so).

Usage: pii_scan.py DIR... ; canaries are read from scripts/gates/canaries.txt.
The scan first proves it can fail: a control file holding a canary must be found.
"""

from __future__ import annotations

import sys
import tempfile
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent


def canaries() -> list[bytes]:
    out = []
    for line in (HERE / "canaries.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.encode())
            out.append(urllib.parse.quote_plus(line).encode())
            out.append(urllib.parse.quote(line).encode())
    return sorted(set(out))


def scan(paths: list[Path], needles: list[bytes]) -> list[tuple[Path, bytes]]:
    hits = []
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            try:
                data = f.read_bytes().lower()
            except OSError:
                continue
            for n in needles:
                if n.lower() in data:
                    hits.append((f, n))
    return hits


def main() -> int:
    needles = canaries()
    with tempfile.TemporaryDirectory() as d:
        control = Path(d) / "control.log"
        control.write_bytes(b"request notes=" + needles[0] + b"\n")
        if not scan([control], needles):
            print("pii scan: the control canary was not found; the scan is broken", file=sys.stderr)
            return 2
    roots = [Path(p) for p in sys.argv[1:] if Path(p).exists()]
    files = sum(1 if r.is_file() else sum(1 for p in r.rglob("*") if p.is_file()) for r in roots)
    hits = scan(roots, needles)
    for f, n in hits:
        print(f"PII canary {n.decode(errors='replace')!r} found in {f}", file=sys.stderr)
    print(f"pii scan: {files} files under {', '.join(map(str, roots)) or '(nothing)'}; "
          f"{len(hits)} hits")
    if files == 0:
        print("pii scan: nothing to scan; the gates did not leave their logs", file=sys.stderr)
        return 2
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
