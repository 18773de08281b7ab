// Journey: the lead entity opens an edition; a case worker drafts and submits a project with
// three interventions; the evaluator asks for a change; resubmitted, approved with one line
// reduced (its reason required), started; an
// expense is recorded and one over budget refused; the edition's budget report shows it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axeViolations, launchBrowser, newDataDir, runSatis, signInAndEnrol, startSatis, watchedPage } from "../lib/harness.mjs";

let satis;
let browser;
const passwords = {};

before(async () => {
  const dataDir = newDataDir();
  for (const [username, org, role] of [
    ["operatrice", "Associazione Progetto Arcobaleno", "case_worker"],
    ["capofila", "Comune di Viareggio", "capofila_evaluator"],
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

async function decide(page, decision, reason) {
  await page.locator(`#to-${decision}`).check();
  if (reason) await page.locator("#reason").fill(reason);
  await page.getByRole("button", { name: "Registra la decisione" }).click();
}

test("a project from draft to approval, expenses and the edition's budget", async () => {
  // Two people at their desks at once: no sign-out, no second code needed.
  const evaluatorDesk = await watchedPage(browser, satis.base);
  const workerDesk = await watchedPage(browser, satis.base);
  const ev = evaluatorDesk.page;
  const wk = workerDesk.page;

  // The lead entity opens the edition.
  await signInAndEnrol(ev, satis.base, "capofila", passwords.capofila);
  await ev.goto(`${satis.base}/editions`);
  await ev.getByLabel("Nome", { exact: true }).fill("SATIS 2026");
  await ev.getByLabel("Dal").fill("2026-01-01");
  await ev.getByLabel("Al", { exact: true }).fill("2026-12-31");
  await ev.getByLabel("Budget totale").fill("100.000,00");
  await ev.getByRole("button", { name: "Crea" }).click();
  await ev.waitForURL(`${satis.base}/editions`);

  // The case worker: a person, then the project.
  await signInAndEnrol(wk, satis.base, "operatrice", passwords.operatrice);
  await wk.goto(`${satis.base}/cases/new`);
  await wk.getByLabel("Genere").selectOption("female");
  await wk.getByLabel("Nome e cognome").fill("Persona Progetto");
  await wk.getByRole("button", { name: "Apri la presa in carico" }).click();
  await wk.waitForURL(/\/cases\/\d+$/);
  await wk.getByRole("link", { name: "Nuovo progetto individualizzato" }).click();
  await wk.getByLabel("Edizione del progetto").selectOption({ label: "SATIS 2026" });
  await wk.getByLabel("Obiettivi").fill("Autonomia abitativa e lavorativa");
  await wk.getByRole("button", { name: "Crea la bozza" }).click();
  await wk.waitForURL(/\/projects\/\d+$/);
  const projectUrl = wk.url();
  for (const [kind, amount, months] of [["italian_course", "800", ""], ["rent_support", "3.600,00", "12"], ["vocational_course", "1500", ""]]) {
    await wk.locator("#kind").selectOption(kind);
    await wk.locator("#amount").fill(amount);
    await wk.locator("#months").fill(months);
    await wk.getByRole("button", { name: "Aggiungi l'intervento" }).last().click();
    await wk.waitForURL(projectUrl);
  }
  assert.deepEqual(await axeViolations(wk), [], "project draft");
  await wk.getByRole("button", { name: "Presenta all'ente capofila" }).click();
  await wk.waitForURL(projectUrl);

  await ev.goto(projectUrl);
  assert.doesNotMatch(await ev.textContent("main"), /Persona Progetto/);
  assert.deepEqual(await axeViolations(ev), [], "project evaluation");
  await decide(ev, "changes_requested", "Specificare l'ente del corso professionale");
  await ev.waitForURL(projectUrl);

  await wk.goto(projectUrl);
  assert.match(await wk.textContent("#decision-reason"), /corso professionale/);
  await wk.getByRole("button", { name: "Presenta all'ente capofila" }).click();
  await wk.waitForURL(projectUrl);

  // The lead entity grants the rent line less than asked: without a reason it is told so.
  await ev.goto(projectUrl);
  await ev.locator("input[name=grant]").nth(1).fill("3.000,00");
  await decide(ev, "approved", "");
  assert.match(await ev.textContent("[role=alert]"), /scrivi il motivo/);
  await ev.locator("input[name=grant]").nth(1).fill("3.000,00");
  await decide(ev, "approved", "Affitto coperto per dieci mesi");
  await ev.waitForURL(projectUrl);

  await wk.goto(projectUrl);
  await wk.getByRole("button", { name: "Avvia il progetto" }).click();
  await wk.waitForURL(projectUrl);
  const courseRow = wk.locator("tr", { hasText: "Corso di lingua italiana" });
  await courseRow.getByLabel("Spesa (euro)").fill("500");
  await courseRow.getByLabel("Data").fill("2026-03-01");
  await courseRow.getByLabel("Documento").fill("Fattura 12");
  await courseRow.getByRole("button", { name: "Registra la spesa" }).click();
  await wk.waitForURL(projectUrl);
  const row = wk.locator("tr", { hasText: "Corso di lingua italiana" });
  await row.getByLabel("Spesa (euro)").fill("300,01");
  await row.getByLabel("Data").fill("2026-04-01");
  await row.getByRole("button", { name: "Registra la spesa" }).click();
  assert.match(await wk.textContent("[role=alert]"), /supera l'importo approvato/);

  await ev.goto(`${satis.base}/editions`);
  await ev.getByRole("link", { name: "Budget", exact: true }).click();
  assert.match(await ev.textContent("#committed"), /5\.300,00/);
  assert.match(await ev.textContent("#spent"), /500,00/);
  assert.match(await ev.textContent("#available"), /94\.700,00/);
  assert.deepEqual(await axeViolations(ev), [], "budget report");
  assert.deepEqual(evaluatorDesk.problems, []);
  assert.deepEqual(workerDesk.problems, []);
  await evaluatorDesk.context.close();
  await workerDesk.context.close();
});
