// Journey: an administrator registers a shelter; a case worker meets a person found by the
// street unit, opens a case, moves it through every phase, records a permit and a shelter
// placement, renews the permit and corrects the person's phone (every mistake shown at once),
// and closes the case; a worker of another organisation cannot open it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
const passwords = {};

before(async () => {
  const dataDir = newDataDir();
  for (const [username, org, role] of [
    ["admin", "Regione Toscana", "administrator"],
    ["operatrice", "Associazione Progetto Arcobaleno", "case_worker"],
    ["estranea", "CAT Coop. sociale Onlus", "case_worker"],
  ]) {
    const out = runSatis(["user", "add", "--username", username, "--name", `${username} Demo`, "--organisation", org, "--role", role], dataDir);
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

test("from a street contact to a closed case with a permit and a shelter placement", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base);

  // The administrator registers a shelter with two beds for women.
  await signInAndEnrol(page, satis.base, "admin", passwords.admin);
  await page.goto(`${satis.base}/network/services`);
  await page.getByLabel("Organizzazione").selectOption({ label: "Associazione Progetto Arcobaleno" });
  await page.getByLabel("Tipo").selectOption("shelter");
  await page.getByLabel("Nome", { exact: true }).fill("Casa di accoglienza Girasole");
  await page.locator("form[method=post] select#province").selectOption("FI");
  await page.getByLabel("Donne", { exact: true }).fill("2");
  await page.getByLabel("Indirizzo (riservato)").fill("Via Segreta 9, Firenze");
  await page.getByRole("button", { name: "Crea" }).click();
  await page.waitForURL(`${satis.base}/network/services`);
  await signOut(page);

  // The case worker takes the person in charge.
  await signInAndEnrol(page, satis.base, "operatrice", passwords.operatrice);
  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Prese in carico" }).click();
  assert.deepEqual(await axeViolations(page), [], "cases desk");
  await page.getByRole("link", { name: "Nuova persona e presa in carico" }).click();
  assert.deepEqual(await axeViolations(page), [], "new case form");
  await page.getByLabel("Genere").selectOption("female");
  await page.getByLabel("Anno di nascita").fill("2002");
  await page.getByLabel("Nazionalità").fill("NG");
  await page.getByLabel("Lingue").fill("EN");
  await page.getByLabel("Nome e cognome").fill("Grace Street");
  await page.getByLabel("Telefono").fill("+39 320 0000001");
  await page.getByRole("button", { name: "Apri la presa in carico" }).click();
  await page.waitForURL(/\/cases\/\d+$/);
  const caseUrl = page.url();
  assert.match(await page.textContent("h1"), /TOS-\d{4}-\d{5}/);
  assert.match(await page.textContent("#identity"), /Grace Street/);
  assert.deepEqual(await axeViolations(page), [], "case page");

  const today = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Rome" }).format(new Date());
  for (const phase of ["Identificazione", "Prima assistenza", "Accoglienza e programma di protezione", "Inclusione sociale"]) {
    // The day each step took effect is entered, not stamped.
    await page.locator("#effective-next").fill(today);
    await page.getByRole("button", { name: `Passa a: ${phase}` }).click();
    await page.waitForURL(caseUrl);
    assert.match(await page.textContent("h1"), new RegExp(phase));
  }

  await page.getByLabel("Tipo", { exact: true }).first().selectOption("art18_social");
  await page.locator("#permit-status").selectOption("issued");
  await page.locator("#issued_on").fill("2026-09-01");
  await page.locator("#permit-expires").fill("2027-03-01");
  await page.getByLabel("Ufficio").fill("Questura di Firenze");
  await page.getByRole("button", { name: "Registra il permesso" }).click();
  await page.waitForURL(caseUrl);
  const permit = page.locator("article.permit").first();
  assert.match(await permit.textContent(), /Questura di Firenze/);

  // Months later the permit is renewed: the decision is recorded on it, with its new expiry.
  await permit.locator("summary").click();
  await permit.getByLabel("Decisione", { exact: true }).selectOption("renewed");
  await permit.getByLabel("Data della decisione").fill(today);
  await permit.getByRole("button", { name: "Registra la decisione" }).click();
  // Without the new expiry, the page says what is missing.
  await page.waitForURL(/\/permits\/\d+\/decision$/);
  assert.match(await page.textContent("#form-error"), /nuova scadenza/);
  const again = page.locator("article.permit").first();
  await again.locator("summary").click();
  await again.getByLabel("Decisione", { exact: true }).selectOption("renewed");
  await again.getByLabel("Data della decisione").fill(today);
  await again.getByLabel("Nuova scadenza").fill("2028-03-01");
  await again.getByRole("button", { name: "Registra la decisione" }).click();
  await page.waitForURL(/\/cases\/\d+(#permit-\d+)?$/);
  assert.match(await page.locator("article.permit").first().textContent(), /Rinnovato · Scade il 2028-03-01/);

  // The phone changed: corrected on the case, with every mistake shown at once first.
  await page.getByRole("navigation", { name: "In questa scheda" }).getByRole("link", { name: "La persona" }).click();
  await page.getByText("Correggi i dati della persona").click();
  await page.locator("#fix-nationalities").fill("NGA");
  await page.locator("#fix-birth_year").fill("3001");
  await page.locator("#fix-phone").fill("+39 320 0000002");
  await page.getByRole("button", { name: "Salva le correzioni" }).click();
  await page.waitForURL(caseUrl + "/person");
  const problemsBox = page.locator("#person-problems");
  assert.equal(await problemsBox.locator("li").count(), 2);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "person-problems");
  assert.equal(await page.locator("#fix-phone").inputValue(), "+39 320 0000002");
  assert.deepEqual(await axeViolations(page), [], "correction refused");
  await page.locator("#fix-nationalities").fill("NG");
  await page.locator("#fix-birth_year").fill("2002");
  await page.getByRole("button", { name: "Salva le correzioni" }).click();
  await page.waitForURL(/\/cases\/\d+#h-person$/);
  assert.match(await page.textContent("#identity"), /\+39 320 0000002/);
  assert.match(await page.textContent("section[aria-labelledby=h-person]"), /Correzioni registrate[\s\S]*Telefono/);

  await page.locator("#service_id").selectOption({ label: "Casa di accoglienza Girasole (FI)" });
  await page.getByLabel("Posto letto").selectOption("women");
  await page.getByRole("button", { name: "Registra l'inserimento" }).click();
  await page.waitForURL(caseUrl);
  assert.match(await page.textContent("section[aria-labelledby=h-placements]"), /Casa di accoglienza Girasole/);

  await page.locator("#effective-close").fill(today);
  await page.getByLabel("Motivo della chiusura").selectOption("autonomy");
  await page.getByRole("button", { name: "Chiudi la presa in carico" }).click();
  await page.waitForURL(caseUrl);
  assert.match(await page.textContent("h1"), /Chiusa/);
  assert.deepEqual(await axeViolations(page), [], "closed case");

  // The network now shows one of the two beds taken.
  await page.goto(`${satis.base}/network/services`);
  assert.match(await page.textContent("main"), /Donne: 1\/2/);
  await signOut(page);

  // A worker of another organisation cannot open the case.
  await signInAndEnrol(page, satis.base, "estranea", passwords.estranea);
  const response = await page.goto(caseUrl);
  assert.equal(response.status(), 403);
  assert.doesNotMatch(await page.textContent("body"), /Grace Street/);
  assert.deepEqual(problems, []);
  await context.close();
});
