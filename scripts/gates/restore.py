#!/usr/bin/env python3
"""Restore drill: backups taken while the server serves and writers write, each restored into a
fresh place and checked against what was acknowledged.

Writers log hotline contacts through the API of a running server, each with its own
Idempotency-Key, and note when each write was sent and when it was acknowledged. Meanwhile
`satis backup` runs several times (an age archive each). Then every archive is restored, with
`satis restore`, into a fresh data directory holding only the key file (and, on PostgreSQL,
into a fresh database), `satis audit verify` must pass there, and a server on the restored
copy must list:

- every write acknowledged before its backup began, exactly once and under the acknowledged
  id;
- no write sent after its backup ended;
- nothing that was never sent (writes in flight during the backup may be there or not).

Usage: restore.py SATIS_BIN LOG_DIR [--database-url URL --restore-url URL]
                  [--writes N] [--writers W] [--backups B]
  --restore-url names a database that each restore may replace (created empty beforehand).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import Server, base_env, hotline_writer, post_contact, satis, stored_contacts

CANARY = "Zyxcanary Quellvorname"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("satis_bin")
    ap.add_argument("log_dir")
    ap.add_argument("--database-url")
    ap.add_argument("--restore-url")
    ap.add_argument("--writes", type=int, default=600)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--backups", type=int, default=2)
    a = ap.parse_args()
    if bool(a.database_url) != bool(a.restore_url):
        sys.exit("--database-url and --restore-url go together")
    logs = Path(a.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="satis-restore-"))
    try:
        return run(a, logs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(a, logs: Path, work: Path) -> int:
    backend = "PostgreSQL" if a.database_url else "SQLite"
    tag = "pg" if a.database_url else "sqlite"
    data = work / "data"
    env = base_env(data, SATIS_LOG="info")
    if a.database_url:
        env["DATABASE_URL"] = a.database_url
    tok = hotline_writer(a.satis_bin, env, "Drill", "restore-drill")
    identity = work / "backup-identity.txt"
    out = satis(a.satis_bin, env, "keys", "backup-identity", "--to", str(identity))
    recipient = next((w for w in out.split() if w.startswith("age1")), None)
    if not recipient:
        sys.exit(f"no age recipient in: {out}")
    server = Server(a.satis_bin, env, logs / f"restore-{tag}-server.log").start()

    # key -> (sent, acknowledged or None, id or None)
    writes: dict[str, tuple[float, float | None, int | None]] = {}
    lock = threading.Lock()
    acknowledged = [0]

    def writer(w: int) -> None:
        for i in range(w, a.writes, a.writers):
            key = f"restore-{i:06d}"
            # Spread over November as a month's calls are (a day's summary is recounted at
            # each write of that day).
            at = f"2026-11-{1 + i % 30:02d}T{8 + i % 12:02d}:{i % 60:02d}:00Z"
            body = {"channel": "phone", "relevance": "pertinent",
                    "started_at": at, "duration_minutes": 1 + i % 30,
                    "outcomes": ["listening"], "notes": f"{CANARY} chiamata {i}"}
            sent = time.monotonic()
            with lock:
                writes[key] = (sent, None, None)
            while True:
                got = post_contact(server.base, tok, key, body, timeout=30)
                if got is not None:
                    with lock:
                        writes[key] = (sent, time.monotonic(), got["id"])
                        acknowledged[0] += 1
                    break
                time.sleep(0.05)

    # (archive, began, ended)
    backups: list[tuple[Path, float, float]] = []

    def backer() -> None:
        for b in range(a.backups):
            # Spread the backups over the run: the b-th once (b+1)/(B+1) of the writes are in.
            goal = a.writes * (b + 1) // (a.backups + 1)
            while acknowledged[0] < goal:
                time.sleep(0.01)
            archive = work / f"backup-{b}.age"
            began = time.monotonic()
            satis(a.satis_bin, env, "backup", "--to", str(archive), "--recipient", recipient)
            backups.append((archive, began, time.monotonic()))

    started = time.time()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(a.writers)]
    threads.append(threading.Thread(target=backer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    server.stop()

    problems: list[str] = []
    summary = []
    for n, (archive, began, ended) in enumerate(backups):
        place = work / f"restored-{n}"
        place.mkdir()
        # The key file is kept apart from the backups and put back by hand.
        shutil.copy2(data / "satis.keys", place / "satis.keys")
        renv = base_env(place, SATIS_LOG="info")
        if a.restore_url:
            renv["DATABASE_URL"] = a.restore_url
            recreate(a.restore_url)
        restore_began = time.time()
        satis(a.satis_bin, renv, "restore", "--from", str(archive), "--identity", str(identity))
        restore_took = time.time() - restore_began
        satis(a.satis_bin, renv, "audit", "verify")
        copy = Server(a.satis_bin, renv, logs / f"restore-{tag}-restored.log").start()
        try:
            stored = stored_contacts(copy.base, tok)
        finally:
            copy.stop()
        with lock:
            snapshot = dict(writes)
        before = {k: v[2] for k, v in snapshot.items() if v[1] is not None and v[1] < began}
        after = {k for k, v in snapshot.items() if v[0] > ended}
        ids = {v[2]: k for k, v in snapshot.items() if v[2] is not None}
        if len(stored) != len(set(stored)):
            problems.append(f"backup {n}: an id is listed twice")
        missing = [k for k, i in before.items() if i not in stored]
        if missing:
            problems.append(f"backup {n}: {len(missing)} writes acknowledged before it are "
                            f"missing (e.g. {missing[0]})")
        later = [ids[i] for i in stored if i in ids and ids[i] in after]
        if later:
            problems.append(f"backup {n}: {len(later)} writes sent after it are in it")
        strangers = [i for i in stored if i not in ids]
        if strangers:
            problems.append(f"backup {n}: {len(strangers)} contacts nobody acknowledged "
                            "(ids reused?)")
        summary.append(f"#{n}: {len(stored)} contacts ({len(before)} acknowledged before it, "
                       f"{len(stored) - len(before)} in flight), restored in {restore_took:.1f} s")
    if len(backups) != a.backups:
        problems.append(f"{a.backups - len(backups)} backups were never taken")
    print(f"restore drill on {backend}: {a.writes} acknowledged writes by {a.writers} writers "
          f"in {elapsed:.0f} s, {len(backups)} backups while serving and writing; "
          + "; ".join(summary))
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


def recreate(url: str) -> None:
    """An empty database at `url`, through the server's maintenance database."""
    server, name = url.rsplit("/", 1)
    admin = f"{server}/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
