// Journeys: a case worker transfers a person to another Tuscan organisation, which sees the
// person's data only after accepting and finds the case opened on its side; and a request from
// the national hotline, recorded and accepted by a project, becomes a case.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
const passwords = {};

before(async () => {
  const dataDir = newDataDir();
  for (const [username, org] of [
    ["mittente", "Associazione Progetto Arcobaleno"],
    ["ricevente", "CAT Coop. sociale Onlus"],
  ]) {
    const out = runSatis(["user", "add", "--username", username, "--name", `${username} Demo`, "--organisation", org, "--role", "case_worker"], dataDir);
    passwords[username] = out.match(/one-time password: (\S+)/)[1];
  }
  satis = await startSatis(["serve"], {}, dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

test("an outbound transfer accepted by another Tuscan organisation", async () => {
  const sender = await watchedPage(browser, satis.base);
  const receiver = await watchedPage(browser, satis.base);
  let page = sender.page;
  await signInAndEnrol(page, satis.base, "mittente", passwords.mittente);
  await page.goto(`${satis.base}/cases/new`);
  await page.getByLabel("Genere").selectOption("female");
  await page.getByLabel("Anno di nascita").fill("2000");
  await page.getByLabel("Nazionalità").fill("NG");
  await page.getByLabel("Lingue").fill("EN");
  await page.getByLabel("Nome e cognome").fill("Joy Transfer");
  await page.getByRole("button", { name: "Apri la presa in carico" }).click();
  await page.waitForURL(/\/cases\/\d+$/);
  const caseUrl = page.url();

  // Without the person's consent to transfer the proposal is refused.
  await page.getByRole("link", { name: "Proponi un trasferimento" }).click();
  assert.ok(await page.locator("#no-consent").isVisible());
  assert.deepEqual(await axeViolations(page), [], "new referral form");
  await page.goto(caseUrl);
  await page.locator("#purpose").selectOption("transfer");
  await page.getByRole("button", { name: "Registra il consenso" }).click();
  await page.waitForURL(caseUrl);

  await page.getByRole("link", { name: "Proponi un trasferimento" }).click();
  await page.getByLabel("Organizzazione della rete", { exact: true }).selectOption({ label: "CAT Coop. sociale Onlus" });
  await page.getByLabel("Motivo").selectOption("safety");
  await page.getByLabel("Accoglienza richiesta").selectOption("shelter");
  await page.getByLabel("Urgenza").selectOption("urgent");
  await page.getByRole("button", { name: "Proponi il trasferimento" }).click();
  await page.waitForURL(/\/referrals\/\d+$/);
  const referralUrl = page.url();
  assert.match(await page.textContent("#referral-status"), /Proposta/);
  assert.match(await page.textContent("#package"), /Joy Transfer/);
  assert.deepEqual(await axeViolations(page), [], "referral page (sender)");

  // The receiving organisation: the request, not the person, until it accepts.
  page = receiver.page;
  await signInAndEnrol(page, satis.base, "ricevente", passwords.ricevente);
  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Messe in rete" }).click();
  await page.waitForURL(`${satis.base}/referrals`);
  assert.match(await page.textContent("#referrals"), /da decidere/);
  assert.deepEqual(await axeViolations(page), [], "referrals desk");
  await page.goto(referralUrl);
  assert.ok(await page.locator("#package-hidden").isVisible());
  assert.doesNotMatch(await page.textContent("main"), /Joy Transfer/);
  await page.getByRole("button", { name: "Accetta" }).click();
  await page.waitForURL(referralUrl);
  assert.match(await page.textContent("#referral-status"), /Accettata/);
  assert.match(await page.textContent("#package"), /Joy Transfer/);
  await page.locator("#own-case").click();
  await page.waitForURL(/\/cases\/\d+$/);
  assert.match(await page.textContent("#identity"), /Joy Transfer/);
  assert.notEqual(page.url(), caseUrl, "a new case, on the receiving side");

  // The sender sees the acceptance, dated, and its case closed as transferred.
  page = sender.page;
  await page.goto(referralUrl);
  assert.match(await page.textContent("#history"), /Accettata[\s\S]*CAT Coop/);
  await page.goto(caseUrl);
  assert.match(await page.textContent("h1"), /Chiusa/);

  for (const s of [sender, receiver]) {
    assert.deepEqual(s.problems, []);
    await s.context.close();
  }
});

test("a request from the national hotline becomes a case", async () => {
  // A colleague at the receiving project, signing in for the first time.
  const out = runSatis(["user", "add", "--username", "accoglienza", "--name", "Accoglienza Demo", "--organisation", "CAT Coop. sociale Onlus", "--role", "case_worker"], satis.dataDir);
  const password = out.match(/one-time password: (\S+)/)[1];
  const fresh = await watchedPage(browser, satis.base);
  await signInAndEnrol(fresh.page, satis.base, "accoglienza", password);
  const p = fresh.page;
  await p.goto(`${satis.base}/referrals`);
  await p.getByLabel("Da chi arriva").selectOption("national_hotline");
  await p.getByLabel("Accoglienza richiesta").selectOption("emergency_shelter");
  await p.getByLabel("Urgenza").selectOption("urgent");
  await p.getByLabel("Consenso al trasferimento dato il").fill("2026-11-20");
  await p.getByLabel(/La persona ha dato il consenso/).check();
  await p.getByLabel("Nome", { exact: true }).fill("Blessing Nazionale");
  await p.getByLabel("Genere", { exact: true }).selectOption("female");
  await p.getByLabel("Nazionalità (codici ISO)").fill("NG");
  await p.getByLabel("Sessuale", { exact: true }).check();
  await p.getByRole("button", { name: "Registra la richiesta" }).click();
  await p.waitForURL(/\/referrals\/\d+$/);
  assert.match(await p.textContent("main"), /Numero Verde nazionale/);
  await p.getByRole("button", { name: "Accetta" }).click();
  await p.locator("#own-case").click();
  await p.waitForURL(/\/cases\/\d+$/);
  assert.match(await p.textContent("#identity"), /Blessing Nazionale/);
  assert.deepEqual(await axeViolations(p), [], "the case opened from the request");
  assert.deepEqual(fresh.problems, []);
  await fresh.context.close();
});
