// Shared helpers for the browser journeys: start the real satis binary on a fresh SQLite data
// directory, launch Debian's Chromium through playwright-core, check pages with axe-core.
import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const bin = process.env.SATIS_BIN || path.resolve(here, "../../target/debug/satis");

/** A fresh data directory for one satis instance. */
export function newDataDir() {
  return mkdtempSync(path.join(tmpdir(), "satis-e2e-"));
}

/** Runs a satis command to completion (e.g. `user add`) and returns its standard output. */
export function runSatis(args, dataDir) {
  return execFileSync(bin, args, {
    env: { PATH: process.env.PATH, SATIS_DATA_DIR: dataDir, SATIS_LOG: "warn" },
    encoding: "utf8",
  });
}

/** Starts `satis` with the given arguments and waits until /healthz answers. */
export async function startSatis(args = ["serve"], env = {}, dataDir = newDataDir()) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, args, {
    env: {
      PATH: process.env.PATH,
      SATIS_DATA_DIR: dataDir,
      SATIS_LISTEN: `127.0.0.1:${port}`,
      SATIS_COOKIE_SECURE: "false",
      SATIS_LOG: process.env.SATIS_E2E_LOG || "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`satis exited early:\n${output}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`satis did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    dataDir,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
      // Kept for the PII canary scan (scripts/gates/pii_scan.py) when CI asks for it.
      if (process.env.SATIS_GATE_LOGS) {
        mkdirSync(process.env.SATIS_GATE_LOGS, { recursive: true });
        writeFileSync(path.join(process.env.SATIS_GATE_LOGS, `e2e-satis-${port}.log`), output);
      }
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A page that records every request to another origin and every CSP violation or script error,
 * so that a journey can assert there were none.
 */
export async function watchedPage(browser, base, options = {}) {
  const context = await browser.newContext({ locale: "it-IT", ...options });
  const page = await context.newPage();
  const problems = [];
  const origin = new URL(base).origin;
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (url.origin !== origin && url.protocol !== "data:") problems.push(`request to ${req.url()}`);
  });
  // A document answered with 4xx on purpose is fine; a failing stylesheet, script or image is not.
  page.on("response", (res) => {
    if (res.status() >= 400 && res.request().resourceType() !== "document") {
      problems.push(`${res.status()} for ${res.url()}`);
    }
  });
  page.on("console", (msg) => {
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource: the server responded")) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  return { context, page, problems };
}

/** Runs axe-core (WCAG 2.1 A and AA rules) and returns the serious and critical violations. */
export async function axeViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) an authenticator app shows, `offset` steps ahead. */
export function totp(secretBase32, offset = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secretBase32)).update(counter).digest();
  const o = mac[mac.length - 1] & 0x0f;
  const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

/**
 * Signs in to a demonstration instance (`startSatis(["demo"])`) as one of its accounts: the
 * password is read from the banner the demo printed, the second-factor code from the sign-in
 * page (a demonstration shows it).
 */
export async function signInDemo(page, satis, username) {
  const password = satis.output().match(/password (\S+)/)[1];
  await page.goto(`${satis.base}/login`);
  await page.getByLabel("Nome utente").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Accedi" }).click();
  await page.waitForURL(/\/login\/mfa/);
  const code = (await page.textContent(".demo-hint")).match(/\d{6}/)[0];
  await page.getByRole("textbox", { name: "Codice" }).fill(code);
  await page.getByRole("button", { name: "Verifica" }).click();
  await page.waitForURL(`${satis.base}/`);
}

/** Signs in for the first time and enrols the second factor; returns the TOTP secret. */
export async function signInAndEnrol(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Nome utente").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Accedi" }).click();
  await page.waitForURL(/\/mfa\/enrol/);
  assert.deepEqual(await axeViolations(page), [], "enrolment page");
  assert.ok(await page.locator("figure.qr svg").count(), "the QR code is drawn by the server");
  const secret = (await page.textContent("#totp-secret")).trim();
  await page.getByRole("textbox", { name: "Codice" }).fill(totp(secret));
  await page.getByRole("button", { name: "Attiva" }).click();
  await page.waitForSelector("#recovery-codes");
  assert.equal(await page.locator("#recovery-codes li").count(), 10);
  assert.deepEqual(await axeViolations(page), [], "recovery codes page");
  await page.getByRole("link", { name: /continua/ }).click();
  return secret;
}

