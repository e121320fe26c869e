// The back office, in the browser: the instructor journey and every back-office page checked as pages.mjs's
// pages are (axe-core WCAG 2.1 A/AA with 0 violations, a visible focus on every Tab stop, the skip link,
// reflow at 320 px, text at 200 %; in error states, the error summary: focused, linking to each field,
// each link moving the focus there). Screenshots of each page at 1280 and 320 px go to target/e2e/.
//
// The journey, with one browser context per actor (logging out revokes every session of an account: nobody
// logs out here, and the usager is the shared demo usager):
//   1. the usager files an APA request (demarches.mjs's robot);
//   2. the instructor (APA) finds it in the queue by its number, opens it, takes it; the action forms are
//      each sent empty once (a right's decision, close, complement, message: their error states);
//   3. asks for a complement (a missing document and a message): email to the usager;
//   4. the usager sees the request on the dossier page, adds a document on the documents step and sends
//      the complement;
//   5. the instructor finds the dossier still with them, « En instruction », flagged « complément reçu »
//      (never a second take); sends the APA right's decision without a motivation (error state), then grants
//      it with an amount, a period, a motivation and the confirmation box; the other rights the answers
//      requested are decided too: the dossier is decided, email to the usager;
//   6. the usager sees the decision and downloads the letter (PDF);
//   7. messages both ways, with an attachment each (and each side's empty-message error state).
// Then the queue's tabs, a filtered view, the statistics, the open data, and the administration page
// (and its error states) as the admin.
//
// Each page met is a subtest named after the page: a failing check does not stop the journey.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
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
  newContext,
  screenshot,
  url,
  visit,
  waitForEmail,
  pageChecks,
} from './lib.mjs';
import { clickAndWait, errorMessages, fileBytes, walkProcedure } from './demarches.mjs';

/**
 * The pages this file checks, by name (also the screenshots' names): the back office in each state, its
 * error states, and the usager's dossier page in the states only the back office can bring. They need a
 * dossier in a given state, so they are checked where the journey meets them rather than in pages.mjs;
 * the last test fails if one of them was not met. `-details-ouverts` / `-details-fermes`: the same page
 * with every `<details>` (the action forms) opened / closed.
 */
const PAGES_BACKOFFICE = [
  'instruction-file', // the queue, "À traiter"
  'instruction-file-recherche', // searched by dossier number
  'instruction-file-complement', // "Complément demandé", searched
  'instruction-file-onglet-1', // each tab: À traiter, En instruction, Complément demandé, Traités, Tous
  'instruction-file-onglet-2',
  'instruction-file-onglet-3',
  'instruction-file-onglet-4',
  'instruction-file-onglet-5',
  'instruction-file-filtre', // filtered: procedure, due date, mine
  'instruction-file-vide', // a search that finds nothing
  'instruction-dossier-depose', // the dossier, filed
  'instruction-dossier-depose-details-ouverts',
  'instruction-dossier-en-instruction', // taken: every action form
  'instruction-dossier-en-instruction-details-ouverts',
  'instruction-dossier-droit-erreurs', // each action sent empty
  'instruction-dossier-classer-erreurs',
  'instruction-dossier-complement-erreurs',
  'instruction-dossier-message-erreurs',
  'instruction-dossier-complement', // complement asked
  'instruction-dossier-complement-details-ouverts',
  'instruction-dossier-complement-recu', // the complement answered, back with its instructor
  'instruction-dossier-decision-erreurs', // a right's decision without a motivation
  'instruction-dossier-decide', // decided
  'instruction-dossier-messages', // decided, messages both ways with attachments
  'instruction-lot-erreurs', // a batch action sent without its action nor a dossier
  'instruction-lot', // the report of a batch action
  'instruction-statistiques',
  'donnees', // open data (public)
  'admin',
  'admin-agent-erreurs',
  'admin-service-erreurs',
  'dossier-complement', // the usager's dossier: a complement asked
  'dossier-complement-demande', // the page listing only what was asked
  'dossier-decision', // a decision
  'dossier-message', // a message with an attachment from the service
  'dossier-message-erreurs', // an empty message
  'dossier-piece-jointe-erreurs', // an attachment of a refused type
];
const checked = new Set();

let browser;
let usager;
let instructeur;
before(async () => {
  browser = await launchBrowser();
  usager = await loggedInContext(browser, ACCOUNTS.usager);
  instructeur = await loggedInContext(browser, ACCOUNTS.instructeurApa);
});
after(async () => {
  await usager?.close();
  await instructeur?.close();
  await browser?.close();
});

const path = (page) => new URL(page.url()).pathname;

const checkPage = pageChecks({ pages: PAGES_BACKOFFICE, listName: 'PAGES_BACKOFFICE', checked, closedVariant: true });

/** The value shown for `term` in the page's summary list (État, Affecté à…). */
const summaryValue = (page, term) =>
  page.evaluate((term) => {
    for (const div of document.querySelectorAll('main .liste-resume > div')) {
      if (div.querySelector('dt')?.textContent.trim() === term) return div.querySelector('dd')?.textContent.trim() ?? '';
    }
    return null;
  }, term);

/** Opens the `<details>` holding the action form `action` (prendre, complement, accepter…) with a click on its summary. */
async function openAction(page, action) {
  const details = page.locator(`main details:has(> form[action$="/actions/${action}"])`);
  if (!(await details.evaluate((d) => d.open))) await details.locator('> summary').click();
  assert.ok(await details.evaluate((d) => d.open), `the "${action}" action did not open`);
}

/** Opens the `<details>` holding the decision form of the right `code`. */
async function openRight(page, code) {
  const details = page.locator(`main details:has(> form[action$="/droits/${code}/decision"])`);
  if (!(await details.evaluate((d) => d.open))) await details.locator('> summary').click();
  assert.ok(await details.evaluate((d) => d.open), `the decision form of "${code}" did not open`);
}

/** Sends the decision form of the right `code` as it is; returns the response. */
async function sendRight(page, code) {
  return clickAndWait(page, `main form[action$="/droits/${code}/decision"] button[type=submit]`);
}

/** The codes of the rights whose decision form is on the page. */
const openRights = (page) =>
  page.locator('main form[action*="/droits/"][action$="/decision"]').evaluateAll((fs) =>
    fs.map((f) => f.getAttribute('action').replace(/^.*\/droits\/([^/]+)\/decision$/, '$1')),
  );

/** Sends the action form `action` as it is; returns the response. */
async function sendAction(page, action) {
  return clickAndWait(page, `main form[action$="/actions/${action}"] button[type=submit]`);
}

/**
 * The newest email to `to` written after `since` whose text matches `pattern` (other emails to the same
 * address, e.g. the deposit receipt, may be written by the background worker in between).
 */
async function emailMatching(to, since, pattern, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await waitForEmail(to, { since, timeoutMs: Math.max(200, deadline - Date.now()) });
      if (pattern.test(last.text) || pattern.test(last.headers.subject || '')) return last;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) assert.fail(`no email to ${to} matching ${pattern} since ${new Date(since).toISOString()}; the newest: ${last?.headers.subject}\n${last?.text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** In the queue: goes to the tab labelled `tab`, searches `number`, and returns the rows' links. */
async function searchQueue(page, tab, number) {
  await visit(page, '/instruction');
  const tabLink = page.locator('main nav[aria-label="États des dossiers"] a', { hasText: tab });
  assert.equal(await tabLink.count(), 1, `no tab "${tab}" in the queue`);
  await clickAndWait(page, `main nav[aria-label="États des dossiers"] a[href="${await tabLink.getAttribute('href')}"]`);
  assert.equal(await page.locator('main a[aria-current=page]').innerText().then((s) => s.replace(/\s*\(\d+\)$/, '').trim()), tab);
  await page.fill('#recherche', number);
  const r = await clickAndWait(page, 'main form.filtres button[type=submit]');
  assert.equal(r.status(), 200);
  return page.locator('main table tbody a[href^="/instruction/dossiers/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
}

/** A small file for setInputFiles. */
const file = (name, mimeType) => ({ name, mimeType, buffer: fileBytes(mimeType) });

const USAGER = ACCOUNTS.usager.email;
/** The states as the summary list says them (crates/dossiers/src/lifecycle.rs, State::label). */
const DEPOSE = 'Envoyé : en attente de prise en charge';
const EN_INSTRUCTION = 'En cours d’examen';
const COMPLEMENT_DEMANDE = 'En instruction : complément demandé, en attente de l’usager';
const COMPLEMENT_RECU = 'En instruction : complément reçu';
const DECIDE = 'Décision rendue';
const AMOUNT = '1 201,61';

describe('back office: the instructor journey', () => {
  test('a request filed, asked for a complement, completed by the usager, accepted; the letter downloaded; messages both ways', async (t) => {
    const u = await usager.newPage();
    const i = await instructeur.newPage();
    try {
      // ---- 1. The usager files an APA request.
      const { dossier, number } = await walkProcedure(u, 'apa', { emptyFirst: false });
      const back = `/instruction/dossiers/${dossier}`;
      t.diagnostic(`dossier ${number} (${dossier})`);

      // ---- 2. The instructor finds it by its number in "À traiter" and opens it.
      await visit(i, '/instruction');
      assert.equal(await i.locator('main a[aria-current=page]').count(), 1, 'no current tab in the queue');
      await checkPage(t, i, { name: 'instruction-file', label: 'queue (À traiter)' });
      const found = await searchQueue(i, 'À traiter', number);
      assert.deepEqual(found, [back], `searching ${number} in "À traiter" did not find just the dossier`);
      await checkPage(t, i, { name: 'instruction-file-recherche', label: 'queue, searched by dossier number' });
      await clickAndWait(i, `main table a[href="${back}"]`);
      assert.equal(path(i), back);
      assert.match(await i.locator('h1').innerText(), new RegExp(number));
      assert.equal(await summaryValue(i, 'État'), DEPOSE);
      await checkPage(t, i, { name: 'instruction-dossier-depose', label: 'back-office dossier, filed (déposé)', details: true });

      // Takes it.
      await visit(i, back);
      let r = await clickAndWait(i, 'main form[action$="/actions/prendre"] button[type=submit]');
      assert.equal(r.status(), 200);
      assert.equal(path(i), back);
      assert.equal(await summaryValue(i, 'État'), EN_INSTRUCTION);
      for (const action of ['complement', 'classer']) {
        assert.equal(await i.locator(`main form[action$="/actions/${action}"]`).count(), 1, `no "${action}" form on the dossier in instruction`);
      }
      assert.ok((await openRights(i)).includes('apa_domicile'), 'no decision form for the APA right');
      await checkPage(t, i, { name: 'instruction-dossier-en-instruction', label: 'back-office dossier, in instruction (action forms closed)', details: true });

      // Each action form sent empty: its error state.
      await visit(i, back);
      await openRight(i, 'apa_domicile');
      r = await sendRight(i, 'apa_domicile');
      assert.equal(r.status(), 422, `an empty decision answered ${r.status()}`);
      assert.equal(await summaryValue(i, 'État'), EN_INSTRUCTION);
      await checkPage(t, i, {
        kind: 'errors',
        fields: ['droit-apa_domicile-decision', 'droit-apa_domicile-motivation', 'droit-apa_domicile-confirmation'],
        name: 'instruction-dossier-droit-erreurs',
        label: 'back-office dossier, a decision sent empty',
      });
      for (const [action, fields, what] of [
        ['classer', ['classer-motif'], 'close without a reason'],
        ['complement', ['complement-pieces'], 'ask for a complement without anything'],
      ]) {
        await visit(i, back);
        await openAction(i, action);
        r = await sendAction(i, action);
        assert.equal(r.status(), 422, `${what} answered ${r.status()}`);
        assert.equal(await summaryValue(i, 'État'), EN_INSTRUCTION);
        await checkPage(t, i, { kind: 'errors', fields, name: `instruction-dossier-${action}-erreurs`, label: `back-office dossier, ${what}` });
      }
      await visit(i, back);
      r = await clickAndWait(i, 'main form[action$="/messages"] button[type=submit]');
      assert.equal(r.status(), 422, `an empty message answered ${r.status()}`);
      await checkPage(t, i, { kind: 'errors', fields: ['message'], name: 'instruction-dossier-message-erreurs', label: 'back-office dossier, empty message' });

      // ---- 3. Asks for a complement: a missing document and a message.
      await visit(i, back);
      await openAction(i, 'complement');
      const missing = (await i.locator('label[for="piece-0"]').innerText()).trim();
      assert.ok(missing, 'no missing document to tick');
      await i.check('#piece-0');
      const request = 'Merci d’envoyer aussi le verso de votre pièce d’identité.';
      await i.fill('#complement-message', request);
      let since = Date.now();
      r = await sendAction(i, 'complement');
      assert.equal(r.status(), 200, `asking for a complement answered ${r.status()}: ${(await errorMessages(i)).join(' | ')}`);
      assert.equal(path(i), back);
      assert.equal(await summaryValue(i, 'État'), COMPLEMENT_DEMANDE, 'a complement asked for keeps the dossier en instruction');
      assert.match(await i.locator('main .encart').innerText(), new RegExp(missing));
      let mail = await emailMatching(USAGER, since, /compl[ée]t/i);
      assert.match(mail.text, new RegExp(number), 'the complement email does not give the dossier number');
      assert.match(mail.text, new RegExp(missing), 'the complement email does not list the missing document');
      assert.match(mail.text, new RegExp(`/dossiers/${dossier}`), 'the complement email does not link to the dossier');
      await checkPage(t, i, { name: 'instruction-dossier-complement', label: 'back-office dossier, complement asked', details: true });
      assert.deepEqual(await searchQueue(i, 'Complément demandé', number), [back], 'the dossier is not in "Complément demandé"');
      await checkPage(t, i, { name: 'instruction-file-complement', label: 'queue (Complément demandé), searched' });

      // ---- 4. The usager sees the request, adds a document and sends the complement.
      await visit(u, `/dossiers/${dossier}`);
      const box = u.locator('main #complement');
      assert.equal(await box.count(), 1, 'the usager does not see the complement request');
      assert.match(await box.innerText(), new RegExp(missing));
      assert.match(await box.innerText(), new RegExp(request));
      await checkPage(t, u, { name: 'dossier-complement', label: 'usager: dossier with a complement request' });
      await visit(u, `/dossiers/${dossier}`);
      await clickAndWait(u, 'main #complement a.bouton');
      assert.equal(path(u), `/dossiers/${dossier}/complement`, `"Compléter mon dossier" led to ${u.url()}`);
      assert.match(await u.locator('main').innerText(), /À faire/);
      await checkPage(t, u, { name: 'dossier-complement-demande', label: 'usager: only what the service asked' });
      await visit(u, `/dossiers/${dossier}/complement`);
      await clickAndWait(u, 'main ol.taches a');
      assert.equal(path(u), `/dossiers/${dossier}/etapes/pieces`);
      const before = await u.locator('main .fichiers__element').count();
      await u.locator('#piece_identite').setInputFiles(file('piece-identite-verso.png', 'image/png'));
      r = await clickAndWait(u, 'main button[value="televerser:piece_identite"]');
      assert.equal(r.status(), 200, `adding the document answered ${r.status()}: ${(await errorMessages(u)).join(' | ')}`);
      assert.equal(await u.locator('main .fichiers__element').count(), before + 1, 'the document was not added');
      assert.match(await u.locator('main').innerText(), /piece-identite-verso\.png/);
      r = await clickAndWait(u, 'main button[name=action][value=continuer]');
      assert.equal(r.status(), 200);
      assert.equal(path(u), `/dossiers/${dossier}/complement`, 'the step did not come back to the complement page');
      assert.match(await u.locator('main').innerText(), /Fait/);
      const send = u.locator('main form[action$="/renvoyer"] button[type=submit]');
      assert.equal((await send.innerText()).trim(), 'Envoyer les compléments');
      r = await clickAndWait(u, 'main form[action$="/renvoyer"] button[type=submit]');
      assert.equal(r.status(), 200, `sending the complement answered ${r.status()}: ${(await errorMessages(u)).join(' | ')}`);
      assert.equal(path(u), `/dossiers/${dossier}`);
      assert.equal(await u.locator('main #complement').count(), 0, 'the complement request is still shown after sending it');

      // ---- 5. The dossier is still the instructor's, en instruction, flagged: no second take (review bug 3).
      assert.deepEqual(await searchQueue(i, 'En instruction', number), [back], 'the completed dossier is not « En instruction »');
      assert.deepEqual(await searchQueue(i, 'À traiter', number), [], 'the completed dossier went back to « À traiter »');
      await visit(i, back);
      assert.match(await i.locator('main').innerText(), /piece-identite-verso\.png/, 'the instructor does not see the added document');
      assert.equal(await summaryValue(i, 'État'), COMPLEMENT_RECU);
      assert.equal(await i.locator('main form[action$="/actions/prendre"]').count(), 0, 'a second « take » is offered');
      assert.doesNotMatch(await summaryValue(i, 'Affecté à'), /^Agent$/, 'bug 12: « Affecté à : Agent »');
      await checkPage(t, i, { name: 'instruction-dossier-complement-recu', label: 'back-office dossier, complement received' });
      await visit(i, back);
      await openRight(i, 'apa_domicile');
      await i.check('#droit-apa_domicile-accord');
      await i.fill('#droit-apa_domicile-montant', AMOUNT);
      await i.check('#droit-apa_domicile-confirmation');
      r = await sendRight(i, 'apa_domicile');
      assert.equal(r.status(), 422, `granting without a motivation answered ${r.status()}`);
      assert.equal(await i.locator('#droit-apa_domicile-montant').inputValue(), AMOUNT, 'the amount typed was lost');
      assert.doesNotMatch(await i.locator('main').innerText(), /missing field/, 'bug 4: a developer error on the page');
      await checkPage(t, i, { kind: 'errors', fields: ['droit-apa_domicile-motivation'], name: 'instruction-dossier-decision-erreurs', label: 'back-office dossier, a decision without a motivation' });
      await visit(i, back);
      await openRight(i, 'apa_domicile');
      await i.check('#droit-apa_domicile-accord');
      await i.fill('#droit-apa_domicile-montant', AMOUNT);
      await i.fill('#droit-apa_domicile-debut', '01/12/2026');
      await i.fill('#droit-apa_domicile-fin', '31/12/2028');
      await i.fill('#droit-apa_domicile-motivation', 'Plan d’aide accepté : 30 heures d’aide à domicile par mois.');
      await i.check('#droit-apa_domicile-confirmation');
      since = Date.now();
      r = await sendRight(i, 'apa_domicile');
      assert.equal(r.status(), 200, `granting answered ${r.status()}: ${(await errorMessages(i)).join(' | ')}`);
      // The other rights the answers asked (a CMI on the APA form): decided without object.
      for (const code of await openRights(i)) {
        await openRight(i, code);
        await i.check(`#droit-${code}-sans_objet`);
        await i.fill(`#droit-${code}-motivation`, 'Carte déjà détenue.');
        await i.check(`#droit-${code}-confirmation`);
        r = await sendRight(i, code);
        assert.equal(r.status(), 200, `deciding ${code} answered ${r.status()}: ${(await errorMessages(i)).join(' | ')}`);
      }
      assert.equal(path(i), back);
      assert.equal(await summaryValue(i, 'État'), DECIDE);
      mail = await emailMatching(USAGER, since, /décision/i);
      assert.match(mail.text, new RegExp(number), 'the decision email does not give the dossier number');
      assert.match(mail.text, new RegExp(`/dossiers/${dossier}`), 'the decision email does not link to the dossier');
      await checkPage(t, i, { name: 'instruction-dossier-decide', label: 'back-office dossier, decided', details: true });
      assert.deepEqual(await searchQueue(i, 'Traités', number), [back], 'the decided dossier is not in "Traités"');

      // ---- 6. The usager sees the decision and downloads the letter.
      await visit(u, `/dossiers/${dossier}`);
      const decision = await u.locator('main').innerText();
      assert.match(decision, /Décision : votre demande est accordée/);
      assert.match(decision, /Accordée : 1[\s\u00a0\u202f]201,61[\s\u00a0]€ par mois du 1er décembre 2026 au 31 décembre 2028/);
      assert.doesNotMatch(decision, /Réponse attendue/, 'a decided dossier still shows « Réponse attendue »');
      assert.match(decision, new RegExp(AMOUNT.replace(' ', '[\\s\\u00a0\\u202f]')), `the usager does not see the amount ${AMOUNT}`);
      await checkPage(t, u, { name: 'dossier-decision', label: 'usager: dossier with a decision' });
      await visit(u, `/dossiers/${dossier}`);
      const letter = await u.request.get(url(`/dossiers/${dossier}/decision.pdf`));
      assert.equal(letter.status(), 200);
      assert.match(letter.headers()['content-type'], /^application\/pdf/);
      assert.equal((await letter.body()).subarray(0, 5).toString('latin1'), '%PDF-');
      const [download] = await Promise.all([u.waitForEvent('download'), u.locator(`main a[href="/dossiers/${dossier}/decision.pdf"]`).click()]);
      assert.match(download.suggestedFilename(), /\.pdf$/);

      // ---- 7. Messages both ways, with attachments.
      await visit(i, back);
      await i.fill('#message', 'Voici la notification détaillée de votre plan d’aide.');
      await i.locator('#piece_jointe').setInputFiles(file('plan-d-aide.pdf', 'application/pdf'));
      since = Date.now();
      r = await clickAndWait(i, 'main form[action$="/messages"] button[type=submit]');
      assert.equal(r.status(), 200, `the instructor's message answered ${r.status()}: ${(await errorMessages(i)).join(' | ')}`);
      await emailMatching(USAGER, since, /message/i);
      await visit(u, `/dossiers/${dossier}`);
      const attachment = u.locator('main a', { hasText: 'plan-d-aide.pdf' });
      assert.equal(await attachment.count(), 1, 'the usager does not see the attachment');
      const got = await u.request.get(url(await attachment.getAttribute('href')));
      assert.equal(got.status(), 200);
      assert.match(got.headers()['content-type'], /^application\/pdf/);
      await checkPage(t, u, { name: 'dossier-message', label: 'usager: dossier with a message and an attachment' });
      await visit(u, `/dossiers/${dossier}`);
      r = await clickAndWait(u, 'main form[action$="/messages"] button[type=submit]');
      assert.equal(r.status(), 422, `an empty message of the usager answered ${r.status()}`);
      await checkPage(t, u, { kind: 'errors', fields: ['message'], name: 'dossier-message-erreurs', label: 'usager: dossier, empty message' });
      await visit(u, `/dossiers/${dossier}`);
      await u.locator('#piece_jointe').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Pas un document accepté.\n') });
      r = await clickAndWait(u, 'main form[action$="/messages"] button[type=submit]');
      assert.equal(r.status(), 422, `an attachment of a refused type answered ${r.status()}`);
      await checkPage(t, u, { kind: 'errors', fields: ['piece_jointe'], name: 'dossier-piece-jointe-erreurs', label: 'usager: dossier, attachment of a refused type' });
      await visit(u, `/dossiers/${dossier}`);
      await u.fill('#message', 'Merci, voici mon relevé d’identité bancaire.');
      await u.locator('#piece_jointe').setInputFiles(file('rib.pdf', 'application/pdf'));
      r = await clickAndWait(u, 'main form[action$="/messages"] button[type=submit]');
      assert.equal(r.status(), 200, `the usager's message answered ${r.status()}: ${(await errorMessages(u)).join(' | ')}`);
      await visit(i, back);
      assert.equal(await i.locator('main a', { hasText: 'rib.pdf' }).count(), 1, 'the instructor does not see the usager’s attachment');
      await checkPage(t, i, { name: 'instruction-dossier-messages', label: 'back-office dossier, decided, with messages and attachments' });
    } finally {
      await u.close();
      await i.close();
    }
  });
});

describe('back office: the other pages', () => {
  test('the queue: each tab, a filtered view', async (t) => {
    const page = await instructeur.newPage();
    try {
      await visit(page, '/instruction');
      const tabs = await page.locator('main nav[aria-label="États des dossiers"] a').evaluateAll((as) =>
        as.map((a) => ({ href: a.getAttribute('href'), label: a.textContent.replace(/\s*\(\d+\)\s*$/, '').trim() })),
      );
      assert.deepEqual(tabs.map((x) => x.label), ['À traiter', 'En instruction', 'Complément demandé', 'Traités', 'Tous']);
      for (const [n, tab] of tabs.entries()) {
        await visit(page, tab.href);
        assert.equal(await page.locator('main a[aria-current=page]').getAttribute('href'), tab.href);
        await checkPage(t, page, { name: `instruction-file-onglet-${n + 1}`, label: `queue, tab "${tab.label}"` });
      }
      await visit(page, '/instruction');
      // The other filters wait behind « Plus de filtres »: opened by a click, as a person does.
      await page.click('main details.filtres__plus > summary');
      await page.check('#procedure-apa');
      await page.selectOption('#echeance', '30');
      await page.check('#a_moi');
      await clickAndWait(page, 'main form.filtres button[type=submit]');
      const q = new URL(page.url()).searchParams;
      assert.equal(q.get('procedure'), 'apa');
      assert.equal(q.get('a_moi'), '1');
      assert.equal(await page.locator('#a_moi').isChecked(), true, 'the filter form does not keep its values');
      await checkPage(t, page, { name: 'instruction-file-filtre', label: 'queue, filtered (APA, due within 30 days, mine)' });
      await visit(page, '/instruction?recherche=personne-introuvable-zzz');
      assert.match(await page.locator('main').innerText(), /Aucun dossier ne correspond/);
      await checkPage(t, page, { name: 'instruction-file-vide', label: 'queue, a search that finds nothing' });
      // A batch action: sent without an action nor a dossier (its error page, the text kept), then a note on
      // the first dossier of the list, done and reported dossier by dossier.
      await visit(page, '/instruction?onglet=traites');
      await page.fill('#lot-texte', 'Relu pour le contrôle interne');
      await clickAndWait(page, '#lot button[type=submit]');
      assert.deepEqual(await errorMessages(page), [
        'Cochez au moins un dossier dans la liste, ou choisissez « tous les dossiers de la liste »',
        'Choisissez l’action à faire sur les dossiers',
      ]);
      assert.equal(await page.inputValue('#lot-texte'), 'Relu pour le contrôle interne');
      await checkErrorSummary(page);
      await checkPage(t, page, { name: 'instruction-lot-erreurs', label: 'batch action, sent incomplete' });
      await visit(page, '/instruction?onglet=traites');
      const first = await page.locator('main input[name=dossier]').first().getAttribute('value');
      await page.check(`#choisir-${first}`);
      await page.selectOption('#lot-action', 'note');
      await page.fill('#lot-texte', 'Relu pour le contrôle interne');
      await clickAndWait(page, '#lot button[type=submit]');
      assert.match(path(page), /^\/instruction\/lots\//);
      assert.match(await page.locator('#lot-etat').innerText(), /Terminée : 1 dossier fait, 0 refusé, sur 1/);
      await checkPage(t, page, { name: 'instruction-lot', label: 'batch action, its report' });
      // The CSV export of the current view.
      await visit(page, '/instruction?onglet=traites');
      const csv = await page.request.get(url(await page.locator('main a[href^="/instruction/export.csv"]').getAttribute('href')));
      assert.equal(csv.status(), 200);
      assert.match(csv.headers()['content-type'], /csv/);
      // The spreadsheet of the filtered view (one procedure: every answer), downloaded as a person does and
      // opened: a ZIP holding the workbook.
      await visit(page, '/instruction?procedure=apa');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('main a[href^="/instruction/export.xlsx"]'),
      ]);
      assert.equal(download.suggestedFilename(), 'dossiers.xlsx');
      const xlsx = await readFile(await download.path());
      assert.equal(xlsx.subarray(0, 2).toString(), 'PK');
      assert.ok(xlsx.includes(Buffer.from('xl/worksheets/sheet1.xml')), 'a workbook with a sheet');
    } finally {
      await page.close();
    }
  });

  test('statistics and open data', async (t) => {
    const page = await instructeur.newPage();
    try {
      await visit(page, '/instruction/statistiques');
      await checkPage(t, page, { name: 'instruction-statistiques', label: 'statistics' });
    } finally {
      await page.close();
    }
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await visit(page, '/donnees');
      await checkPage(t, page, { name: 'donnees', label: 'open data (anonymous)' });
    } finally {
      await context.close();
    }
  });

  // The admin account is also used by keyboard.test.mjs, which logs it out (revoking every session): if the
  // session went, log in again.
  test('administration and its error states', async (t) => {
    const context = await loggedInContext(browser, ACCOUNTS.admin);
    try {
      const page = await context.newPage();
      const open = async () => {
        await visit(page, '/admin');
        if (path(page) !== '/admin') {
          await login(page, ACCOUNTS.admin);
          await visit(page, '/admin');
        }
        assert.equal(path(page), '/admin');
      };
      await open();
      assert.match(await page.locator('h1').innerText(), /Administration/);
      await checkPage(t, page, { name: 'admin', label: 'administration' });
      await open();
      let r = await clickAndWait(page, 'main form[action="/admin/membres"] button[type=submit]');
      assert.equal(r.status(), 422, `adding an agent without an address answered ${r.status()}`);
      await checkPage(t, page, { kind: 'errors', fields: ['email'], name: 'admin-agent-erreurs', label: 'administration, agent added without an address' });
      await open();
      await page.fill('#email', 'personne.inconnue@exemple.test');
      r = await clickAndWait(page, 'main form[action="/admin/membres"] button[type=submit]');
      assert.equal(r.status(), 422, `adding an unknown account answered ${r.status()}`);
      assert.match(await errorMessages(page).then((m) => m.join(' ')), /Aucun compte/);
      await open();
      r = await clickAndWait(page, 'main form[action="/admin/services"] button[type=submit]');
      assert.equal(r.status(), 422, `creating a service without a code answered ${r.status()}`);
      await checkPage(t, page, { kind: 'errors', fields: ['code'], name: 'admin-service-erreurs', label: 'administration, service created without a code' });
    } finally {
      await context.close().catch(() => {});
    }
  });
});

test('every back-office page was checked', () => {
  const missing = PAGES_BACKOFFICE.filter((n) => !checked.has(n));
  assert.deepEqual(missing, [], 'pages of PAGES_BACKOFFICE that no test met (a journey step failed before?)');
});
