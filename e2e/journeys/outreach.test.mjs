// Journey: a street-unit operator in the demonstration network records a night's outing on a
// phone that loses the network. The outing waits on the device, is sent when the network
// returns, and a resend of the same record is recognised: it is saved exactly once. The period
// report then counts it.
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

async function outingsInArea(page, area) {
  await page.goto(`${satis.base}/outreach`);
  return page.locator("#outings tbody tr", { hasText: area }).count();
}

test("an outing recorded offline is synced exactly once", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base, {
    viewport: { width: 390, height: 844 },
  });
  await signInDemo(page, satis, "strada");
  // On a phone the menu is folded: open it first.
  const menu = page.getByRole("navigation", { name: "Menu principale" });
  await menu.getByText("Menu", { exact: true }).click();
  await menu.getByRole("link", { name: "Unità di strada" }).click();
  await page.waitForURL(`${satis.base}/outreach`);
  assert.ok((await page.locator("#outings tbody tr").count()) >= 6, "the demo unit's outings are listed");
  assert.deepEqual(await axeViolations(page), [], "outreach desk");
  assert.equal(await outingsInArea(page, "Notte senza rete"), 0);

  await page.getByRole("link", { name: "Nuova uscita" }).click();
  await page.waitForURL(`${satis.base}/outreach/outings/new`);
  assert.deepEqual(await axeViolations(page), [], "outing form");
  // The service worker keeps the form on the phone: it opens again with no network.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await context.setOffline(true);
  await page.reload();
  assert.ok(await page.getByRole("button", { name: "Salva l'uscita" }).isVisible(), "the form opens offline");
  await assert.rejects(page.goto(`${satis.base}/outreach/report`), "other pages really are offline");
  await context.setOffline(false);
  await page.goto(`${satis.base}/outreach/outings/new`);
  await page.getByLabel("Zona").fill("Notte senza rete");
  await page.locator("#people_met").fill("3");
  await page.locator("#gender_female").fill("3");
  await page.locator("#age_18_24").fill("3");
  await page.locator("#status_new").fill("1");
  await page.locator("#status_known").fill("2");
  await page.locator("#nat_code_1").fill("NG");
  await page.locator("#nat_count_1").fill("3");
  await page.locator("#material_condoms").fill("24");
  await page.locator("#codes").fill("NOTTE-1");

  // The van loses the signal: the outing stays on the phone.
  await context.setOffline(true);
  await page.getByRole("button", { name: "Salva l'uscita" }).click();
  await page.waitForFunction(() => /Nessuna connessione/.test(document.getElementById("outbox-status").textContent));
  assert.match(await page.textContent("#outbox-status"), /in attesa di invio: 1/);
  assert.match(await page.textContent("#outbox-list"), /Unità di strada Firenze/);
  const queued = await page.evaluate(() => localStorage.getItem("satis.outbox.outings"));
  assert.equal(JSON.parse(queued).length, 1);
  assert.equal(await page.locator("#people_met").inputValue(), "0", "the form is ready for the next record");
  // The answer is where the operator is looking, beside the button, and has the focus.
  assert.match(await page.textContent("#save-result"), /Nessuna connessione/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "save-result");

  // The network comes back: the outbox sends it by itself.
  await context.setOffline(false);
  await page.waitForFunction(() => /inviata e salvata/.test(document.getElementById("outbox-status").textContent));
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem("satis.outbox.outings")).length), 0);
  assert.deepEqual(await axeViolations(page), [], "outing form with its outbox");

  // The answer was lost and the phone sends the same record again: recognised, not saved twice.
  await page.evaluate((item) => localStorage.setItem("satis.outbox.outings", item), queued);
  await page.getByRole("button", { name: "Invia ora" }).click();
  await page.waitForFunction(() => /non è stata contata due volte/.test(document.getElementById("outbox-status").textContent));
  assert.equal(await outingsInArea(page, "Notte senza rete"), 1);

  // A record the server refuses keeps the form as typed, with the reason beside the button.
  await page.goto(`${satis.base}/outreach/outings/new`);
  await page.getByLabel("Zona").fill("Conti che non tornano");
  await page.locator("#people_met").fill("3");
  await page.locator("#gender_female").fill("2");
  await page.locator("#age_18_24").fill("3");
  await page.locator("#status_new").fill("3");
  await page.locator("#codes").fill("C1, C2, C3, C4");
  await page.getByRole("button", { name: "Salva l'uscita" }).click();
  await page.waitForFunction(() => /non salvata/.test(document.getElementById("save-result").textContent));
  assert.equal(await page.evaluate(() => document.activeElement.id), "save-result");
  // Every problem at once, each marked where it is.
  const said = await page.textContent("#save-result");
  assert.match(said, /per genere non sommano/);
  assert.match(said, /più codici anonimi/);
  assert.equal(await page.locator("#by-gender").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#codes").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#people_met").inputValue(), "3", "the refused form keeps what was typed");
  assert.equal(await page.getByLabel("Zona").inputValue(), "Conti che non tornano");
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem("satis.outbox.outings")).length), 0);
  assert.deepEqual(await axeViolations(page), [], "refused outing form");
  assert.equal(await outingsInArea(page, "Conti che non tornano"), 0);

  // The outing as saved, and the period report counting it.
  await page.locator("#outings tbody tr", { hasText: "Notte senza rete" }).getByRole("link").click();
  assert.equal((await page.textContent("#people-met")).trim(), "3");
  assert.match(await page.textContent("#outing-contacts"), /NOTTE-1/);
  assert.deepEqual(await axeViolations(page), [], "outing page");
  await page.goto(`${satis.base}/outreach/report`);
  const met = Number((await page.textContent("#fig-people-met")).trim());
  assert.equal(met, 14 + 12 + 9 + 16 + 11 + 13 + 3, "demo outings plus tonight's");
  assert.deepEqual(await axeViolations(page), [], "outreach report");

  // The refused record's 422 was the answer asked for.
  const unexpected = problems.filter(
    (p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|^422 for .*\/outreach\/outings$/.test(p),
  );
  assert.deepEqual(unexpected, []);
  await context.close();
});
