// Journey: a newcomer follows what `satis demo` prints. The receipt on screen opens an invented
// report's thread on the public site; the hotline account finds the demo's triage queue,
// registers that report as a contact, and a report triaged meanwhile in another tab is refused
// with a clear message instead of becoming a second contact.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, signInDemo, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;

before(async () => {
  satis = await startSatis(["demo"]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

test("the demo's receipt opens a thread, and the hotline triages the demo queue once", async () => {
  const receipt = satis.output().match(/the receipt (\S+) opens/)?.[1];
  assert.ok(receipt, `the banner prints a receipt:\n${satis.output()}`);

  // The reporter's side: the receipt opens the invented report's conversation.
  const reporter = await watchedPage(browser, satis.base);
  await reporter.page.goto(`${satis.base}/segnala/ricevuta`);
  await reporter.page.locator("#receipt-input").fill(receipt);
  await reporter.page.locator("form[method=post] button[type=submit]").click();
  const thread = await reporter.page.textContent("main");
  assert.match(thread, /ci sono minorenni/);
  assert.match(thread, /sembrano tutti adulti/);
  assert.deepEqual(await axeViolations(reporter.page), [], "thread of the demo report");
  assert.deepEqual(reporter.problems, []);

  // The hotline's side.
  const staff = await watchedPage(browser, satis.base);
  await signInDemo(staff.page, satis, "numeroverde");
  await staff.page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Segnalazioni" }).click();
  const rows = staff.page.locator("main table tbody tr");
  // The queue opens on what is still to triage; the filter shows every state.
  assert.equal(await rows.count(), 3, "the demo's three reports to triage are in the queue");
  assert.equal(await rows.filter({ hasText: "Nuova" }).count(), 3);
  assert.deepEqual(await axeViolations(staff.page), [], "demo triage queue");
  await staff.page.getByLabel("Stato").selectOption("all");
  await staff.page.getByRole("button", { name: "Filtra" }).click();
  assert.equal(await rows.count(), 4, "all four with the filter");
  assert.equal(await rows.filter({ hasText: "Doppione" }).count(), 1);

  // Two tabs on the same report: the first triages it, the second is told.
  const other = await staff.context.newPage();
  await other.goto(`${satis.base}/reports/2`);
  await staff.page.getByRole("link", { name: "2", exact: true }).click();
  await staff.page.getByRole("button", { name: "Non pertinente" }).click();
  assert.match(await staff.page.textContent("h1"), /Non pertinente/);
  const [answer] = await Promise.all([
    other.waitForResponse((r) => r.url().endsWith("/reports/2/triage")),
    other.getByRole("button", { name: "Registra come contatto del Numero Verde" }).click(),
  ]);
  assert.equal(answer.status(), 409);
  assert.match(await other.textContent("#form-error"), /già stata smistata/);
  assert.deepEqual(await axeViolations(other), [], "a report triaged meanwhile");
  await other.close();

  // The report the receipt opened becomes a contact of the hotline.
  await staff.page.goto(`${satis.base}/reports/1`);
  assert.match(await staff.page.textContent("#report-what"), /capannone/);
  await staff.page.getByRole("button", { name: "Registra come contatto del Numero Verde" }).click();
  assert.match(await staff.page.textContent("h1"), /Registrata come contatto/);
  await staff.page.locator("a[href^='/hotline/contacts/']").click();
  assert.match(await staff.page.textContent("main"), /Segnalazione dal sito/);
  await staff.page.goto(`${satis.base}/hotline`);
  assert.deepEqual(await axeViolations(staff.page), [], "hotline desk after triage");
  assert.deepEqual(staff.problems, []);
});
