// Journey: a visitor opens SATIS, switches to English, reaches the sign-in page; every page is
// accessible (axe-core: no serious or critical violations) and loads nothing from elsewhere.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;

before(async () => {
  satis = await startSatis();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

test("home → English → sign-in page, accessible in both languages", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base);
  await page.goto(`${satis.base}/`);
  assert.equal(await page.getAttribute("html", "lang"), "it");
  assert.match(await page.textContent("h1"), /Rete antitratta della Toscana/);
  assert.deepEqual(await axeViolations(page), [], "home (it)");

  await page.getByRole("link", { name: "English" }).click();
  await page.waitForURL(`${satis.base}/`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.match(await page.textContent("h1"), /Tuscan anti-trafficking network/);
  assert.deepEqual(await axeViolations(page), [], "home (en)");

  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Sign in" }).click();
  await page.waitForURL(`${satis.base}/login`);
  assert.match(await page.textContent("h1"), /Sign in/);
  assert.deepEqual(await axeViolations(page), [], "login (en)");

  // A wrong sign-in is refused with a translated message and keeps the page accessible.
  await page.getByLabel("Username").fill("nobody");
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  assert.match(await page.textContent("[role=alert]"), /Invalid username or password/);
  assert.deepEqual(await axeViolations(page), [], "login error (en)");

  const missing = await page.goto(`${satis.base}/no-such-page`);
  assert.equal(missing.status(), 404);
  assert.match(await page.textContent("h1"), /Page not found/);
  assert.deepEqual(await axeViolations(page), [], "404 (en)");

  // Back to Italian from the language switch of the sign-in page.
  await page.goto(`${satis.base}/login`);
  await page.getByRole("link", { name: "Italiano" }).click();
  await page.waitForURL(`${satis.base}/login`);
  assert.equal(await page.getAttribute("html", "lang"), "it");
  assert.deepEqual(await axeViolations(page), [], "login (it)");

  assert.deepEqual(problems, [], "no third-party request, CSP violation or script error");
  await context.close();
});

test("the same journey works without JavaScript", async () => {
  const { context, page, problems } = await watchedPage(browser, satis.base, { javaScriptEnabled: false });
  await page.goto(`${satis.base}/`);
  await page.getByRole("link", { name: "English" }).click();
  await page.waitForURL(`${satis.base}/`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await page.getByRole("link", { name: "Sign in" }).first().click();
  await page.waitForURL(`${satis.base}/login`);
  assert.match(await page.textContent("h1"), /Sign in/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("skip link reaches the main content from the keyboard", async () => {
  const { context, page } = await watchedPage(browser, satis.base);
  await page.goto(`${satis.base}/`);
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.getAttribute("href"));
  assert.equal(focused, "#main");
  await context.close();
});
