// Journey: reports in Arabic (right to left) and Romanian; the hotline replies and triages;
// the reporter comes back with the receipt, reads the reply and adds information. Afterwards
// no client address or user agent is found in the database files or the server's log.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

const AGENT = "SatisE2EReporter/1.0 (canary)";
const ADDRESS = "198.51.100.23";
let satis;
let browser;
let password;

before(async () => {
  const dataDir = newDataDir();
  const out = runSatis(["user", "add", "--username", "notte", "--name", "Notte Demo", "--organisation", "CAT Coop. sociale Onlus", "--role", "hotline_operator"], dataDir);
  password = out.match(/one-time password: (\S+)/)[1];
  // CAT runs the regional hotline here: its operators read public reports.
  satis = await startSatis(["serve"], { SATIS_LOG: "info", SATIS_REPORTS_READERS: "CAT Coop. sociale Onlus" }, dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
});

async function report(page, lang, what) {
  await page.goto(`${satis.base}/segnala?lang=${lang}`);
  assert.equal(await page.getAttribute("html", "lang"), lang);
  // Nothing widens the page: a right-to-left page once rendered scrolled to empty space.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${lang}: the page is ${overflow}px wider than the window`);
  const title = await page.locator("h1").boundingBox();
  assert.ok(title && title.x >= 0 && title.x < (page.viewportSize()?.width ?? 1280), `${lang}: the title is off screen`);
  assert.deepEqual(await axeViolations(page), [], `form (${lang})`);
  await page.locator("#what").fill(what);
  await page.locator("#province").selectOption("PO");
  await page.locator("#kind-labour").check();
  await page.locator("#urgency-now").check();
  await page.locator("form[method=post] button[type=submit]").click();
  const receipt = (await page.textContent("#receipt")).trim();
  assert.match(receipt, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){4}$/);
  assert.deepEqual(await axeViolations(page), [], `receipt (${lang})`);
  return receipt;
}

test("two reports, a reply, more information, a triage — and no trace of the reporter", async () => {
  const reporter = await watchedPage(browser, satis.base, { userAgent: AGENT, extraHTTPHeaders: { "X-Forwarded-For": ADDRESS } });
  const receipt = await report(reporter.page, "ar", "ثلاث فتيات يعملن ليلًا ونهارًا في مستودع ولا يستطعن الخروج.");
  assert.equal(await reporter.page.getAttribute("html", "dir"), "rtl");
  await report(reporter.page, "ro", "Un bărbat este obligat să cerșească în fața gării în fiecare zi.");

  // The hotline.
  const staff = await watchedPage(browser, satis.base);
  await signInAndEnrol(staff.page, satis.base, "notte", password);
  await staff.page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Segnalazioni" }).click();
  assert.deepEqual(await axeViolations(staff.page), [], "reports queue");
  await staff.page.getByRole("link", { name: "1", exact: true }).click();
  assert.match(await staff.page.textContent("#report-what"), /ثلاث فتيات/);
  await staff.page.getByLabel("Risposta o domanda per chi ha segnalato").fill("شكرًا. هل تعرف اسم الشركة؟");
  await staff.page.getByRole("button", { name: "Invia" }).click();
  await staff.page.getByRole("button", { name: "Registra come contatto del Numero Verde" }).click();
  assert.match(await staff.page.textContent("h1"), /Registrata come contatto/);
  assert.deepEqual(await axeViolations(staff.page), [], "report detail");

  // The reporter comes back.
  await reporter.page.goto(`${satis.base}/segnala/ricevuta?lang=ar`);
  await reporter.page.locator("#receipt-input").fill(receipt.toLowerCase());
  await reporter.page.locator("form[method=post] button[type=submit]").click();
  assert.match(await reporter.page.textContent("main"), /هل تعرف اسم الشركة/);
  assert.deepEqual(await axeViolations(reporter.page), [], "thread (ar)");
  await reporter.page.locator("#text").fill("اسم الشركة: شركة مثال.");
  await reporter.page.locator("form[method=post] button[type=submit]").click();
  assert.match(await reporter.page.textContent("main"), /شركة مثال/);

  await staff.page.reload();
  assert.match(await staff.page.textContent("main"), /شركة مثال/);
  assert.deepEqual(reporter.problems, []);
  assert.deepEqual(staff.problems, []);
  await reporter.context.close();
  await staff.context.close();

  // No trace of the reporter's address or user agent in the database files or in the log.
  const files = readdirSync(satis.dataDir).filter((f) => f.startsWith("satis.sqlite"));
  assert.ok(files.length >= 1);
  for (const f of files) {
    const bytes = readFileSync(path.join(satis.dataDir, f));
    assert.ok(!bytes.includes(AGENT) && !bytes.includes("SatisE2EReporter"), `${f} holds the user agent`);
    assert.ok(!bytes.includes(ADDRESS), `${f} holds the address`);
  }
  const log = satis.output();
  assert.match(log, /route="\/segnala"/, "the request lines were logged");
  assert.ok(!log.includes("SatisE2EReporter") && !log.includes(ADDRESS), "the log holds client metadata");
});

test("the public form passes axe-core in every language, with and without JavaScript", async () => {
  for (const javaScriptEnabled of [true, false]) {
    const { context, page, problems } = await watchedPage(browser, satis.base, { javaScriptEnabled });
    for (const lang of ["it", "en", "fr", "es", "ro", "sq", "zh", "ar"]) {
      await page.goto(`${satis.base}/segnala?lang=${lang}`);
      assert.equal(await page.getAttribute("html", "lang"), lang);
      if (javaScriptEnabled) {
        assert.deepEqual(await axeViolations(page), [], `form (${lang})`);
        await page.goto(`${satis.base}/segnala/ricevuta?lang=${lang}`);
        assert.deepEqual(await axeViolations(page), [], `receipt form (${lang})`);
      } else {
        // Without JavaScript the form still submits and answers with a receipt.
        await page.locator("#what").fill("Una persona è costretta a lavorare senza paga.");
        await page.locator("form[method=post] button[type=submit]").click();
        assert.match((await page.textContent("#receipt")).trim(), /^[A-Z2-9]{4}(-[A-Z2-9]{4}){4}$/);
      }
    }
    assert.deepEqual(problems, []);
    await context.close();
  }
});
