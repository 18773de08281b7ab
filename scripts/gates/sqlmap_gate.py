#!/usr/bin/env python3
"""SQL injection gate (long run): sqlmap (pinned) against the main API endpoints.

Every query parameter, JSON body field and path id of the main operations is tried, on the
demonstration network, with tokens of the roles that may call them. The gate fails if sqlmap
identifies any injection point; its logs stay in LOG_DIR/sqlmap.

Usage: sqlmap_gate.py SATIS_BIN LOG_DIR --sqlmap PATH [--level 3 --risk 2]
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from common import Server, base_env, demo_accounts, satis, token

# The demonstration data are dated relative to the day it is loaded: the last 300 days hold them.
_TODAY = datetime.date.today()
PERIOD = f"from={_TODAY - datetime.timedelta(days=300)}&to={_TODAY}"


def first(base: str, bearer: str, path: str) -> dict | None:
    """The first record a list operation gives (sqlmap needs a page that exists)."""
    req = urllib.request.Request(f"{base}/api/v1{path}",
                                 headers={"Authorization": f"Bearer {bearer}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        items = json.loads(r.read())
    if not items:
        print(f"(nothing at {path} in the demonstration network: its id is not tried)")
        return None
    return items[0]


def first_id(base: str, bearer: str, path: str) -> int | None:
    item = first(base, bearer, path)
    return None if item is None else item["id"]


def targets(base: str, tokens: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(name, sqlmap arguments) of each endpoint tried; `*` marks a path injection point."""
    contact = first_id(base, tokens["numeroverde"], f"/hotline/contacts?{PERIOD}")
    case = first_id(base, tokens["operatrice"], "/cases")
    report = first_id(base, tokens["numeroverde"], "/reports")
    interview = first(base, tokens["strada"], f"/outreach/interviews?{PERIOD}")
    desk = None if interview is None else interview["service_id"]
    new_interview = json.dumps({"service_id": desk, "held_on": str(_TODAY),
                                "contact_code": "AB12", "language": "en", "mediator": "M",
                                "topics": ["sti"], "outcome": "information_given"})
    new_contact = json.dumps({"channel": "phone", "relevance": "pertinent", "caller_ref": "AB12",
                          "municipality": "Prato", "language": "ro", "province": "PO",
                          "notes": "nota", "reasons": ["information"], "outcomes": ["listening"]})
    tried = [
        ("hotline-list", ["-u", f"/api/v1/hotline/contacts?{PERIOD}", "--auth", "numeroverde"]),
        ("hotline-create", ["-u", "/api/v1/hotline/contacts", "--data", new_contact,
                            "--auth", "numeroverde"]),
        ("hotline-one", ["-u", f"/api/v1/hotline/contacts/{contact}*", "--auth", "numeroverde"]),
        ("cases-one", ["-u", f"/api/v1/cases/{case}*", "--auth", "operatrice"]),
        ("case-phase", ["-u", f"/api/v1/cases/{case}", "--method", "PATCH", "--data",
                        json.dumps({"phase": "identification", "reason": "x",
                                    "effective_on": datetime.date.today().isoformat()}),
                        "--headers", "If-Match: \"v1\"", "--auth", "operatrice"]),
        ("stats", ["-u", f"/api/v1/stats/activity?{PERIOD}&province=FI", "--auth", "analista"]),
        ("outings", ["-u", f"/api/v1/outreach/outings?{PERIOD}", "--auth", "strada"]),
        ("reports-one", ["-u", f"/api/v1/reports/{report}*", "--auth", "numeroverde"]),
        ("report-triage", ["-u", f"/api/v1/reports/{report}", "--method", "PATCH", "--data",
                           json.dumps({"outcome": "duplicate", "duplicate_of": 1}),
                           "--headers", "If-Match: \"v1\"", "--auth", "numeroverde"]),
        ("interviews", ["-u", f"/api/v1/outreach/interviews?{PERIOD}", "--auth", "strada"]),
        ("interview-create", ["-u", "/api/v1/outreach/interviews", "--data", new_interview,
                              "--auth", "strada"]),
    ]
    return [t for t in tried if "None" not in " ".join(t[1])]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("satis_bin")
    ap.add_argument("log_dir")
    ap.add_argument("--sqlmap", required=True)
    ap.add_argument("--level", default="3")
    ap.add_argument("--risk", default="2")
    a = ap.parse_args()
    logs = Path(a.log_dir)
    (logs / "sqlmap").mkdir(parents=True, exist_ok=True)
    data = tempfile.mkdtemp(prefix="satis-sqlmap-")
    try:
        env = base_env(data)
        tokens = {}
        for user, _, org in demo_accounts(satis(a.satis_bin, env, "demo", "--no-serve")):
            tokens[user] = token(a.satis_bin, env, user, org, name="sqlmap")
        server = Server(a.satis_bin, base_env(data, SATIS_LOG="info"),
                        logs / "sqlmap-server.log", "demo").start()
        try:
            found = []
            for name, args in targets(server.base, tokens):
                i = args.index("--auth")
                user = args[i + 1]
                args = args[:i] + args[i + 2:]
                args[1] = server.base + args[1]
                cmd = [a.sqlmap, *args, "--batch", "--level", a.level, "--risk", a.risk,
                       "--headers", f"Authorization: Bearer {tokens[user]}",
                       "--output-dir", str(logs / "sqlmap" / name), "--flush-session",
                       "--disable-coloring", "--skip-waf", "--threads", "2"]
                if "--headers" in args:
                    # sqlmap takes one --headers; join them with a newline.
                    j = cmd.index("--headers")
                    extra = cmd[j + 1]
                    del cmd[j:j + 2]
                    k = cmd.index("--headers")
                    cmd[k + 1] = f"{extra}\nAuthorization: Bearer {tokens[user]}"
                print(f"--- sqlmap: {name}", flush=True)
                out = subprocess.run(cmd, capture_output=True, text=True)
                text = out.stdout + out.stderr
                (logs / "sqlmap" / f"{name}.txt").write_text(text.replace(tokens[user], "[token]"))
                if "identified the following injection point" in text or "is vulnerable" in text:
                    found.append(name)
                    print(f"INJECTABLE: {name}", file=sys.stderr)
                else:
                    tail = [ln for ln in text.splitlines() if "not injectable" in ln or
                            "do not appear to be injectable" in ln]
                    print(tail[-1] if tail else text.strip().splitlines()[-1])
            return 1 if found else 0
        finally:
            server.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
