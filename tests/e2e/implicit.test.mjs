// Issue 12 in the browser: the département's identity form on /admin (with and without errors, then saved),
// and the pages of implicit decisions at the due date: the usager's dossier after an implicit rejection
// (the button « Demander les motifs du refus », then the date the reasons are due) and after an implicit
// acceptance at the APA flat amount (the attestation's link, the PDF itself), the back office's notice and
// the queue's flag. Every page gets axe (WCAG 2.1 A/AA, 0 violations), a visible focus on every Tab stop,
// the skip link, reflow at 320 px and text at 200 %, and screenshots at 1280 and 320 px.
//
// The due dates are moved into the past in the server's SQLite file (`sqlite3`: nothing else can make a
// request four months old in a test), then `guichet implicit` records the decisions as the server's hourly
// task would.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import {
  ACCOUNTS,
  DESKTOP,
  NARROW,
  ZOOM,
  checkA11y,
  checkErrorSummary,
  checkFocusVisible,
  checkReflow,
  checkSkipLink,
  checkTextZoom,
  launchBrowser,
  loggedInContext,
  login,
  screenshot,
  visit,
  pageChecks,
  runGuichet,
  serverSql as sql,
} from './lib.mjs';
import { clickAndWait, walkProcedure } from './demarches.mjs';


let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const path = (page) => new URL(page.url()).pathname;

const checkPage = pageChecks();

/** A timestamp as diesel stores it in SQLite. */
const stamp = (d) => d.toISOString().replace('T', ' ').replace('Z', '').replace(/\.\d+$/, '');
const days = (n) => n * 24 * 3600 * 1000;

function hasSqlite3() {
  try {
    execFileSync('sqlite3', ['-version']);
    return true;
  } catch {
    if (process.env.CI) throw new Error('sqlite3 is required by implicit.test.mjs in CI (apt-get install sqlite3)');
    return false;
  }
}

test('the département’s identity on /admin: errors, then saved', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.admin);
  const page = await context.newPage();
  try {
    await visit(page, '/admin');
    if (path(page) !== '/admin') {
      // Another file may have logged the admin out (keyboard.test.mjs): log in again.
      await login(page, ACCOUNTS.admin);
      await visit(page, '/admin');
    }
    const phone = await page.inputValue('#identite-telephone');
    await page.fill('#identite-nom', '');
    await page.fill('#identite-courriel', 'pas-une-adresse');
    let r = await clickAndWait(page, 'main form[action="/admin/identite"] button[type=submit]');
    assert.equal(r.status(), 422);
    assert.match(await page.title(), /^Erreur : /);
    assert.equal(await page.inputValue('#identite-courriel'), 'pas-une-adresse', 'the typed value is kept');
    await checkPage(t, page, {
      kind: 'errors',
      fields: ['identite-nom', 'identite-courriel'],
      name: 'admin-identite-erreurs',
      label: 'administration, identity of the département with errors',
    });

    // Saved: the success message, then the values as they were (other files read the demo identity).
    await visit(page, '/admin');
    await page.fill('#identite-telephone', '01 43 93 93 93');
    r = await clickAndWait(page, 'main form[action="/admin/identite"] button[type=submit]');
    assert.equal(r.status(), 200);
    assert.equal(path(page) + new URL(page.url()).search, '/admin?identite=enregistree');
    assert.match(await page.locator('#identite-enregistree').innerText(), /Identité du département enregistrée/);
    assert.equal(await page.inputValue('#identite-telephone'), '01 43 93 93 93');
    await checkPage(t, page, { name: 'admin-identite-enregistree', label: 'administration, identity saved' });
    await visit(page, '/mentions-legales');
    assert.match(await page.locator('main').innerText(), /Téléphone : 01 43 93 93 93/);
    await visit(page, '/admin');
    await page.fill('#identite-telephone', phone);
    r = await clickAndWait(page, 'main form[action="/admin/identite"] button[type=submit]');
    assert.equal(r.status(), 200);
  } finally {
    await context.close();
  }
});

test('implicit decisions: the usager’s dossier and the back office', async (t) => {
  if (!hasSqlite3()) {
    t.skip('sqlite3 is not installed: the due dates cannot be moved into the past');
    return;
  }
  const usager = await loggedInContext(browser, ACCOUNTS.usager);
  const u = await usager.newPage();
  let mdph;
  let apa;
  try {
    // An MDPH request and an APA request, filed through the pages.
    mdph = await walkProcedure(u, 'mdph', { emptyFirst: false });
    apa = await walkProcedure(u, 'apa', { emptyFirst: false });
    t.diagnostic(`MDPH ${mdph.number}, APA ${apa.number}`);
    // Both are past their due date; the APA one was recorded complete two months before (CASF L232-14).
    const now = Date.now();
    sql(`UPDATE dossiers SET due_at = '${stamp(new Date(now - days(2)))}' WHERE id = '${mdph.dossier}'`);
    const due = new Date(now - days(3));
    const complete = new Date(due);
    complete.setUTCMonth(complete.getUTCMonth() - 2);
    const deposited = new Date(complete.getTime() - days(5));
    sql(
      `UPDATE dossiers SET deposited_at = '${stamp(deposited)}', complete_at = '${stamp(complete)}', due_at = '${stamp(due)}' WHERE id = '${apa.dossier}'`,
    );
    // On the server's own database, whatever the caller's environment says (as scripts/e2e starts it).
    const out = runGuichet(['implicit']);
    for (const n of [mdph.number, apa.number]) assert.match(out, new RegExp(`décision implicite\\t${n}`), out);

    // ---- The implicit rejection: the usager may ask the reasons.
    await visit(u, `/dossiers/${mdph.dossier}`);
    const block = u.locator('#decision-implicite');
    assert.match(await block.innerText(), /Décision implicite de rejet le/);
    await checkPage(t, u, { name: 'dossier-refus-implicite', label: 'usager’s dossier, implicit rejection' });
    let r = await clickAndWait(u, '#decision-implicite form button[type=submit]');
    assert.equal(r.status(), 200);
    assert.equal(path(u), `/dossiers/${mdph.dossier}`);
    assert.match(await block.innerText(), /Vous avez demandé les motifs du refus le .* au plus tard le/);
    assert.equal(await u.locator('#decision-implicite form').count(), 0, 'asked once');
    await checkPage(t, u, { name: 'dossier-refus-implicite-motifs', label: 'usager’s dossier, reasons of the implicit rejection asked' });

    // ---- The implicit acceptance at the flat amount: the attestation.
    await visit(u, `/dossiers/${apa.dossier}`);
    const link = u.locator('#decision-implicite a', { hasText: 'Télécharger l’attestation de décision implicite (PDF)' });
    assert.equal(await link.count(), 1);
    assert.match(await u.locator('#decision-implicite').innerText(), /montant forfaitaire de .* par mois/);
    await checkPage(t, u, { name: 'dossier-acceptation-implicite', label: 'usager’s dossier, implicit acceptance (APA flat amount)' });
    const pdf = await usager.request.get(new URL(await link.getAttribute('href'), u.url()).href);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
  } finally {
    await usager.close();
  }

  // ---- The back office: the notice on the dossier, the flag in the queue.
  for (const [account, id, name, label, pattern] of [
    [ACCOUNTS.instructeurMdph, mdph.dossier, 'instruction-dossier-refus-implicite', 'back office, implicit rejection with reasons asked', /Décision implicite de rejet le[\s\S]*L’usager a demandé les motifs/],
    [ACCOUNTS.instructeurApa, apa.dossier, 'instruction-dossier-acceptation-implicite', 'back office, implicit acceptance (L232-14 warning)', /Décision implicite d’acceptation le[\s\S]*L232-14/],
  ]) {
    const context = await loggedInContext(browser, account);
    const page = await context.newPage();
    try {
      await visit(page, `/instruction/dossiers/${id}`);
      assert.match(await page.locator('#decision-implicite').innerText(), pattern);
      await checkPage(t, page, { name, label });
      if (account === ACCOUNTS.instructeurMdph) {
        await visit(page, '/instruction');
        assert.match(await page.locator('main table').innerText(), /Décision implicite de rejet le/);
        await checkPage(t, page, { name: 'instruction-file-implicite', label: 'queue with an implicit decision flagged' });
      }
    } finally {
      await context.close();
    }
  }
});
