// Journey: a visitor reads "La rete in Toscana"; a territorial coordinator records a meeting of
// the local network of their province and finds it in the list. Every page passes axe-core.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
let password;

before(async () => {
  const dataDir = newDataDir();
  const out = runSatis(
    ["user", "add", "--username", "coordfi", "--name", "Paola Coordinatrice", "--organisation", "Comune di Firenze", "--role", "territorial_coordinator"],
    dataDir,
  );
  password = out.match(/one-time password: (\S+)/)[1];
  satis = await startSatis(["serve"], {}, dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

test("the public network page lists every province and is accessible", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base);
  await page.goto(`${satis.base}/`);
  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Rete", exact: true }).click();
  await page.waitForURL(`${satis.base}/rete`);
  assert.equal(await page.locator("section[id^=provincia-]").count(), 10);
  assert.match(await page.textContent("#provincia-LI"), /Numero Verde Regionale/);
  assert.match(await page.textContent("#provincia-PI"), /Procura della Repubblica presso il Tribunale di Pisa/);
  assert.deepEqual(await axeViolations(page), [], "/rete (it)");
  await page.getByRole("link", { name: "English" }).click();
  await page.waitForURL(`${satis.base}/rete`);
  assert.deepEqual(await axeViolations(page), [], "/rete (en)");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a citizen reads what the open data are, why numbers are hidden and how to cite them", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base);
  await page.goto(`${satis.base}/`);
  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Dati aperti", exact: true }).click();
  await page.waitForURL(`${satis.base}/dati-aperti`);
  assert.match(await page.textContent("main"), /Perché alcuni numeri mancano/);
  assert.match(await page.textContent("#open-data-citation"), /CC BY 4\.0/);
  assert.deepEqual(await axeViolations(page), [], "/dati-aperti (it)");
  await page.getByRole("link", { name: "English" }).click();
  await page.waitForURL(`${satis.base}/dati-aperti`);
  assert.match(await page.textContent("main"), /Why some numbers are missing/);
  assert.deepEqual(await axeViolations(page), [], "/dati-aperti (en)");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a coordinator records a meeting for their province", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base);
  await signInAndEnrol(page, satis.base, "coordfi", password);
  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Rete", exact: true }).click();
  assert.deepEqual(await axeViolations(page), [], "network overview");
  await page.getByRole("link", { name: "Comune di Firenze" }).first().click();
  assert.match(await page.textContent("h1"), /Comune di Firenze/);
  assert.deepEqual(await axeViolations(page), [], "organisation page");
  await page.goto(`${satis.base}/network/services`);
  assert.deepEqual(await axeViolations(page), [], "services page");
  await page.goto(`${satis.base}/network/training`);
  assert.deepEqual(await axeViolations(page), [], "training page");

  await page.goto(`${satis.base}/network/meetings`);
  assert.deepEqual(await axeViolations(page), [], "meetings page");
  const province = page.locator("form[method=post] select#province");
  assert.deepEqual(await province.locator("option").allTextContents(), ["FI"], "only the coordinator's province");
  await page.getByLabel("Ente che convoca").selectOption({ label: "Comune di Firenze" });
  await page.getByLabel("Data").fill("2026-11-20");
  await page.getByLabel("Ordine del giorno").fill("Coordinamento delle unità di strada");
  await page.getByLabel("Enti invitati").selectOption([{ label: "Associazione Progetto Arcobaleno" }, { label: "CAT Coop. sociale Onlus" }]);
  await page.getByLabel("Enti presenti").selectOption([{ label: "Associazione Progetto Arcobaleno" }]);
  await page.getByLabel("Decisioni").fill("Uscite congiunte a dicembre");
  await page.getByRole("button", { name: "Registra l'incontro" }).click();
  await page.waitForURL(/\/network\/meetings\?province=FI/);
  const meeting = page.locator("article.meeting").first();
  assert.match(await meeting.textContent(), /Coordinamento delle unità di strada/);
  assert.match(await meeting.textContent(), /Uscite congiunte a dicembre/);
  assert.deepEqual(await axeViolations(page), [], "meetings list");
  // Coordinators also read the network's activity report (aggregates only).
  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Attività della rete" }).click();
  assert.match(await page.textContent("h1"), /Rapporto di attività della rete/);
  assert.deepEqual(await axeViolations(page), [], "activity report");
  // The coordinator's desk draws its figures (SVG charts with their tables), and the other
  // aggregate pages pass axe too.
  await page.goto(`${satis.base}/`);
  assert.ok(await page.locator("#panel-region").isVisible(), "the region's panel is drawn");
  assert.ok(await page.locator("#panel-cases").isVisible(), "the cases panel is drawn");
  assert.deepEqual(await axeViolations(page), [], "dashboard with charts");
  for (const path of ["/stats/open-data", "/stats/referrals", "/stats/historical", "/outreach/report"]) {
    await page.goto(`${satis.base}${path}`);
    assert.deepEqual(await axeViolations(page), [], path);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
