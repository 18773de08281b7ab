// Journey: link, don't merge (issue 26). The social services record a woman and, with her
// consent, share her case with an NGO; the NGO records her too, writing her name its own way.
// The NGO's case worker opens "Stessa persona?", sees both records side by side with both
// names, decides they are the same person, sees the decision listed, undoes it, and the pair
// is back in the queue. Another body's worker sees none of it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
const passwords = {};
const NGO = "Arnera Coop. Sociale";
const SOCIAL = "SdS Zona Pisana";

before(async () => {
  const dataDir = newDataDir();
  for (const [username, org] of [["arnera", NGO], ["sds", SOCIAL], ["usl", "Azienda USL Toscana Centro"]]) {
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

async function newCase(page, names) {
  await page.goto(`${satis.base}/cases/new`);
  await page.getByLabel("Genere").selectOption("female");
  await page.getByLabel("Anno di nascita").fill("1998");
  await page.getByLabel("Nazionalità").fill("NG");
  await page.getByLabel("Nome e cognome").fill(names);
  await page.getByRole("button", { name: "Apri la presa in carico" }).click();
  await page.waitForURL(/\/cases\/\d+$/);
  return page.url();
}

async function signOut(page) {
  await page.getByRole("button", { name: "Esci" }).first().click();
  await page.waitForURL(/\/login\?done=logout/);
}

test("a pair of records of two bodies is linked by a reviewer who reads both, then undone", async () => {
  const { page, problems } = await watchedPage(browser, satis.base);

  // The social services: the case, her consent to share it with the NGO, the share.
  await signInAndEnrol(page, satis.base, "sds", passwords.sds);
  const theirs = await newCase(page, "Blessing Osagie");
  await page.locator("#purpose").selectOption("sharing");
  await page.locator("#consent-org").selectOption({ label: NGO });
  await page.getByRole("button", { name: "Registra il consenso" }).click();
  await page.waitForURL(theirs);
  await page.locator("#share-org").selectOption({ label: NGO });
  await page.getByRole("button", { name: "Condividi" }).click();
  await page.waitForURL(theirs);
  assert.match(await page.textContent("main"), new RegExp(`Condivisa con\\s*${NGO}`));
  await signOut(page);

  // The NGO records her as it hears her name.
  await signInAndEnrol(page, satis.base, "arnera", passwords.arnera);
  await newCase(page, "Osagie Blesing");
  await page.goto(`${satis.base}/cases`);
  await page.getByRole("link", { name: /Stessa persona\?/ }).click();
  await page.waitForURL(`${satis.base}/cases/collegamenti`);
  const pair = page.locator("#link-pairs li").first();
  assert.match(await pair.textContent(), /Blessing Osagie/);
  assert.match(await pair.textContent(), /Osagie Blesing/);
  assert.match(await pair.textContent(), new RegExp(SOCIAL));
  assert.deepEqual(await axeViolations(page), [], "review queue");
  await pair.getByRole("button", { name: "Stessa persona" }).click();
  await page.waitForURL(`${satis.base}/cases/collegamenti`);
  assert.match(await page.textContent("#links-none"), /Nessuna coppia/);
  assert.match(await page.textContent("#link-decisions"), /Stessa persona/);
  assert.deepEqual(await axeViolations(page), [], "review queue with a decision");

  // Undone: the pair is back, the decision shown struck out.
  await page.locator("#link-decisions").getByRole("button", { name: "Annulla" }).click();
  await page.waitForURL(`${satis.base}/cases/collegamenti`);
  assert.match(await page.textContent("#link-pairs"), /Osagie Blesing/);
  assert.match(await page.textContent("#link-decisions"), /annullata/);
  await signOut(page);

  // A worker of a third body sees no pair of these.
  await signInAndEnrol(page, satis.base, "usl", passwords.usl);
  await page.goto(`${satis.base}/cases/collegamenti`);
  assert.doesNotMatch(await page.textContent("main"), /Blessing/);
  assert.deepEqual(problems, []);
});
