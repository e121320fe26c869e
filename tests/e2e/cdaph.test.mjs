// The MDPH's stages and a sitting of the CDAPH, in the browser (issue 12): the demo usager files an MDPH
// request (demande générique: AAH, RQTH, CMI invalidité, PCH for an adult); the demo MDPH instructor
// takes it, declares it recevable, records the équipe pluridisciplinaire's proposals, creates a sitting
// dated today, puts the dossier on its agenda and enters its decisions on the one entry screen (first with
// a missing motivation: the error state), then signs the CMI as the président du conseil départemental.
//
// Every page of the sittings is checked with axe-core (WCAG 2.1 A/AA, 0 violations) at 1280 and 320 px,
// for reflow at 320 px, and in its error states for the error summary (focus, links to each field); each
// is screenshotted at both widths into target/e2e/ (cdaph-*.png).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ACCOUNTS,
  DESKTOP,
  NARROW,
  checkA11y,
  checkErrorSummary,
  checkReflow,
  launchBrowser,
  loggedInContext,
  screenshot,
  url,
  visit,
} from './lib.mjs';
import { clickAndWait, walkProcedure } from './demarches.mjs';

let browser;
let usager;
let instructeur;
before(async () => {
  browser = await launchBrowser();
  usager = await loggedInContext(browser, ACCOUNTS.usager);
  instructeur = await loggedInContext(browser, ACCOUNTS.instructeurMdph);
});
after(async () => {
  await usager?.close();
  await instructeur?.close();
  await browser?.close();
});

/** axe at 1280 and 320 px, reflow at 320, the error summary first when `fields` is given; screenshots. */
async function checkPage(t, page, name, { fields } = {}) {
  await t.test(name, async () => {
    try {
      if (fields) await checkErrorSummary(page, name, fields);
      await checkA11y(page, `${name} (1280 px)`);
      await page.evaluate(() => document.activeElement?.blur());
      await screenshot(page, name);
      await page.setViewportSize(NARROW);
      await checkA11y(page, `${name} (320 px)`);
      await checkReflow(page, name);
      await screenshot(page, name);
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });
}

const today = () => {
  const d = new Date();
  return `${String(d.getDate()).padStart(2, '0')}/${String(d.getMonth() + 1).padStart(2, '0')}/${d.getFullYear()}`;
};

/** Fills and sends the proposal form of the right `code` on the dossier page. */
async function propose(page, code, { decision, montant, taux, note }) {
  const form = page.locator(`main form[action$="/droits/${code}/proposition"]`);
  const details = page.locator(`main details:has(> form[action$="/droits/${code}/proposition"])`);
  if (!(await details.evaluate((d) => d.open))) await details.locator('> summary').click();
  if (decision) await form.locator(`#proposer-${code}-${decision}`).check();
  if (montant !== undefined) await form.locator(`#proposer-${code}-montant`).fill(montant);
  if (taux) await form.locator(`#proposer-${code}-taux`).selectOption(taux);
  if (note !== undefined) await form.locator(`#proposer-${code}-note`).fill(note);
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').click()]);
  return res;
}

test('an MDPH request through a sitting of the CDAPH', async (t) => {
  // The usager files the request (demande générique, an adult).
  const filing = await usager.newPage();
  const { dossier, number } = await walkProcedure(filing, 'mdph', { emptyFirst: false });
  await filing.close();

  const page = await instructeur.newPage();
  const dossierPath = `/instruction/dossiers/${dossier}`;
  await visit(page, dossierPath);
  assert.equal((await clickAndWait(page, `main form[action$="/actions/prendre"] button`)).status(), 200);
  assert.equal((await clickAndWait(page, `main form[action$="/recevable"] button`)).status(), 200);
  assert.match(await page.locator('main').innerText(), /Recevable : en attente de l’évaluation/);

  // The équipe's proposals: an empty one first (its error state), then each right.
  let res = await propose(page, 'aah', {});
  assert.equal(res.status(), 422);
  await checkPage(t, page, 'cdaph-dossier-proposition-erreurs', { fields: ['proposer-aah-decision', 'proposer-aah-note'] });
  res = await propose(page, 'aah', { decision: 'accord', montant: '1 033,32', taux: 'ge80', note: 'Votre taux d’incapacité est d’au moins 80 %.' });
  assert.equal(res.status(), 200, await page.locator('main').innerText());
  for (const [code, p] of [
    ['rqth', { decision: 'accord', note: 'Votre handicap limite durablement votre accès à l’emploi.' }],
    ['pch', { decision: 'refus', note: 'Aucune activité essentielle n’est réalisée avec une difficulté absolue.' }],
    ['cmi_invalidite', { decision: 'accord', taux: 'ge80', note: 'Votre taux d’incapacité est d’au moins 80 %.' }],
  ]) {
    res = await propose(page, code, p);
    assert.equal(res.status(), 200, `${code}: ${await page.locator('main').innerText()}`);
  }
  await checkPage(t, page, 'cdaph-dossier-propositions');

  // The sittings: the list, its creation form sent empty, then a sitting today.
  await page.locator('header nav a', { hasText: 'Commissions (CDAPH)' }).click();
  await page.waitForURL(url('/instruction/commissions'));
  await checkPage(t, page, 'cdaph-seances');
  res = await clickAndWait(page, 'main form[action="/instruction/commissions"] button[type=submit]');
  assert.equal(res.status(), 422);
  await checkPage(t, page, 'cdaph-seances-erreurs', { fields: ['seance-service', 'seance-date', 'seance-lieu', 'seance-formation'] });
  await page.selectOption('#seance-service', 'mdph');
  await page.fill('#seance-date', today());
  await page.fill('#seance-lieu', 'Hôtel du Département, salle 2');
  await page.check('#seance-formation-pleniere');
  await page.fill('#seance-libelle', 'Adultes');
  res = await clickAndWait(page, 'main form[action="/instruction/commissions"] button[type=submit]');
  assert.equal(res.status(), 200);
  assert.match(new URL(page.url()).pathname, /^\/instruction\/commissions\/[^/]+$/);
  const sessionPath = new URL(page.url()).pathname;
  await checkPage(t, page, 'cdaph-seance');

  // Nothing ticked: the error state; then the dossier, ready, on the agenda.
  res = await clickAndWait(page, 'main form[action$="/dossiers"] button[type=submit]');
  assert.equal(res.status(), 422);
  await checkPage(t, page, 'cdaph-seance-erreurs', { fields: ['ajouter-dossiers'] });
  await page.locator('main form[action$="/dossiers"] label', { hasText: number }).click();
  res = await clickAndWait(page, 'main form[action$="/dossiers"] button[type=submit]');
  assert.equal(res.status(), 200);
  assert.match(await page.locator('#ordre-du-jour + table').innerText(), new RegExp(number));
  await checkPage(t, page, 'cdaph-seance-ordre-du-jour');

  // The entry screen, prefilled from the proposals.
  await clickAndWait(page, 'main a.bouton[href$="/saisie"]');
  await page.waitForURL(url(`${sessionPath}/saisie`));
  assert.equal(await page.inputValue(`[id="s-${dossier}-aah-montant"]`), '1033,32');
  assert.equal(await page.inputValue(`[id="s-${dossier}-pch-decision"]`), 'refus');
  assert.match(await page.locator('main').innerText(), /Les lignes sans erreur sont enregistrées/);
  assert.match(await page.locator('main').innerText(), /À signer par le président du conseil départemental/);
  await checkPage(t, page, 'cdaph-saisie');

  // A refusal without its motivation: the line comes back, nothing of the dossier written.
  await page.fill(`[id="s-${dossier}-aah-debut"]`, '01/01/2027');
  await page.fill(`[id="s-${dossier}-aah-fin"]`, '31/12/2031');
  await page.fill(`[id="s-${dossier}-pch-motivation"]`, '');
  await page.check('#seance-confirmation');
  res = await clickAndWait(page, 'main form[action$="/saisie"] button[type=submit]');
  assert.equal(res.status(), 422);
  await checkPage(t, page, 'cdaph-saisie-erreurs', { fields: [`s-${dossier}-pch-motivation`] });
  assert.equal(await page.inputValue(`[id="s-${dossier}-aah-debut"]`), '01/01/2027', 'what was typed is kept');
  await page.fill(`[id="s-${dossier}-pch-motivation"]`, 'Aucune activité essentielle n’est réalisée avec une difficulté absolue (CASF annexe 2-5).');
  if (!(await page.isChecked('#seance-confirmation'))) await page.check('#seance-confirmation');
  res = await clickAndWait(page, 'main form[action$="/saisie"] button[type=submit]');
  assert.equal(res.status(), 200);
  assert.equal(new URL(page.url()).pathname, sessionPath);
  assert.match(await page.locator('main').innerText(), /Tenue : décisions enregistrées/);
  await checkPage(t, page, 'cdaph-seance-tenue');

  // The président signs the CMI from the dossier page: the dossier is decided.
  await visit(page, dossierPath);
  const cmi = page.locator('main details:has(> form[action$="/droits/cmi_invalidite/decision"])');
  await cmi.locator('> summary').click();
  await page.check('#droit-cmi_invalidite-accord');
  await page.selectOption('#droit-cmi_invalidite-taux', 'ge80');
  await page.fill('#droit-cmi_invalidite-motivation', 'Votre taux d’incapacité est d’au moins 80 %.');
  await page.check('#droit-cmi_invalidite-confirmation');
  res = await clickAndWait(page, 'main form[action$="/droits/cmi_invalidite/decision"] button[type=submit]');
  assert.equal(res.status(), 200);
  assert.match(await page.locator('main').innerText(), /Décision rendue/);
  await page.close();

  // The usager reads each right in plain words, and the stages on the timeline.
  const own = await usager.newPage();
  await visit(own, `/dossiers/${dossier}`);
  const text = await own.locator('main').innerText();
  assert.match(text, /Votre demande est complète : elle est étudiée par l’équipe pluridisciplinaire/);
  assert.match(text, /sera examinée par la commission des droits et de l’autonomie des personnes handicapées \(CDAPH\) le/);
  assert.match(text, /1\s033,32\s€ par mois du 1er janvier 2027 au 31 décembre 2031/);
  assert.match(text, /Refusée/);
  await screenshot(own, 'cdaph-usager-decision');
  await own.close();
});
