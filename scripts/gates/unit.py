#!/usr/bin/env python3
"""Runs SATIS the way packaging/satis.service does, on a machine where systemd is not PID 1.

`systemd-analyze verify` (scripts/check-packaging) proves the unit parses; this proves SATIS
*works* inside the confinement the unit asks for, which is where a hardened service usually
breaks on its first real start (a file it wants to write outside its data directory, a home
directory it expects, a capability it needs). The directives are read from the unit itself and
applied with the kernel's own tools, in a private mount namespace:

  ProtectSystem=strict  every mount read-only (`mount -o remount,bind,ro`)
  ReadWritePaths=       bound again read-write, and nothing else
  PrivateTmp=yes        an empty tmpfs on /tmp and /var/tmp
  ProtectHome=yes       an empty read-only tmpfs on /home, /root and /run/user
  User=, Group=         an unused uid/gid with no passwd entry (`setpriv`), no supplementary
                        groups
  NoNewPrivileges=yes   `setpriv --no-new-privs`
  CapabilityBoundingSet= / AmbientCapabilities=   empty (`setpriv --bounding-set -all`)
  UMask=, WorkingDirectory=, Environment=, StateDirectory(Mode)=, TimeoutStopSec=

The unit's absolute paths are rooted at /mnt inside the namespace (a scratch directory bound
there), so nothing outside the scratch directory is touched. The system-call filter,
MemoryDenyWriteExecute and the other Protect*/Restrict* directives need systemd itself; they
are checked by `systemd-analyze verify` only.

What is checked, as an administrator installs it (the unit's header):
  1. the confinement holds (writes outside the data directory fail, no capability, no new
     privileges, /tmp private, homes hidden);
  2. `satis user add` and `satis token create` as the service user;
  3. the ExecStart line serves: /healthz, /readyz, /login, /metrics on its own listener;
  4. an acknowledged write (a hotline contact through the API) and its reading;
  5. every file SATIS created is the service user's and closed to others (UMask, mode 0700);
  6. SIGTERM stops it within TimeoutStopSec with exit status 0 (Restart=on-failure stays
     quiet), and a second start finds the write;
  7. `satis backup` to an age recipient and `satis audit verify` as the service user.

Needs root (mount namespaces, setpriv); elsewhere it says so and checks nothing.

Usage: unit.py SATIS_BIN LOG_DIR
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port  # noqa: E402

ROOT = "/mnt"
UNIT = Path(__file__).resolve().parents[2] / "packaging" / "satis.service"
# A uid/gid no account uses: the service must not need a passwd entry or a home.
UID = GID = 61_737
CANARY = "Zyxcanary Quellvorname"


def service_section(path: Path) -> dict[str, list[str]]:
    """The [Service] directives, each with every value it was given, in order."""
    out: dict[str, list[str]] = {}
    section = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service" and "=" in line:
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def one(svc: dict[str, list[str]], key: str) -> str:
    if key not in svc:
        sys.exit(f"packaging/satis.service has no {key}=")
    return svc[key][-1]


def rooted(path: str) -> str:
    """A unit path as seen inside the namespace."""
    return ROOT + path if path.startswith("/") else path


def seconds(value: str) -> float:
    m = re.fullmatch(r"(\d+)\s*(s|sec|min)?", value)
    if not m:
        sys.exit(f"unreadable duration {value!r}")
    return float(m.group(1)) * (60 if m.group(2) == "min" else 1)


class Sandbox:
    def __init__(self, svc: dict[str, list[str]], scratch: Path):
        self.svc, self.scratch = svc, scratch
        yes = lambda k: svc.get(k, ["no"])[-1] in ("yes", "true", "strict", "full")  # noqa: E731
        for key in ("ProtectSystem", "PrivateTmp", "ProtectHome", "NoNewPrivileges"):
            if not yes(key):
                sys.exit(f"packaging/satis.service: {key}= is no longer set; this check assumes it")
        if one(svc, "ProtectSystem") != "strict":
            sys.exit("packaging/satis.service: ProtectSystem= is not strict")
        if svc.get("CapabilityBoundingSet", ["x"])[-1] != "":
            sys.exit("packaging/satis.service: CapabilityBoundingSet= is not empty")
        self.rw = [rooted(p) for v in svc.get("ReadWritePaths", []) for p in v.split()]
        self.workdir = rooted(one(svc, "WorkingDirectory"))
        self.umask = one(svc, "UMask")
        self.env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        for value in svc.get("Environment", []):
            for pair in shlex.split(value):
                k, v = pair.split("=", 1)
                self.env[k] = rooted(v)

    def argv(self, command: list[str]) -> list[str]:
        rw = " ".join(shlex.quote(p) for p in self.rw)
        script = f"""
set -eu
mount --bind {shlex.quote(str(self.scratch))} {ROOT}
# ProtectSystem=strict
awk '{{print $5}}' /proc/self/mountinfo | sort -u | while read -r mp; do
  case "$mp" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue;; esac
  mount -o remount,bind,ro "$mp" 2>/dev/null || true
done
# ReadWritePaths=
for p in {rw}; do mount --bind "$p" "$p"; mount -o remount,bind,rw "$p"; done
# PrivateTmp=yes
for d in /tmp /var/tmp; do [ -d "$d" ] && mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d"; done
# ProtectHome=yes
for d in /home /root /run/user; do [ -d "$d" ] && mount -t tmpfs -o ro,mode=0755 tmpfs "$d"; done
cd {shlex.quote(self.workdir)}
umask {shlex.quote(self.umask)}
exec setpriv --reuid={UID} --regid={GID} --clear-groups --no-new-privs \
  --inh-caps=-all --bounding-set=-all -- "$@"
"""
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script,
                "sandbox", *command]

    def run(self, command: list[str], what: str) -> str:
        out = subprocess.run(self.argv(command), env=self.env, capture_output=True, text=True,
                             timeout=300)
        if out.returncode != 0:
            sys.exit(f"{what} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
        return out.stdout


def fetch(url: str, token: str | None = None, body: dict | None = None,
          headers: dict | None = None) -> tuple[int, bytes]:
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=h, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bin_src, logs = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    logs.mkdir(parents=True, exist_ok=True)
    missing = [t for t in ("unshare", "setpriv", "mount", "awk") if not shutil.which(t)]
    if os.geteuid() != 0 or missing:
        print("the unit's confinement is not exercised here (needs root and "
              f"unshare/setpriv; missing: {missing or 'root'})")
        return 0
    svc = service_section(UNIT)
    scratch = Path(tempfile.mkdtemp(prefix="satis-unit-"))
    try:
        return exercise(svc, scratch, bin_src, logs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def exercise(svc: dict[str, list[str]], scratch: Path, bin_src: Path, logs: Path) -> int:
    scratch.chmod(0o755)
    box = Sandbox(svc, scratch)
    exec_start = shlex.split(one(svc, "ExecStart"))
    binary, config = exec_start[0], exec_start[exec_start.index("--config") + 1]
    # The install commands of the unit's header, rooted in the scratch directory.
    installed = Path(scratch / binary.lstrip("/"))
    installed.parent.mkdir(parents=True)
    shutil.copy2(bin_src, installed)
    installed.chmod(0o755)
    port, metrics_port = free_port(), free_port()
    conf = Path(scratch / config.lstrip("/"))
    conf.parent.mkdir(parents=True)
    conf.write_text(f'listen = "127.0.0.1:{port}"\nmetrics_listen = "127.0.0.1:{metrics_port}"\n'
                    "cookie_secure = false\n", encoding="utf-8")
    os.chown(conf.parent, 0, GID)
    conf.parent.chmod(0o750)
    os.chown(conf, 0, GID)
    conf.chmod(0o640)
    state = Path(scratch / "var/lib" / one(svc, "StateDirectory"))
    state.mkdir(parents=True)
    os.chown(state, UID, GID)
    state.chmod(int(one(svc, "StateDirectoryMode"), 8))
    data = rooted(f"/var/lib/{one(svc, 'StateDirectory')}")
    if data not in box.rw:
        sys.exit(f"the state directory {data} is not among ReadWritePaths {box.rw}")
    sat = [rooted(binary), "--config", rooted(config)]
    serve = [rooted(t) for t in exec_start]

    # 1. The confinement holds.
    probe = box.run(["sh", "-c", f"""
( : > {data}/.probe ) && rm {data}/.probe && echo "data writable"
( : > /tmp/.probe ) && echo "tmp writable"
echo "tmp entries $(ls -A /tmp | wc -l)"
n=0; for d in /root /home; do [ -d "$d" ] && n=$((n + $(ls -A "$d" | wc -l))); done
echo "home entries $n"
grep -E '^(CapEff|CapBnd|NoNewPrivs|Uid):' /proc/self/status
sed 's/^/mount /' /proc/self/mountinfo
"""], "the confinement probe")
    problems = writable_mounts(probe, box.rw)
    for want in ("data writable", "tmp writable", "tmp entries 1", "home entries 0",
                 "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1"):
        if want not in probe:
            problems.append(f"expected {want!r}")
    if f"Uid:\t{UID}" not in probe:
        problems.append("not running as the service user")
    if problems:
        sys.exit("the unit's confinement does not hold: " + "; ".join(problems) + f"\n{probe}")
    print("confinement: read-only system, data directory writable, private /tmp, homes hidden,"
          " no capability, no new privileges, unprivileged user")

    # 2. The first accounts, as the service user.
    box.run(sat + ["user", "add", "--username", "amministratrice", "--name", "Prima",
                   "--organisation", "Regione Toscana", "--role", "administrator"], "user add")
    box.run(sat + ["user", "add", "--username", "centralino", "--name", "Turno",
                   "--organisation", "Numero Verde Regionale", "--role", "hotline_operator"],
            "user add")
    out = box.run(sat + ["token", "create", "--organisation", "Numero Verde Regionale",
                         "--user", "centralino", "--name", "unit", "--scope", "hotline:write",
                         "--scope", "hotline:read"], "token create")
    m = re.search(r"(satis_[A-Za-z0-9_-]+)", out)
    if not m:
        sys.exit(f"no token in: {out}")
    token = m.group(1)

    base = f"http://127.0.0.1:{port}"
    stop_within = seconds(one(svc, "TimeoutStopSec"))
    log = open(logs / "unit-server.log", "a")

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(box.argv(serve), env=box.env, stdout=log,
                                stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while not ready(base):
            if proc.poll() is not None or time.time() > deadline:
                sys.exit(f"the unit's ExecStart did not become ready; see {logs}/unit-server.log")
            time.sleep(0.1)
        return proc

    def stop(proc: subprocess.Popen) -> None:
        began = time.time()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=stop_within)
        except subprocess.TimeoutExpired:
            proc.kill()
            sys.exit(f"SIGTERM did not stop SATIS within TimeoutStopSec ({stop_within:.0f} s)")
        if code != 0:
            sys.exit(f"SATIS exited with status {code} on SIGTERM (Restart=on-failure would"
                     " restart it)")
        print(f"SIGTERM: stopped in {time.time() - began:.1f} s with status 0")

    # 3. It serves.
    proc = start()
    try:
        for path, want in (("/healthz", 200), ("/readyz", 200), ("/login", 200)):
            code, _ = fetch(base + path)
            if code != want:
                sys.exit(f"GET {path}: {code}, expected {want}")
        code, body = fetch(f"http://127.0.0.1:{metrics_port}/metrics")
        if code != 200 or b"satis_" not in body:
            sys.exit(f"GET /metrics on the metrics listener: {code}")
        # 4. An acknowledged write.
        code, body = fetch(f"{base}/api/v1/hotline/contacts", token,
                           {"channel": "phone", "relevance": "pertinent",
                            "started_at": "2026-11-20T10:00:00Z", "duration_minutes": 4,
                            "outcomes": ["listening"], "notes": f"{CANARY} prova del servizio"},
                           {"Idempotency-Key": "unit-1"})
        if code != 201:
            sys.exit(f"writing a contact: {code} {body[:200]!r}")
        contact = json.loads(body)["id"]
        print("served: /healthz, /readyz, /login, /metrics; a contact written through the API")
    finally:
        stop(proc)

    # 5. What SATIS created belongs to the service user and is closed to everyone else.
    loose = []
    for path in [state, *state.rglob("*")]:
        st = path.lstat()
        if st.st_uid != UID:
            loose.append(f"{path.relative_to(scratch)} owned by {st.st_uid}")
        if stat.S_IMODE(st.st_mode) & 0o077:
            loose.append(f"{path.relative_to(scratch)} mode {stat.S_IMODE(st.st_mode):o}")
    if loose:
        sys.exit("files in the data directory are open to others: " + "; ".join(loose))
    made = sorted(p.name for p in state.iterdir())
    print(f"data directory: {', '.join(made)} — the service user's only")

    # 6. A second start finds the write.
    proc = start()
    try:
        code, _ = fetch(f"{base}/api/v1/hotline/contacts/{contact}", token)
        if code != 200:
            sys.exit(f"after a restart, contact {contact}: {code}")
        print("restarted: the contact is there")
    finally:
        stop(proc)

    # 7. Backups and the audit trail, as the service user.
    box.run(sat + ["keys", "backup-identity", "--to", f"{data}/backup-identity.txt"],
            "keys backup-identity")
    ident = (state / "backup-identity.txt").read_text(encoding="utf-8")
    recipient = re.search(r"(age1[0-9a-z]+)", ident)
    if not recipient:
        sys.exit("no age recipient in the backup identity")
    box.run(sat + ["backup", "--to", f"{data}/backup.age", "--recipient", recipient.group(1)],
            "backup")
    if not (state / "backup.age").read_bytes().startswith(b"age-encryption.org/"):
        sys.exit("the backup is not an age file")
    box.run(sat + ["audit", "verify"], "audit verify")
    print("backup written (age), audit trail verified, as the service user")
    log.close()
    return 0


def writable_mounts(probe: str, rw: list[str]) -> list[str]:
    """Mounts the service sees writable beyond its ReadWritePaths, its private /tmp and the
    kernel's own file systems (which systemd's ProtectSystem=strict leaves to other
    directives)."""
    allowed = (*rw, "/tmp", "/var/tmp")
    found = []
    for line in probe.splitlines():
        if not line.startswith("mount "):
            continue
        fields = line.split()
        point, options = fields[5], fields[6].split(",")
        if point.startswith(("/proc", "/sys", "/dev")) or point in allowed:
            continue
        if "rw" in options:
            found.append(f"{point} is writable")
    return found


def ready(base: str) -> bool:
    try:
        return fetch(f"{base}/readyz")[0] == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
