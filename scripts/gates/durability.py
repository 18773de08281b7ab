#!/usr/bin/env python3
"""Durability gate: SIGKILL the server at random moments during acknowledged writes.

Writers log hotline contacts through the API, each with its own Idempotency-Key, and resend a
write until it is acknowledged (as a phone or an integration would after a lost answer). A
killer thread SIGKILLs the server at random moments and starts it again on the same data.
At the end every acknowledged write must be present exactly once (same id as acknowledged, no
extra rows), and on SQLite `PRAGMA integrity_check` must say ok.

Usage: durability.py SATIS_BIN LOG_DIR [--writes N] [--kills K] [--writers W]
                     [--database-url URL] [--restart-db-cmd CMD]
With --database-url postgres://… the same runs on PostgreSQL; --restart-db-cmd (e.g.
"pg_ctlcluster 15 main restart -m immediate") also restarts the database in immediate mode.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import (Server, base_env, hotline_writer, lost_or_doubled, post_contact,
                    stored_contacts)

# Must never reach a log line, an error body or a temporary file (scripts/gates/pii_scan.py).
CANARY = "Zyxcanary Quellvorname"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("satis_bin")
    ap.add_argument("log_dir")
    ap.add_argument("--writes", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--database-url")
    ap.add_argument("--restart-db-cmd")
    ap.add_argument("--seed", type=int, default=20261129)
    a = ap.parse_args()
    random.seed(a.seed)
    logs = Path(a.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    data = tempfile.mkdtemp(prefix="satis-durability-")
    try:
        return run(a, logs, Path(data))
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run(a, logs: Path, data: Path) -> int:
    env = base_env(data, SATIS_LOG="info")
    if a.database_url:
        env["DATABASE_URL"] = a.database_url
    tok = hotline_writer(a.satis_bin, env, "Durability", "durability")
    server = Server(a.satis_bin, env, logs / "durability-server.log")
    server.start()

    acked: dict[str, int] = {}
    acked_lock = threading.Lock()
    kills = 0
    done = threading.Event()

    def writer(w: int) -> None:
        for i in range(w, a.writes, a.writers):
            key = f"durability-{i:06d}"
            body = {"channel": "phone", "relevance": "pertinent",
                    "started_at": "2026-11-20T10:00:00Z", "duration_minutes": 1 + i % 30,
                    "outcomes": ["listening"], "notes": f"{CANARY} chiamata {i}"}
            while True:
                got = post_contact(server.base, tok, key, body)
                if got is not None:
                    with acked_lock:
                        if key in acked and acked[key] != got["id"]:
                            sys.exit(f"{key} acknowledged as {acked[key]} then {got['id']}")
                        acked[key] = got["id"]
                    break
                time.sleep(0.05)

    def killer() -> None:
        nonlocal kills
        while not done.is_set() and kills < a.kills:
            time.sleep(random.uniform(0.3, 2.0))
            if done.is_set():
                return
            server.kill()
            kills += 1
            if a.restart_db_cmd and kills % 2 == 0:
                subprocess.run(a.restart_db_cmd, shell=True, check=True)
                time.sleep(1)
            server.start()

    started = time.time()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(a.writers)]
    k = threading.Thread(target=killer)
    for t in threads:
        t.start()
    k.start()
    for t in threads:
        t.join()
    done.set()
    k.join()
    elapsed = time.time() - started

    # Every acknowledged write, exactly once, under the id it was acknowledged with.
    # The list comes in pages of at most 500.
    stored = stored_contacts(server.base, tok)
    server.stop()
    problems = lost_or_doubled(a.writes, acked, stored)
    integrity = "n/a (PostgreSQL)"
    if not a.database_url:
        db = sqlite3.connect(data / "satis.sqlite")
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        # The notes carry the canary: at rest they must be encrypted, in every file of the
        # database (main file, write-ahead log).
        for f in data.iterdir():
            if f.is_file() and CANARY.split()[0].encode() in f.read_bytes():
                problems.append(f"the notes are readable in plain text in {f.name}")
    print(f"durability: {a.writes} acknowledged writes by {a.writers} writers, {kills} SIGKILLs"
          f"{' and database restarts' if a.restart_db_cmd else ''}, {elapsed:.0f} s; "
          f"{len(stored)} stored; integrity_check: {integrity}")
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    if kills == 0:
        print("FAIL: the server was never killed (too few writes for the kill schedule)",
              file=sys.stderr)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
