"""What the gates share: a free port, running `satis` commands, and a served instance."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import json
import time
import urllib.request
from pathlib import Path

# Every scope a token may carry (src/identity/tokens.rs).
SCOPES = [
    "network:read", "network:write", "hotline:read", "hotline:write", "reports:read", "reports:write",
    "outreach:read", "outreach:write", "cases:read", "cases:write", "projects:read",
    "projects:write", "referrals:read", "referrals:write", "stats:read",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(data: str | Path, **extra: str) -> dict:
    env = {"PATH": os.environ.get("PATH", ""), "SATIS_DATA_DIR": str(data), "SATIS_LOG": "warn",
           "SATIS_COOKIE_SECURE": "false"}
    env.update(extra)
    return env


def satis(bin_: str, env: dict, *args: str) -> str:
    """Runs a satis command to completion; exits the gate naming it when it fails."""
    out = subprocess.run([bin_, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"satis {' '.join(args[:2])} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return out.stdout


def demo_accounts(banner: str) -> list[tuple[str, str, str]]:
    """(username, role, organisation) of each account `satis demo` printed."""
    found = []
    for line in banner.splitlines():
        m = re.match(r"^   (\S+)\s+([a-z_]+)\s{2,}(.+)$", line)
        if m:
            found.append((m.group(1), m.group(2), m.group(3).strip()))
    if len(found) < 9:
        sys.exit(f"could not read the demo accounts from:\n{banner}")
    return found


def token(bin_: str, env: dict, user: str, organisation: str, scopes=SCOPES, name="gate") -> str:
    args = ["token", "create", "--organisation", organisation, "--user", user, "--name", name]
    for s in scopes:
        args += ["--scope", s]
    out = satis(bin_, env, *args)
    m = re.search(r"(satis_[A-Za-z0-9_-]+)", out)
    if not m:
        sys.exit(f"no token in: {out}")
    return m.group(1)


def hotline_writer(bin_: str, env: dict, name: str, token_name: str) -> str:
    """A hotline operator of the regional hotline (`centralino`, named `name`) added with
    `satis user add`, and a token of theirs to read and write contacts: what the gates that
    write through the API start from."""
    org = "Numero Verde Regionale"
    satis(bin_, env, "user", "add", "--username", "centralino", "--name", name,
          "--organisation", org, "--role", "hotline_operator")
    return token(bin_, env, "centralino", org, ["hotline:write", "hotline:read"],
                 name=token_name)


class Server:
    """`satis <command>` on a free port, its output appended to `log`; restartable."""

    def __init__(self, bin_: str, env: dict, log: Path, command: str = "serve"):
        self.bin, self.command = bin_, command
        self.env = dict(env)
        self.env.setdefault("SATIS_LISTEN", f"127.0.0.1:{free_port()}")
        self.base = f"http://{self.env['SATIS_LISTEN']}"
        self.log = open(log, "a")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        self.proc = subprocess.Popen([self.bin, self.command], env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2)
                return self
            except Exception:
                if self.proc.poll() is not None or time.time() > deadline:
                    sys.exit(f"satis did not start; see {self.log.name}")
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def post_contact(base: str, bearer: str, key: str, body: dict, timeout: float = 10) -> dict | None:
    """Logs a hotline contact with its Idempotency-Key: the stored contact, or None when it
    must be sent again (503, or the server went away mid-request). Any other answer stops
    the gate."""
    req = urllib.request.Request(
        f"{base}/api/v1/hotline/contacts", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json",
                 "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            if r.status in (200, 201):
                return json.loads(r.read())
    except urllib.error.HTTPError as e:
        if e.code not in (503,):
            sys.exit(f"write {key}: unexpected {e.code}: {e.read()[:300]!r}")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        pass  # the server was killed mid-request: resend
    return None


def stored_contacts(base: str, bearer: str) -> list[int]:
    """The ids of every hotline contact of November 2026 (the gates' writes), page by page."""
    stored: list[int] = []
    while True:
        req = urllib.request.Request(
            f"{base}/api/v1/hotline/contacts?from=2026-11-01&to=2026-11-30"
            f"&limit=500&offset={len(stored)}",
            headers={"Authorization": f"Bearer {bearer}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            page = [c["id"] for c in json.loads(r.read())]
        if not page:
            return stored
        stored += page


def lost_or_doubled(writes: int, acked: dict[str, int], stored: list[int]) -> list[str]:
    """What is wrong when every acknowledged write must be stored exactly once, under the id
    it was acknowledged with, and nothing else."""
    problems = []
    if len(acked) != writes:
        problems.append(f"{writes - len(acked)} writes never acknowledged")
    if len(stored) != len(set(stored)):
        problems.append("an id is listed twice")
    if sorted(stored) != sorted(acked.values()):
        extra = len(set(stored) - set(acked.values()))
        missing = len(set(acked.values()) - set(stored))
        problems.append(f"stored and acknowledged differ: {extra} extra, {missing} missing")
    return problems
