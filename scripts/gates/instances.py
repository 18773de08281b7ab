#!/usr/bin/env python3
"""Two-instance gate: two SATIS instances on one PostgreSQL behind HAProxy.

Writers log hotline contacts through the load balancer, each with its own Idempotency-Key,
resending a write until it is acknowledged; a killer SIGKILLs one instance at a time and
starts it again. At the end every acknowledged write must be present exactly once (same id as
acknowledged, no extra rows); every answer was a success, a 503 with Retry-After, or an error
of the balancer (502/504 while an instance died) that the writer retried with the same key.
Sign-in throttling must hold across both: wrong passwords through the balancer, which sends
them to both instances in turn, make the account wait after five. Load shedding must hold for
the cluster: a burst of more readers than both instances take at once gets only answers or
503s with Retry-After, and both instances are ready right after it.

Usage: instances.py SATIS_BIN LOG_DIR --database-url URL [--writes N] [--kills K]
                    [--writers W] [--burst-clients C] [--burst-seconds S]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from common import (Server, base_env, free_port, hotline_writer, lost_or_doubled,
                    stored_contacts)


class Balancer:
    """HAProxy in the foreground, round robin over the instances, health-checked on /readyz."""

    def __init__(self, backends: list[str], log: Path, work: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(
            f"    server s{i} {b.removeprefix('http://')} check inter 200ms fall 1 rise 2"
            for i, b in enumerate(backends))
        cfg = work / "haproxy.cfg"
        cfg.write_text(f"""global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A busy instance answers its health check late, not never: one slow check must not take
    # it out (a refused connection still does at once).
    timeout check 2s
    # When no instance can take a request, the balancer's own 503 says when to come back,
    # like the instances' own.
    http-error status 503 content-type "text/plain; charset=utf-8" hdr Retry-After 5 string "Servizio momentaneamente non disponibile: riprovare tra poco. / Service busy: retry shortly."
    retries 3
    option redispatch
    retry-on conn-failure empty-response 503
    option http-buffer-request
frontend satis
    bind 127.0.0.1:{self.port}
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /readyz
{servers}
""")
        self.log = open(log, "a")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2)
                return
            except Exception:
                if self.proc.poll() is not None or time.time() > deadline:
                    sys.exit(f"haproxy did not start; see {log}")
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("satis_bin")
    ap.add_argument("log_dir")
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--writes", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=20261204)
    ap.add_argument("--burst-clients", type=int, default=48)
    ap.add_argument("--burst-seconds", type=float, default=3.0)
    a = ap.parse_args()
    if shutil.which("haproxy") is None:
        sys.exit("haproxy is not installed (scripts/install-deps installs it)")
    random.seed(a.seed)
    logs = Path(a.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="satis-instances-"))
    try:
        return run(a, logs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(a, logs: Path, work: Path) -> int:
    # One data directory (the same key file) and one database for both instances.
    # Each instance takes 8 requests at once, so that the burst below overloads the cluster.
    env = base_env(work, SATIS_LOG="info", DATABASE_URL=a.database_url,
                   SATIS_MAX_IN_FLIGHT=str(IN_FLIGHT))
    tok = hotline_writer(a.satis_bin, env, "Two instances", "instances")
    servers = [Server(a.satis_bin, env, logs / f"instances-server-{i}.log").start()
               for i in range(2)]
    lb = Balancer([s.base for s in servers], logs / "instances-haproxy.log", work)

    problems: list[str] = []
    acked: dict[str, int] = {}
    answers: dict[str, int] = {}
    lock = threading.Lock()
    done = threading.Event()
    kills = 0

    def count(what: str) -> None:
        with lock:
            answers[what] = answers.get(what, 0) + 1

    def post(key: str, body: dict) -> dict | None:
        req = urllib.request.Request(
            f"{lb.base}/api/v1/hotline/contacts", data=json.dumps(body).encode(),
            method="POST", headers={"Authorization": f"Bearer {tok}",
                                    "Content-Type": "application/json",
                                    "Idempotency-Key": key})
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                count(str(r.status))
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            count(str(e.code))
            if e.code == 503 and e.headers.get("Retry-After"):
                return None
            if e.code in (502, 504):
                return None  # the balancer lost an instance mid-request: resend, same key
            with lock:
                problems.append(f"write {key}: unexpected {e.code}: {e.read()[:200]!r}")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            count("connection")
        return None

    def writer(w: int) -> None:
        for i in range(w, a.writes, a.writers):
            key = f"instances-{i:06d}"
            body = {"channel": "phone", "relevance": "pertinent",
                    "started_at": "2026-11-20T10:00:00Z", "duration_minutes": 1 + i % 30,
                    "outcomes": ["listening"]}
            for _ in range(400):
                got = post(key, body)
                if got is not None:
                    with lock:
                        if key in acked and acked[key] != got["id"]:
                            problems.append(f"{key} acknowledged as {acked[key]} then {got['id']}")
                        acked[key] = got["id"]
                    break
                time.sleep(0.05)
            if problems:
                return

    def killer() -> None:
        nonlocal kills
        while not done.is_set() and kills < a.kills:
            time.sleep(random.uniform(0.5, 2.0))
            if done.is_set():
                return
            victim = servers[kills % 2]
            victim.kill()
            kills += 1
            time.sleep(random.uniform(0.2, 1.0))
            victim.start()

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
    time.sleep(1)  # both instances back in the balancer

    stored = stored_contacts(lb.base, tok)
    problems += lost_or_doubled(a.writes, acked, stored)

    throttled = sign_in_throttle(lb.base, satis_user="centralino")
    if throttled is None:
        problems.append("sign-in throttling did not hold across the two instances")

    shed = burst(lb.base, tok, [s.base for s in servers], a.burst_clients, a.burst_seconds)
    problems += shed.pop("problems")

    for s in servers:
        s.stop()
    lb.stop()
    print(f"two instances: {a.writes} acknowledged writes by {a.writers} writers through "
          f"HAProxy, {kills} SIGKILLs of one instance, {elapsed:.0f} s; {len(stored)} stored; "
          f"answers {dict(sorted(answers.items()))}; sign-in held back after {throttled} "
          f"wrong passwords across both instances; burst of {a.burst_clients} clients for "
          f"{a.burst_seconds} s: {shed}")
    if kills == 0:
        problems.append("no instance was ever killed (too few writes for the kill schedule)")
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


IN_FLIGHT = 8


def burst(base: str, bearer: str, instances: list[str], clients: int, seconds: float) -> dict:
    """More clients than the two instances take at once, each reading the contact list
    through the balancer as fast as it answers: every answer must be the list or a 503 with
    `Retry-After` (shed by an instance, and by the other on HAProxy's retry), some must be shed,
    and both instances must answer /readyz at once afterwards."""
    answers: dict[str, int] = {}
    problems: list[str] = []
    lock = threading.Lock()
    stop_at = time.time() + seconds

    def client() -> None:
        while time.time() < stop_at:
            req = urllib.request.Request(
                f"{base}/api/v1/hotline/contacts?from=2026-11-01&to=2026-11-30&limit=500",
                headers={"Authorization": f"Bearer {bearer}"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    r.read()
                    what = str(r.status)
            except urllib.error.HTTPError as e:
                what = str(e.code)
                if e.code == 503 and e.headers.get("Retry-After"):
                    what = "503+Retry-After"
                else:
                    what += f" {e.read()[:60]!r}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
                what = f"connection ({type(e).__name__})"
            with lock:
                answers[what] = answers.get(what, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    odd = {k: v for k, v in answers.items() if k not in ("200", "503+Retry-After")}
    if odd:
        problems.append(f"the burst got answers other than the list or a 503 with Retry-After: {odd}")
    if not answers.get("503+Retry-After"):
        problems.append(f"{clients} clients never overloaded two instances of {IN_FLIGHT}: "
                        "the burst proves nothing")
    for b in instances:
        try:
            with urllib.request.urlopen(f"{b}/readyz", timeout=5) as r:
                if r.status != 200:
                    problems.append(f"{b} not ready after the burst: {r.status}")
        except (urllib.error.URLError, OSError) as e:
            problems.append(f"{b} not ready after the burst: {e}")
    return {"answers": dict(sorted(answers.items())), "problems": problems}


def sign_in_throttle(base: str, satis_user: str) -> int | None:
    """Wrong passwords through the balancer, each from a fresh browser (so that round robin
    spreads them over both instances): after how many the account is held back (429), or
    None when it never is within ten."""
    for attempt in range(1, 11):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{base}/login", timeout=10) as r:
            page = r.read().decode()
        m = re.search(r'name="_csrf" value="([^"]+)"', page)
        if not m:
            sys.exit("no sign-in form token")
        form = urllib.parse.urlencode({"_csrf": m.group(1), "username": satis_user,
                                       "password": "sbagliata-davvero"}).encode()
        req = urllib.request.Request(f"{base}/login", data=form, method="POST",
                                     headers={"Origin": base,
                                              "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with opener.open(req, timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        if status == 429:
            return attempt
        if status != 401:
            sys.exit(f"sign-in attempt {attempt}: unexpected {status}")
    return None


if __name__ == "__main__":
    sys.exit(main())
