// Load gate: an open-model load test of the hotline operators' mix through the API, then an
// overload burst. Open model: requests are sent on a fixed schedule whatever the server does,
// and each latency is measured from the moment the request was due (no coordinated omission).
//
//   node scripts/gates/load.mjs SATIS_BIN [--rate 100] [--seconds 300] [--burst-rate 1500]
//                               [--case-users 8] [--case-seconds 20]
//
// Mix: 70% reads (the newest page of the last 30 days' contacts, or one contact), 20% updates (outcomes and
// notes with If-Match), 10% creates (a contact with an Idempotency-Key).
// Then a closed model: 8 case workers reading cases through the API (audited reads) as fast
// as the answers come, to measure audited reads a second (issue 23); then the same with the
// HTML case page a case worker opens (signed in with password and second factor; templates,
// every section's queries, the identity's audited read).
// Targets (docs/BENCHMARKS.md): reads p95 <= 150 ms and p99 <= 300 ms, writes p99 <= 500 ms,
// no errors. Beyond capacity: only 2xx or 503 with Retry-After, and the server still healthy.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const bin = args[0];
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RATE = opt("rate", 100);
const SECONDS = opt("seconds", 300);
const BURST_RATE = opt("burst-rate", 1500);
const BURST_SECONDS = opt("burst-seconds", 10);
const MAX_IN_FLIGHT = opt("max-in-flight", 64);

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const data = mkdtempSync(path.join(tmpdir(), "satis-load-"));
const env = { PATH: process.env.PATH, SATIS_DATA_DIR: data, SATIS_LOG: "warn" };
const satis = (...a) => execFileSync(bin, a, { env, encoding: "utf8" });
const banner = satis("demo", "--no-serve");
const demoPassword = banner.match(/password (\S+)/)[1];
const token = satis(
  "token", "create", "--organisation", "CAT Coop. sociale Onlus", "--user", "numeroverde",
  "--name", "load", "--scope", "hotline:read", "--scope", "hotline:write",
).match(/(satis_\S+)/)[1];
const CASE_USERS = opt("case-users", 8);
const CASE_SECONDS = opt("case-seconds", 20);
const caseToken = satis(
  "token", "create", "--organisation", "Associazione Progetto Arcobaleno", "--user", "operatrice",
  "--name", "load-cases", "--scope", "cases:read",
).match(/(satis_\S+)/)[1];
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(bin, ["demo"], {
  env: { ...env, SATIS_LISTEN: `127.0.0.1:${port}`, SATIS_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) },
  stdio: "ignore",
});
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch {}
  if (i > 300) throw new Error("satis did not start");
  await new Promise((r) => setTimeout(r, 100));
}

const auth = { authorization: `Bearer ${token}` };
const today = new Date().toISOString().slice(0, 10);
const monthAgo = new Date(Date.now() - 30 * 86400e3).toISOString().slice(0, 10);
let created = 0;
const etags = new Map(); // contact id -> ETag, for updates
const busy = new Set();

async function create() {
  const n = created++;
  const r = await fetch(`${base}/api/v1/hotline/contacts`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", "idempotency-key": `load-${port}-${n}` },
    body: JSON.stringify({ channel: "phone", relevance: "pertinent", duration_minutes: 1 + (n % 20), outcomes: ["listening"], notes: `chiamata di prova ${n}` }),
  });
  const body = await r.json();
  if (r.ok) etags.set(body.id, `"v${body.version}"`);
  return r;
}

async function read() {
  const ids = [...etags.keys()];
  if (Math.random() < 0.5 || ids.length === 0) {
    const r = await fetch(`${base}/api/v1/hotline/contacts?from=${monthAgo}&to=${today}`, { headers: auth });
    await r.arrayBuffer();
    return r;
  }
  const id = ids[Math.floor(Math.random() * ids.length)];
  const r = await fetch(`${base}/api/v1/hotline/contacts/${id}`, { headers: auth });
  await r.arrayBuffer();
  return r;
}

async function update() {
  const free = [...etags.keys()].filter((id) => !busy.has(id));
  if (free.length === 0) return create();
  const id = free[Math.floor(Math.random() * free.length)];
  busy.add(id);
  try {
    const r = await fetch(`${base}/api/v1/hotline/contacts/${id}`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json", "if-match": etags.get(id) },
      body: JSON.stringify({ outcomes: ["listening", "call_back"], notes: `aggiornata ${Date.now()}` }),
    });
    await r.arrayBuffer();
    if (r.ok) etags.set(id, r.headers.get("etag"));
    return r;
  } finally {
    busy.delete(id);
  }
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Sends `rate` requests a second for `seconds`, on schedule; returns latencies by class. */
async function openModel(rate, seconds, pick, overload = false) {
  const total = rate * seconds;
  const interval = 1000 / rate;
  const start = performance.now() + 50;
  const results = { read: [], write: [], errors: [], statuses: new Map() };
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const kind = pick(i);
    pending.push(
      (kind === "read" ? read() : kind === "update" ? update() : create())
        .then((r) => {
          const ms = performance.now() - due;
          results.statuses.set(r.status, (results.statuses.get(r.status) || 0) + 1);
          if (r.status === 503 && !r.headers.get("retry-after")) results.errors.push("503 without Retry-After");
          if (!r.ok && (r.status !== 503 || !overload)) results.errors.push(`${kind}: ${r.status}`);
          if (r.ok) (kind === "read" ? results.read : results.write).push(ms);
          return r.status;
        })
        .catch((e) => results.errors.push(`${kind}: ${e.cause?.code || e.message}`)),
    );
  }
  await Promise.all(pending);
  results.elapsed = (performance.now() - start) / 1000;
  return results;
}

// A few contacts to read and update from the start.
for (let i = 0; i < 50; i++) await create();

const mix = (i) => {
  const x = (i * 7919) % 100; // deterministic spread: 70 reads, 20 updates, 10 creates per 100
  return x < 70 ? "read" : x < 90 ? "update" : "create";
};
const steady = await openModel(RATE, SECONDS, mix);
const r = steady.read.sort((a, b) => a - b);
const w = steady.write.sort((a, b) => a - b);
const f = (x) => x.toFixed(1);
const report = {
  rate: RATE,
  seconds: SECONDS,
  requests: r.length + w.length + steady.errors.length,
  reads: { n: r.length, p50: f(pct(r, 50)), p95: f(pct(r, 95)), p99: f(pct(r, 99)), max: f(r.at(-1)) },
  writes: { n: w.length, p50: f(pct(w, 50)), p95: f(pct(w, 95)), p99: f(pct(w, 99)), max: f(w.at(-1)) },
  errors: steady.errors.length,
  statuses: Object.fromEntries(steady.statuses),
};
console.log(JSON.stringify({ steady: report }, null, 1));

// Beyond capacity: a burst far above what two cores serve.
const burst = await openModel(BURST_RATE, BURST_SECONDS, mix, true);
const health = await fetch(`${base}/healthz`).then((x) => x.status).catch(() => 0);
const after = await read().then((x) => x.status).catch(() => 0);
const overload = {
  rate: BURST_RATE,
  seconds: BURST_SECONDS,
  statuses: Object.fromEntries(burst.statuses),
  problems: [...new Set(burst.errors)].slice(0, 5),
  problem_count: burst.errors.length,
  healthz_after: health,
  read_after: after,
  server_alive: server.exitCode === null,
};
console.log(JSON.stringify({ overload }, null, 1));

// Closed model: CASE_USERS case workers each reading a case (an audited read: the entry is
// durable before the answer) as soon as the previous answer arrived, for CASE_SECONDS.
let caseReads = null;
let casePages = null;
if (CASE_USERS > 0) {
  const cauth = { authorization: `Bearer ${caseToken}` };
  const list = await fetch(`${base}/api/v1/cases`, { headers: cauth }).then((x) => x.json());
  const ids = (Array.isArray(list) ? list : list.items || list.data || []).map((c) => c.id);
  const lat = [];
  const bad = [];
  const until = performance.now() + CASE_SECONDS * 1000;
  const user = async (u) => {
    let k = u;
    while (performance.now() < until) {
      const id = ids[k++ % ids.length];
      const t = performance.now();
      const r = await fetch(`${base}/api/v1/cases/${id}`, { headers: cauth });
      await r.arrayBuffer();
      if (r.ok) lat.push(performance.now() - t);
      else bad.push(r.status);
    }
  };
  if (ids.length === 0) {
    bad.push("no case to read");
  } else {
    await Promise.all([...Array(CASE_USERS).keys()].map(user));
  }
  caseReads = closedSummary(lat, bad);
  console.log(JSON.stringify({ case_reads: caseReads }, null, 1));

  // The case page in the browser: one signed-in case worker's session, CASE_USERS pages
  // open at once (a second factor code is used once, so one sign-in serves every reader).
  const cookie = await signIn("operatrice");
  const plat = [];
  const pbad = [];
  const puntil = performance.now() + CASE_SECONDS * 1000;
  const reader = async (u) => {
    let k = u;
    while (performance.now() < puntil) {
      const id = ids[k++ % ids.length];
      const t = performance.now();
      const r = await fetch(`${base}/cases/${id}`, { headers: { cookie }, redirect: "manual" });
      const html = await r.text();
      if (r.status === 200 && html.includes("<main")) plat.push(performance.now() - t);
      else pbad.push(r.status);
    }
  };
  if (ids.length > 0) await Promise.all([...Array(CASE_USERS).keys()].map(reader));
  casePages = closedSummary(plat, pbad);
  console.log(JSON.stringify({ case_pages: casePages }, null, 1));
}

function closedSummary(lat, bad) {
  lat.sort((a, b) => a - b);
  return {
    users: CASE_USERS,
    seconds: CASE_SECONDS,
    reads: lat.length,
    per_second: f(lat.length / CASE_SECONDS),
    p50: f(pct(lat, 50)),
    p99: f(pct(lat, 99)),
    errors: bad.length,
    first_errors: [...new Set(bad)].slice(0, 3),
  };
}

/** Signs in to the demonstration as `username` with the form a person uses (password, then
 * the second factor the demonstration shows); returns the Cookie header of the session. */
async function signIn(username) {
  const jar = new Map();
  const keep = (r) => {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const get = async (url) => {
    const r = await fetch(url, { headers: { cookie: cookie() }, redirect: "manual" });
    keep(r);
    return r.text();
  };
  const post = async (url, fields) => {
    const r = await fetch(url, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: cookie(),
        origin: base,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(fields),
    });
    keep(r);
    return r;
  };
  const csrf = (page) => page.match(/name="_csrf" value="([^"]+)"/)[1];
  let page = await get(`${base}/login`);
  await post(`${base}/login`, { _csrf: csrf(page), username, password: demoPassword });
  page = await get(`${base}/login/mfa`);
  const code = page.match(/demo-hint[^]*?(\d{6})/)[1];
  const pending = (page.match(/name="pending" value="([^"]*)"/) || [])[1] || "";
  const r = await post(`${base}/login/mfa`, { _csrf: csrf(page), code, pending });
  if (r.status !== 303) throw new Error(`signing in as ${username}: ${r.status}`);
  return cookie();
}
server.kill("SIGTERM");
rmSync(data, { recursive: true, force: true });

const failures = [];
if (Number(report.reads.p95) > 150) failures.push(`reads p95 ${report.reads.p95} ms > 150`);
if (Number(report.reads.p99) > 300) failures.push(`reads p99 ${report.reads.p99} ms > 300`);
if (Number(report.writes.p99) > 500) failures.push(`writes p99 ${report.writes.p99} ms > 500`);
if (report.errors > 0) failures.push(`${report.errors} errors: ${[...new Set(steady.errors)].slice(0, 3)}`);
if (!overload.server_alive || health !== 200 || after !== 200) failures.push("the server did not survive the burst");
if (overload.problem_count > 0) failures.push(`overload answered other than 2xx/503+Retry-After: ${overload.problems}`);
if (caseReads && caseReads.errors > 0) failures.push(`${caseReads.errors} case reads failed`);
if (casePages && casePages.errors > 0) failures.push(`${casePages.errors} case pages failed: ${casePages.first_errors}`);
for (const x of failures) console.error(`FAIL: ${x}`);
process.exit(failures.length ? 1 : 0);
