#!/usr/bin/env python3
"""The API gate: schemathesis against the real binary, with two identities per role.

Loads the demonstration network into a fresh SQLite data directory, adds for every role a
second account in another organisation, gives each account a token with every scope, serves,
and runs schemathesis once per role with both identities as peers (object-level authorisation
is checked between them: one must never receive the other's records). Every check is on:
no server error, responses conform to the schema, auth is enforced.

Usage: api_gate.py SATIS_BIN LOG_DIR [--examples N] [--database-url postgres://…]
With --database-url the demonstration network is loaded into that (empty) PostgreSQL database
instead of SQLite: the same requests then meet the other backend (PostgreSQL refuses some
values SQLite keeps, such as a NUL character in text).
Exit 0 when every run is clean; the reports are left in LOG_DIR for the PII canary scan.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Server, base_env, demo_accounts, satis, token

OTHER_ORG = "Ente di verifica API"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("satis_bin")
    ap.add_argument("log_dir")
    ap.add_argument("--examples", type=int, default=15)
    ap.add_argument("--schemathesis", default="schemathesis")
    ap.add_argument("--database-url")
    a = ap.parse_args()
    logs = Path(a.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    data = tempfile.mkdtemp(prefix="satis-api-gate-")
    try:
        return run(a, logs, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run(a, logs: Path, data: str) -> int:
    backend = {"DATABASE_URL": a.database_url} if a.database_url else {}
    label = "postgres" if a.database_url else "sqlite"
    env = base_env(data, **backend)
    identities: dict[str, list[tuple[str, str]]] = {}
    for username, role, org in demo_accounts(satis(a.satis_bin, env, "demo", "--no-serve")):
        second = f"verifica-{role.replace('_', '-')}"
        satis(a.satis_bin, env, "user", "add", "--username", second, "--name", "Verifica API",
              "--organisation", OTHER_ORG, "--role", role)
        for user, organisation in [(username, org), (second, OTHER_ORG)]:
            identities.setdefault(role, []).append(
                (user, token(a.satis_bin, env, user, organisation, name="api-gate")))
    server = Server(a.satis_bin, base_env(data, SATIS_LOG="info", **backend),
                    logs / f"api-gate-server-{label}.log", "demo").start()
    try:
        failures = 0
        for role, ids in sorted(identities.items()):
            failures += schemathesis(a, logs, server.base, f"{label}-{role}", ids)
        return 1 if failures else 0
    finally:
        server.stop()


def schemathesis(a, logs: Path, base: str, run: str, ids: list[tuple[str, str]]) -> int:
    wfc = logs / f"wfc-{run}.json"
    # The tokens themselves are secrets of this run only; they are deleted with it.
    wfc.write_text(json.dumps({"auth": [
        {"name": user, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {tok}"}]}
        for user, tok in ids
    ]}))
    config = logs / f"schemathesis-{run}.toml"
    names = json.dumps([user for user, _ in ids])
    config.write_text(f'[auth.wfc]\npath = "{wfc}"\npeers = {names}\n')
    report_dir = logs / f"schemathesis-{run}"
    cmd = [
        a.schemathesis, "--config-file", str(config), "run", f"{base}/api/v1/openapi.json",
        "--checks", "all",
        # A request valid for the schema may still break a rule of the network (an outing's
        # tallies must add up, a case cannot skip to closed): 422 is right, not a defect.
        "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(a.examples), "--seed", "20261129",
        "--workers", "1", "--report", "vcr", "--report-dir", str(report_dir),
        "--no-color", "--suppress-health-check", "all", "--generation-database", "none",
    ]
    print(f"\n--- schemathesis ({run}): {', '.join(u for u, _ in ids)}", flush=True)
    r = subprocess.run(cmd)
    wfc.unlink(missing_ok=True)
    return 0 if r.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
