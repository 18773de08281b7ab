// Journey: a case worker records two permits about to expire; her desk lists them under
// "Da fare"; she snoozes one with a reason (a day already past is refused beside the field)
// and hands the other over to a colleague, who finds it on her own list saying who passed it;
// she asks for a daily e-mail (a mistyped address refused, kept in the field); the territorial
// coordinator sees both on the team view, with the reason and the colleague.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
const passwords = {};
const ORG = "Associazione Progetto Arcobaleno";

before(async () => {
  const dataDir = newDataDir();
  for (const [username, role] of [
    ["anna", "case_worker"],
    ["bruna", "case_worker"],
    ["coordina", "territorial_coordinator"],
  ]) {
    const out = runSatis(["user", "add", "--username", username, "--name", `${username} Demo`, "--organisation", ORG, "--role", role], dataDir);
    passwords[username] = out.match(/one-time password: (\S+)/)[1];
  }
  satis = await startSatis(["serve"], {}, dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

async function signOut(page) {
  await page.getByRole("button", { name: "Esci" }).first().click();
  await page.waitForURL(/\/login\?done=logout/);
}

function romeDay(offsetDays) {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Rome" }).format(new Date(Date.now() + offsetDays * 86_400_000));
}

test("due permits are snoozed with a reason and handed over, and the coordinator sees the team", async () => {
  const { page, problems } = await watchedPage(browser, satis.base);
  await signInAndEnrol(page, satis.base, "anna", passwords.anna);
  for (const [name, days] of [["Prima Persona", 10], ["Seconda Persona", 20]]) {
    await page.goto(`${satis.base}/cases`);
    await page.getByRole("link", { name: "Nuova persona e presa in carico" }).click();
    await page.getByLabel("Genere").selectOption("female");
    await page.getByLabel("Nome e cognome").fill(name);
    await page.getByRole("button", { name: "Apri la presa in carico" }).click();
    await page.waitForURL(/\/cases\/\d+$/);
    await page.getByLabel("Tipo", { exact: true }).first().selectOption("art18_social");
    await page.locator("#permit-status").selectOption("issued");
    await page.locator("#issued_on").fill(romeDay(-150));
    await page.locator("#permit-expires").fill(romeDay(days));
    await page.getByRole("button", { name: "Registra il permesso" }).click();
    await page.waitForURL(/\/cases\/\d+/);
  }

  // The desk lists both; the list opens from the navigation.
  await page.goto(`${satis.base}/`);
  assert.match(await page.textContent("#due"), /Permesso in scadenza a breve/);
  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Da fare" }).click();
  await page.waitForURL(`${satis.base}/reminders`);
  const items = page.locator("ol.inbox > li");
  assert.equal(await items.count(), 2);
  assert.deepEqual(await axeViolations(page), [], "to-do list");

  // A snooze to a day already past is refused beside its field; with a good day it goes.
  const first = items.first();
  await first.locator("summary").click();
  await first.getByLabel("Rimanda fino al").evaluate((el) => el.removeAttribute("min"));
  await first.getByLabel("Rimanda fino al").fill(romeDay(-1));
  await first.getByLabel("Motivo").fill("Rinnovo chiesto in questura, attendo la ricevuta");
  await first.getByRole("button", { name: "Rimanda" }).click();
  assert.match(await page.textContent("#form-problems"), /a partire da domani/);
  const refused = page.locator("ol.inbox > li").first();
  assert.equal(await refused.getByLabel("Motivo").inputValue(), "Rinnovo chiesto in questura, attendo la ricevuta");
  assert.deepEqual(await axeViolations(page), [], "refused snooze");
  await refused.getByLabel("Rimanda fino al").fill(romeDay(5));
  await refused.getByRole("button", { name: "Rimanda" }).click();
  await page.waitForURL(`${satis.base}/reminders`);
  assert.equal(await items.count(), 1);

  // The other goes to a colleague.
  const second = items.first();
  await second.locator("summary").click();
  await second.getByLabel("Passa a").selectOption({ label: "bruna" });
  await second.getByRole("button", { name: "Passa", exact: true }).click();
  await page.waitForURL(`${satis.base}/reminders`);
  assert.match(await page.textContent("main"), /Niente da fare per ora/);
  await signOut(page);

  await signInAndEnrol(page, satis.base, "bruna", passwords.bruna);
  await page.goto(`${satis.base}/reminders`);
  assert.equal(await items.count(), 1);
  assert.match(await items.first().textContent(), /passata da anna/);

  // She asks to be told by e-mail, once a day: a mistyped address is refused and kept in the
  // field; a good one is saved (the installation has no mail server yet, and says so).
  await page.goto(`${satis.base}/account`);
  assert.match(await page.textContent("#mail-off"), /server di posta/);
  await page.getByLabel("Indirizzo e-mail per gli avvisi").evaluate((el) => el.setAttribute("type", "text"));
  await page.getByLabel("Indirizzo e-mail per gli avvisi").fill("bruna.ente.it");
  await page.getByLabel("Un riepilogo al giorno, al mattino").check();
  await page.getByRole("button", { name: "Salva" }).nth(1).click();
  assert.match(await page.textContent("#form-error"), /indirizzo e-mail valido/);
  assert.equal(await page.getByLabel("Indirizzo e-mail per gli avvisi").inputValue(), "bruna.ente.it");
  assert.equal(await page.getByLabel("Un riepilogo al giorno, al mattino").isChecked(), true);
  assert.deepEqual(await axeViolations(page), [], "refused notification choice");
  await page.getByLabel("Indirizzo e-mail per gli avvisi").fill("bruna@ente.it");
  await page.getByRole("button", { name: "Salva" }).nth(1).click();
  await page.waitForURL(`${satis.base}/account?saved=notifications`);
  assert.match(await page.textContent("main"), /Scelta degli avvisi salvata/);
  assert.equal(await page.getByLabel("Indirizzo e-mail per gli avvisi").inputValue(), "bruna@ente.it");
  await signOut(page);

  await signInAndEnrol(page, satis.base, "coordina", passwords.coordina);
  await page.goto(`${satis.base}/reminders`);
  await page.getByRole("link", { name: "Scadenze della squadra" }).click();
  await page.waitForURL(`${satis.base}/reminders/team`);
  const team = await page.textContent("main table");
  assert.match(team, /rimandata al/);
  assert.match(team, /Rinnovo chiesto in questura/);
  assert.match(team, /passata a bruna/);
  assert.deepEqual(await axeViolations(page), [], "team view");
  assert.deepEqual(problems, []);
});
