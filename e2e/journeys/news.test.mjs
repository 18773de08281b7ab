// Journeys of public information (issue 27).
//
// The editors: one writes a news item scheduled for tomorrow and another for now, and uploads
// a leaflet in Arabic; she cannot approve her own work; her colleague approves all three; the
// scheduled item waits, the other is read by the public; the colleague withdraws it.
//
// A citizen on a 360 px phone: reads the news, downloads the Arabic leaflet (type, size and
// language said before), subscribes to the newsletter, receives the confirmation through a
// real SMTP server, confirms, and unsubscribes with the link — all on pages without scripts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
let smtp;
let maildir;
const passwords = {};
const ORG = "Regione Toscana";

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  const dataDir = newDataDir();
  for (const username of ["scrive", "rilegge"]) {
    const out = runSatis(["user", "add", "--username", username, "--name", `${username} Demo`, "--organisation", ORG, "--role", "editor"], dataDir);
    passwords[username] = out.match(/one-time password: (\S+)/)[1];
  }
  // A real SMTP server (Python's aiosmtpd, from scripts/install-deps) writing to a Maildir.
  const port = await freePort();
  maildir = path.join(mkdtempSync(path.join(tmpdir(), "satis-mail-")), "maildir");
  smtp = spawn("/usr/bin/python3", ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", maildir], { stdio: "ignore" });
  satis = await startSatis(["serve"], {
    SATIS_MAIL_SMTP_URL: `smtp://127.0.0.1:${port}`,
    SATIS_MAIL_FROM: "Rete antitratta <notizie@satis.test>",
    SATIS_MAIL_SITE_URL: "http://satis.test",
  }, dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await satis?.stop();
  smtp?.kill();
});

function romeDay(offsetDays) {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Rome" }).format(new Date(Date.now() + offsetDays * 86_400_000));
}

async function signOut(page) {
  await page.getByRole("button", { name: "Esci" }).first().click();
  await page.waitForURL(/\/login\?done=logout/);
}

async function write(page, title, publishAt) {
  await page.goto(`${satis.base}/redazione`);
  await page.getByRole("link", { name: "Nuova notizia" }).click();
  await page.getByLabel("Titolo").fill(title);
  await page.getByLabel("Sommario").fill(`Sommario di: ${title}`);
  await page.getByLabel("Testo").fill("Il **seminario** si tiene a Prato.\n\n<script>alert(1)</script>");
  await page.getByLabel("Tema").selectOption("training");
  if (publishAt) await page.getByLabel("Pubblicazione").fill(publishAt);
  await page.getByRole("button", { name: "Salva la bozza" }).click();
  await page.waitForURL(/\/redazione\/notizie\/\d+$/);
  assert.match(await page.textContent("#news-preview"), /seminario/);
  assert.equal(await page.locator("#news-preview script").count(), 0);
  await page.getByRole("button", { name: "Manda in revisione" }).click();
  assert.equal((await page.textContent("#news-state")).trim(), "In revisione");
  // Nobody approves their own work: the step is not offered to its author.
  assert.equal(await page.getByRole("button", { name: "Approva e pubblica" }).count(), 0);
  return page.url();
}

/** A small PNG (a red square), as a phone's picture would arrive. */
function png() {
  return Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGM4o6SEFTEMLQkAvM5EAT6yk8sAAAAASUVORK5CYII=",
    "base64",
  );
}

let leaflet;
// The reviewing editor's page, still signed in for the citizen's journey (the issue).
let reviewer;

test("an editor writes and schedules, a colleague reviews, publishes and withdraws", async () => {
  const { page, problems } = await watchedPage(browser, satis.base);
  await signInAndEnrol(page, satis.base, "scrive", passwords.scrive);
  const later = await write(page, "Giornata contro la tratta: il programma", `${romeDay(1)}T09:00`);
  const now = await write(page, "Seminario a Prato per operatori", "");
  assert.deepEqual(await axeViolations(page), [], "news item");

  // A leaflet in Arabic: a file that is no image is refused, a picture is taken.
  await page.goto(`${satis.base}/redazione/materiali`);
  await page.getByLabel("Titolo").fill("هل أنت في خطر؟ اتصل بنا");
  await page.getByLabel("Lingua del materiale").selectOption("ar");
  await page.getByLabel("Per chi è").selectOption("victims");
  await page.getByLabel("Tema").selectOption("prevention");
  await page.getByLabel("File").setInputFiles({ name: "volantino.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
  await page.getByRole("button", { name: "Carica come bozza" }).click();
  assert.match(await page.textContent("#form-errors"), /non è un PDF/);
  await page.getByLabel("File").setInputFiles({ name: "volantino.png", mimeType: "image/png", buffer: png() });
  await page.getByRole("button", { name: "Carica come bozza" }).click();
  await page.waitForURL(/\/redazione\/materiali\/\d+$/);
  leaflet = page.url();
  await page.getByRole("button", { name: "Manda in revisione" }).click();
  assert.deepEqual(await axeViolations(page), [], "material");
  await signOut(page);

  await signInAndEnrol(page, satis.base, "rilegge", passwords.rilegge);
  for (const url of [later, now, leaflet]) {
    await page.goto(url);
    await page.getByRole("button", { name: "Approva e pubblica" }).click();
    assert.match(await page.textContent("main"), /Pubblicat/);
  }

  // The public: the scheduled item waits for tomorrow, the other is there.
  const reader = await watchedPage(browser, satis.base);
  await reader.page.goto(`${satis.base}/notizie`);
  assert.match(await reader.page.textContent("#news-list"), /Seminario a Prato/);
  assert.doesNotMatch(await reader.page.textContent("main"), /Giornata contro la tratta/);

  // Withdrawn: gone from the public list.
  await page.goto(now);
  await page.getByRole("button", { name: "Ritira dal sito" }).click();
  assert.equal((await page.textContent("#news-state")).trim(), "Ritirata");
  await reader.page.reload();
  assert.doesNotMatch(await reader.page.textContent("main"), /Seminario a Prato/);
  assert.deepEqual(problems, []);
  assert.deepEqual(reader.problems, []);
  reviewer = page;
});

function received() {
  const out = [];
  for (const sub of ["new", "cur"]) {
    let names = [];
    try {
      names = readdirSync(path.join(maildir, sub));
    } catch {
      /* nothing yet */
    }
    for (const n of names) out.push(readFileSync(path.join(maildir, sub, n), "utf8"));
  }
  return out;
}

async function waitForMail(match) {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const found = received().find((m) => match.test(m));
    if (found) return found;
    if (Date.now() > deadline) throw new Error("no message arrived");
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("a citizen on a phone reads, downloads a leaflet in Arabic, subscribes, confirms and leaves", async () => {
  assert.ok(leaflet && reviewer, "the editors' journey published a leaflet");
  const { page, problems } = await watchedPage(browser, satis.base, { viewport: { width: 360, height: 740 }, acceptDownloads: true });
  let scripts = 0;
  page.on("request", (req) => {
    if (req.resourceType() === "script") scripts += 1;
  });

  await page.goto(`${satis.base}/notizie`);
  assert.ok(await page.locator("a[href^='tel:']").count(), "the numbers to call");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the news page is ${overflow}px wider than the phone`);
  assert.deepEqual(await axeViolations(page), [], "news on a phone");

  await page.goto(`${satis.base}/materiali`);
  await page.getByLabel("Lingua del materiale").selectOption("ar");
  await page.getByRole("button", { name: "Filtra" }).click();
  const item = page.locator("#materials-list li").first();
  assert.match(await item.textContent(), /هل أنت في خطر/);
  assert.match(await item.textContent(), /Immagine, \d+ KB, العربية/);
  assert.deepEqual(await axeViolations(page), [], "materials on a phone");
  const [download] = await Promise.all([page.waitForEvent("download"), item.getByRole("link", { name: "Scarica" }).click()]);
  assert.match(download.suggestedFilename(), /\.png$/);

  await page.goto(`${satis.base}/newsletter`);
  assert.deepEqual(await axeViolations(page), [], "subscription form");
  await page.getByLabel("Il tuo indirizzo e-mail").fill("lettrice@example.org");
  await page.getByRole("button", { name: "Iscriviti" }).click();
  assert.match(await page.textContent("#form-errors"), /consenso/);
  await page.getByLabel(/Acconsento/).check();
  await page.getByRole("button", { name: "Iscriviti" }).click();
  assert.match(await page.textContent("#newsletter-message"), /riceverai un messaggio/);

  const message = await waitForMail(/To: lettrice@example.org/);
  const confirm = message.match(/\/newsletter\/conferma\/[A-Za-z0-9_-]+/)[0];
  await page.goto(`${satis.base}${confirm}`);
  await page.getByRole("button", { name: "Confermo l'iscrizione" }).click();
  assert.match(await page.textContent("#newsletter-message"), /Iscrizione confermata/);
  // The same link again says so.
  await page.goto(`${satis.base}${confirm}`);
  await page.getByRole("button", { name: "Confermo l'iscrizione" }).click();
  assert.match(await page.textContent("#newsletter-message"), /già stato usato/);

  // The editors send the month's issue; the citizen leaves with the link it carries.
  await reviewer.goto(`${satis.base}/redazione/newsletter`);
  await reviewer.getByLabel("Mese").fill(romeDay(0).slice(0, 7));
  await reviewer.getByRole("button", { name: "Prepara il numero del mese" }).click();
  await reviewer.waitForURL(/\/redazione\/newsletter\/\d+$/);
  assert.match(await reviewer.textContent("#newsletter-preview"), /Seminario a Prato|Nessuna notizia/);
  assert.deepEqual(await axeViolations(reviewer), [], "newsletter issue");
  await reviewer.getByRole("button", { name: "Invia il numero" }).click();
  assert.equal((await reviewer.textContent("#newsletter-state")).trim(), "Inviato");
  const issue = await waitForMail(/Subject: Newsletter della rete/);
  assert.match(issue, /multipart\/alternative/);
  assert.match(issue, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
  const link = issue.match(/List-Unsubscribe: <http:\/\/[^/]+(\/newsletter\/disiscrizione\/\d+\/[0-9a-f]+)>/)[1];
  await page.goto(`${satis.base}${link}`);
  await page.getByRole("button", { name: "Annulla l'iscrizione" }).click();
  assert.match(await page.textContent("#newsletter-message"), /non riceverai più la newsletter/);
  assert.equal(scripts, 0, "public pages load no script");
  assert.deepEqual(problems, []);
});
