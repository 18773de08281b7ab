#!/usr/bin/env python3
"""The API gate: schemathesis against the real binary, with two identities per role.

Loads the demonstration network into a fresh SQLite data directory, adds for every role a
second account in another organisation, gives each account a token with every scope, serves,
and runs schemathesis once per role with both identities as peers (object-level authorisation
is checked between them: one must never receive the other's records). Every check is on:
no server error, responses conform to the schema, auth is enforced.

Usage: api_gate.py SATIS_BIN LOG_DIR [--examples N]
Exit 0 when every run is clean; the reports are left in LOG_DIR for the PII canary scan.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SCOPES = [
    "network:read", "hotline:read", "hotline:write", "reports:read", "reports:write",
    "outreach:read", "outreach:write", "cases:read", "cases:write", "projects:read",
    "referrals:read", "stats:read",
]
OTHER_ORG = "Ente di verifica API"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def satis(bin_: str, data: str, *args: str, env: dict | None = None) -> str:
    e = {"PATH": os.environ.get("PATH", ""), "SATIS_DATA_DIR": data, "SATIS_LOG": "warn"}
    e.update(env or {})
    out = subprocess.run([bin_, *args], env=e, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"satis {' '.join(args[:2])} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return out.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("satis_bin")
    ap.add_argument("log_dir")
    ap.add_argument("--examples", type=int, default=15)
    ap.add_argument("--schemathesis", default="schemathesis")
    a = ap.parse_args()
    logs = Path(a.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    data = tempfile.mkdtemp(prefix="satis-api-gate-")
    try:
        return run(a, logs, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run(a, logs: Path, data: str) -> int:
    banner = satis(a.satis_bin, data, "demo", "--no-serve")
    # "   numeroverde      hotline_operator           CAT Coop. sociale Onlus"
    accounts = []
    for line in banner.splitlines():
        m = re.match(r"^   (\S+)\s+([a-z_]+)\s{2,}(.+)$", line)
        if m:
            accounts.append((m.group(1), m.group(2), m.group(3).strip()))
    if len(accounts) < 9:
        sys.exit(f"could not read the demo accounts from:\n{banner}")
    identities: dict[str, list[tuple[str, str]]] = {}
    for username, role, org in accounts:
        second = f"verifica-{role.replace('_', '-')}"
        satis(a.satis_bin, data, "user", "add", "--username", second, "--name",
              "Verifica API", "--organisation", OTHER_ORG, "--role", role)
        for user, organisation in [(username, org), (second, OTHER_ORG)]:
            args = ["token", "create", "--organisation", organisation, "--user", user,
                    "--name", "api-gate"]
            for s in SCOPES:
                args += ["--scope", s]
            out = satis(a.satis_bin, data, *args)
            token = re.search(r"(satis_[A-Za-z0-9_-]+)", out)
            if not token:
                sys.exit(f"no token in: {out}")
            identities.setdefault(role, []).append((user, token.group(1)))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = open(logs / "api-gate-server.log", "w")
    env = {"PATH": os.environ.get("PATH", ""), "SATIS_DATA_DIR": data,
           "SATIS_LISTEN": f"127.0.0.1:{port}", "SATIS_LOG": "info"}
    server = subprocess.Popen([a.satis_bin, "demo"], env=env, stdout=server_log,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except Exception:
                if server.poll() is not None or time.time() > deadline:
                    sys.exit("satis did not start; see api-gate-server.log")
                time.sleep(0.2)
        failures = 0
        for role, ids in sorted(identities.items()):
            failures += schemathesis(a, logs, base, role, ids)
        return 1 if failures else 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
        if server.returncode not in (0, -15, None):
            print(f"satis exited with {server.returncode}", file=sys.stderr)


def schemathesis(a, logs: Path, base: str, role: str, ids: list[tuple[str, str]]) -> int:
    wfc = logs / f"wfc-{role}.json"
    # The tokens themselves are secrets of this run only; they are deleted with it.
    wfc.write_text(json.dumps({"auth": [
        {"name": user, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {tok}"}]}
        for user, tok in ids
    ]}))
    config = logs / f"schemathesis-{role}.toml"
    names = json.dumps([user for user, _ in ids])
    config.write_text(f'[auth.wfc]\npath = "{wfc}"\npeers = {names}\n')
    report_dir = logs / f"schemathesis-{role}"
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
    print(f"\n--- schemathesis as {role}: {', '.join(u for u, _ in ids)}", flush=True)
    r = subprocess.run(cmd)
    wfc.unlink(missing_ok=True)
    return 0 if r.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
