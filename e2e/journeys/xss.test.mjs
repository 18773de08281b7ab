// Gate: stored cross-site scripting. A corpus of payloads goes in through the public report
// form (every free-text field) and through the API into the hotline's and the street units'
// free-text fields; then every staff view that shows them is opened in Chromium. No payload may
// run (no dialog, no flag set), no Content-Security-Policy violation may be reported (escaping
// must stop the attempt before the policy has to), and no request may leave for another origin.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newDataDir, runSatis, signInDemo, startSatis, watchedPage } from "../lib/harness.mjs";

const PAYLOADS = [
  `<script>window.__xss=1</script>`,
  `"><img src=x onerror="window.__xss=1">`,
  `'><svg onload=window.__xss=1>`,
  `javascript:window.__xss=1`,
  `<a href="javascript:window.__xss=1" id="xss-link">x</a>`,
  `</textarea></title><script>window.__xss=1</script>`,
  `<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>`,
  `<details open ontoggle=window.__xss=1>`,
  `<img src="http://attacker.invalid/pixel.png">`,
  `{{7*7}} \${7*7} <%= 7*7 %>`,
  `<style>@import 'http://attacker.invalid/x.css';</style>`,
  `"onmouseover="window.__xss=1" autofocus onfocus="window.__xss=1`,
];

let satis;
let browser;
const tokens = {};

before(async () => {
  const dataDir = newDataDir();
  runSatis(["demo", "--no-serve"], dataDir);
  for (const [user, org, scopes] of [
    ["numeroverde", "CAT Coop. sociale Onlus", ["hotline:write", "reports:read"]],
    ["strada", "Associazione Progetto Arcobaleno", ["outreach:write", "network:read"]],
  ]) {
    const args = ["token", "create", "--organisation", org, "--user", user, "--name", "xss-gate"];
    for (const s of scopes) args.push("--scope", s);
    tokens[user] = runSatis(args, dataDir).match(/(satis_\S+)/)[1];
  }
  satis = await startSatis(["demo"], {}, dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

async function api(user, method, path, body) {
  const r = await fetch(`${satis.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[user]}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** A page that flags any script a payload manages to run, and any policy violation. */
async function trapPage() {
  const watched = await watchedPage(browser, satis.base);
  await watched.context.addInitScript(() => {
    window.__xss = 0;
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  watched.page.on("dialog", (d) => {
    watched.problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  return watched;
}

async function assertInert(watched, what) {
  const { page } = watched;
  // Give event-handler payloads (onerror, ontoggle, onfocus) their chance to fire.
  await page.mouse.move(10, 10);
  await page.mouse.move(400, 300);
  await page.waitForTimeout(150);
  const [xss, csp] = await page.evaluate(() => [window.__xss, window.__csp]);
  assert.equal(xss, 0, `${what}: a payload ran`);
  assert.deepEqual(csp, [], `${what}: Content-Security-Policy violations`);
  assert.equal(await page.locator("#xss-link").count(), 0, `${what}: a payload became markup`);
}

test("stored payloads stay text in every staff view", async () => {
  // The trap can fail: on a page without escaping or policy, a payload runs and is caught.
  const control = await trapPage();
  await control.page.setContent(`<svg onload="window.__xss=1"></svg>`);
  assert.equal(await control.page.evaluate(() => window.__xss), 1, "the trap catches a payload that runs");
  await control.context.close();

  // Through the public form, every free-text field.
  const reporter = await trapPage();
  for (const p of PAYLOADS) {
    await reporter.page.goto(`${satis.base}/segnala`);
    await reporter.page.locator("#what").fill(`Segnalazione di prova: ${p}`);
    await reporter.page.locator("#place").fill(p);
    await reporter.page.locator("#since").fill(p);
    await reporter.page.locator("#gender").fill(p);
    await reporter.page.locator("#anonymous-no").check();
    await reporter.page.locator("#contact").fill(p);
    await reporter.page.locator("form[method=post] button[type=submit]").click();
    await reporter.page.waitForSelector("#receipt");
    await assertInert(reporter, "receipt page");
  }

  // A report and a call carrying the PII canaries: they may live only encrypted (or, for the
  // phone number, as a keyed hash); scripts/gates/pii_scan.py looks for them in every log.
  await reporter.page.goto(`${satis.base}/segnala`);
  await reporter.page.locator("#what").fill("Zyxcanary Quellvorname lavora senza paga in un capannone.");
  await reporter.page.locator("#anonymous-no").check();
  await reporter.page.locator("#contact").fill("Zyxcanary Quellvorname, +39 333 987 6543");
  await reporter.page.locator("form[method=post] button[type=submit]").click();
  await reporter.page.waitForSelector("#receipt");

  // Through the API, the hotline's and the street unit's free text.
  const contacts = [];
  await api("numeroverde", "POST", "/hotline/contacts", {
    channel: "phone",
    relevance: "pertinent",
    phone: "+39 333 987 6543",
    notes: "Zyxcanary Quellvorname chiede aiuto",
  });
  for (const p of PAYLOADS) {
    const c = await api("numeroverde", "POST", "/hotline/contacts", {
      channel: "phone",
      relevance: "pertinent",
      caller_ref: p.slice(0, 40),
      municipality: p.slice(0, 100),
      notes: p,
    });
    contacts.push(c.id);
  }
  const orgs = await api("strada", "GET", "/organisations");
  const mine = orgs.find((o) => o.name === "Associazione Progetto Arcobaleno").id;
  const unit = (await api("strada", "GET", "/services")).find((s) => s.organisation_id === mine && s.kind === "street_unit" && s.active);
  assert.ok(unit, "the demo unit");
  const outings = [];
  for (const p of PAYLOADS) {
    const o = await api("strada", "POST", "/outreach/outings", {
      service_id: unit.id,
      started_at: "2026-11-20T20:00:00Z",
      ended_at: "2026-11-20T23:00:00Z",
      area: p.slice(0, 200),
      team: p,
      mediators: p,
      people_met: 1,
      gender: { female: 1 },
      age_band: { unknown: 1 },
      status: { new: 1 },
      notes: p,
    });
    outings.push(o.id);
  }

  // Every staff view that shows them.
  const hotline = await trapPage();
  await signInDemo(hotline.page, satis, "numeroverde");
  const views = ["/reports", "/hotline", "/hotline/report"];
  const reports = await api("numeroverde", "GET", "/reports");
  for (const r of reports) views.push(`/reports/${r.id}`);
  for (const id of contacts) views.push(`/hotline/contacts/${id}`);
  for (const v of views) {
    await hotline.page.goto(`${satis.base}${v}`);
    await assertInert(hotline, v);
  }
  // The payload is shown as the text it is.
  await hotline.page.goto(`${satis.base}/hotline/contacts/${contacts[0]}`);
  assert.match(await hotline.page.textContent("main"), /<script>window.__xss=1<\/script>/);

  const street = await trapPage();
  await signInDemo(street.page, satis, "strada");
  const streetViews = ["/outreach", "/outreach/report?from=2026-11-01&to=2026-11-30"];
  for (const id of outings) streetViews.push(`/outreach/outings/${id}`);
  for (const v of streetViews) {
    await street.page.goto(`${satis.base}${v}`);
    await assertInert(street, v);
  }

  for (const w of [reporter, hotline, street]) {
    assert.deepEqual(w.problems, []);
    await w.context.close();
  }
});
