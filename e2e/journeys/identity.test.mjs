// Journey: the first administrator (created with `satis user add`) signs in and enrols a second
// factor, creates a colleague; the colleague signs in with the one-time password, enrols TOTP,
// signs out, and signs in again with a code. Every page passes axe-core.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, totp, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
let adminPassword;

before(async () => {
  const dataDir = newDataDir();
  const out = runSatis(
    ["user", "add", "--username", "admin", "--name", "Prima Amministratrice", "--organisation", "Regione Toscana", "--role", "administrator"],
    dataDir,
  );
  adminPassword = out.match(/one-time password: (\S+)/)[1];
  satis = await startSatis(["serve"], {}, dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

test("admin creates a user, who enrols TOTP, signs out and signs in again with a code", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base);
  await signInAndEnrol(page, satis.base, "admin", adminPassword);
  assert.match(await page.textContent("h1"), /Prima Amministratrice/);
  assert.deepEqual(await axeViolations(page), [], "dashboard");

  await page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Utenti" }).click();
  assert.deepEqual(await axeViolations(page), [], "users page");
  await page.getByLabel("Nome utente").fill("operatrice");
  await page.getByLabel("Nome e cognome").fill("Giulia Bianchi");
  await page.getByLabel("Ruolo").selectOption("hotline_operator");
  await page.getByRole("button", { name: "Crea" }).click();
  const password = (await page.textContent("#new-user-password")).trim();
  assert.ok(password.length >= 20);
  assert.deepEqual(await axeViolations(page), [], "one-time password page");
  await page.getByRole("button", { name: "Esci" }).click();
  await page.waitForURL(/\/login\?done=logout/);

  // The colleague, in the same browser after sign-out.
  const secret = await signInAndEnrol(page, satis.base, "operatrice", password);
  assert.match(await page.textContent("h1"), /Giulia Bianchi/);
  await page.getByRole("link", { name: "Il mio profilo" }).first().click();
  assert.match(await page.textContent("main"), /Operatrice\/operatore del Numero Verde/);
  assert.deepEqual(await axeViolations(page), [], "profile page");
  await page.getByRole("button", { name: "Esci" }).click();
  await page.waitForURL(/\/login\?done=logout/);

  await page.getByLabel("Nome utente").fill("operatrice");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Accedi" }).click();
  await page.waitForURL(/\/login\/mfa/);
  assert.deepEqual(await axeViolations(page), [], "second-factor page");
  // The enrolment code was used; the authenticator's next code is accepted.
  await page.getByRole("textbox", { name: "Codice" }).fill(totp(secret, 1));
  await page.getByRole("button", { name: "Verifica" }).click();
  await page.waitForURL(`${satis.base}/`);
  assert.match(await page.textContent("h1"), /Giulia Bianchi/);

  assert.deepEqual(problems, [], "no third-party request, CSP violation or script error");
  await context.close();
});
