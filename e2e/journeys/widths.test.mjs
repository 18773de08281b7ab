// Journey: every page each demo user reaches fits a 360 px phone and a 1366 px desktop —
// nothing scrolls sideways (issue 22). Wide tables scroll inside their own box instead. Axe
// finds no serious problem on any of them at either width.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

// Each role's desk at both widths, for review beside the journeys' output (CI keeps them in
// target/gate-logs/screens).
const SCREENS = join(process.env.SATIS_GATE_LOGS || tmpdir(), "screens");

// Pages already checked by axe at a width: a kind of page (one case stands for every case)
// is checked once per width, whichever user reached it first.
const AXED = new Set();

/** Serious or critical accessibility problems of the page, once per kind of page and width. */
async function axeOnce(page, path, width, problems) {
  const kind = `${width} ${path.replace(/\/\d+/g, "/N").split("?")[0]}`;
  if (AXED.has(kind)) return;
  AXED.add(kind);
  for (const v of await axeViolations(page)) problems.push(`${width}: ${path}: ${v}`);
}

const VIEWPORTS = [
  { width: 360, height: 740 },
  { width: 1366, height: 768 },
];

const PUBLIC = ["/", "/rete", "/segnala", "/segnala?lang=ar", "/segnala?lang=en", "/login", "/dati-aperti", "/notizie", "/notizie/1", "/eventi", "/materiali", "/materiali?lingua=ar", "/newsletter"];

const USERS = [
  "admin",
  "numeroverde",
  "strada",
  "operatrice",
  "mediatrice",
  "coordinamento",
  "capofila",
  "analista",
  "dpo",
  "redazione",
];

/** How far the page is wider than the window, and the widest element sticking out. */
async function overflow(page) {
  return page.evaluate(() => {
    const extra = document.documentElement.scrollWidth - window.innerWidth;
    let culprit = "";
    if (extra > 0) {
      let worst = 0;
      for (const el of document.body.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        if (r.right > window.innerWidth + 1 && r.right > worst && el.closest(".table-scroll") === null) {
          worst = r.right;
          culprit = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""}`;
        }
      }
    }
    return { extra, culprit };
  });
}

/** The staff pages a user reaches: the menu, and the first record of each list. */
async function pagesOf(page, base) {
  const hrefs = await page.$$eval(".header-nav a, main a", (links) =>
    links.map((a) => a.getAttribute("href")).filter((h) => h && h.startsWith("/")),
  );
  const seen = new Set();
  const out = [];
  for (const h of hrefs) {
    const path = h.split("#")[0];
    const bare = path.split("?")[0];
    // Downloads are not pages.
    if (bare === "/logout" || /\.(csv|xlsx|json|zip|pdf)$/.test(bare) || bare.endsWith("/file") || bare.includes("/export")) continue;
    // One record per kind is enough: /cases/12 stands for every case.
    const kind = path.replace(/\/\d+/g, "/N").split("?")[0];
    if (seen.has(kind)) continue;
    seen.add(kind);
    out.push(path);
  }
  return out.slice(0, 40).map((p) => new URL(p, base).pathname + new URL(p, base).search);
}

test("public pages fit a phone and a desktop", async () => {
  for (const viewport of VIEWPORTS) {
    const { context, page } = await watchedPage(browser, satis.base, { viewport });
    const wide = [];
    const inaccessible = [];
    for (const path of PUBLIC) {
      await page.goto(`${satis.base}${path}`);
      const o = await overflow(page);
      if (o.extra > 0) wide.push(`${path} +${o.extra}px (${o.culprit})`);
      // Every public language is its own page for axe (right-to-left Arabic included).
      for (const v of await axeViolations(page)) inaccessible.push(`${path}: ${v}`);
    }
    assert.deepEqual(wide, [], `at ${viewport.width} px`);
    assert.deepEqual(inaccessible, [], `axe at ${viewport.width} px`);
    await context.close();
  }
});

for (const user of USERS) {
  test(`${user}: every page reached fits a phone and a desktop`, async (t) => {
    const wide = [];
    const inaccessible = [];
    // One sign-in per user (a second-factor code is accepted once), then both sizes.
    const { context, page } = await watchedPage(browser, satis.base, { viewport: VIEWPORTS[0] });
    await signInDemo(page, satis, user);
    const desk = await pagesOf(page, satis.base);
    const all = new Set(desk);
    for (const path of desk) {
      await page.goto(`${satis.base}${path}`);
      for (const more of await pagesOf(page, satis.base)) all.add(more);
    }
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.goto(`${satis.base}/`);
      mkdirSync(SCREENS, { recursive: true });
      const shot = join(SCREENS, `${user}-${viewport.width}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`desk screenshot: ${shot}`);
      for (const path of all) {
        const r = await page.goto(`${satis.base}${path}`);
        if (!r || r.status() >= 400) continue;
        const o = await overflow(page);
        if (o.extra > 0) wide.push(`${viewport.width}: ${path} +${o.extra}px (${o.culprit})`);
        await axeOnce(page, path, viewport.width, inaccessible);
      }
    }
    await context.close();
    assert.deepEqual(wide, [], `${user}`);
    t.diagnostic(`pages checked by axe so far (kind × width): ${AXED.size}`);
    assert.deepEqual(inaccessible, [], `${user}: axe`);
  });
}
