// The APA stages in the browser (CASF L232-14, R232-7), every page met checked as instruction.test.mjs
// checks the back office (axe-core WCAG 2.1 A/AA with 0 violations, a visible focus on every Tab stop,
// the skip link, reflow at 320 px, text at 200 %; in error states the error summary: focused, linking to
// each field in order, each link moving the focus there). Screenshots at 1280 and 320 px in target/e2e/.
//
// The journey, one browser context per actor (nobody logs out: the demo usager is shared):
//   1. the usager files an APA request (demarches.mjs's robot);
//   2. the APA instructor takes it; the dossier page says the two months have not started; « Dossier
//      complet » sent with a date in the future (error state), then with today;
//   3. the evaluation page: sent with nothing chosen (error state: each sub-variable named), then the
//      grid filled; the dossier page shows the GIR computed and its explanation;
//   4. the plan page: « Ajouter une ligne » (a sixth line, without JavaScript), a half-filled line (error
//      state), « Calculer les montants », then « Envoyer la proposition à l’usager »;
//   5. the usager reads the plan in plain words; « Je demande des modifications » without words (error
//      state); then « J’accepte ce plan d’aide »;
//   6. the instructor finds the decision prefilled with the plan's APA and a motivation with the GIR, and
//      decides; the other rights (a CMI) without object: the dossier is decided.

import assert from 'node:assert/strict';
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
  screenshot,
  visit,
  waitForEmail,
  pageChecks,
} from './lib.mjs';
import { clickAndWait, errorMessages, walkProcedure } from './demarches.mjs';

/** The pages this file checks (and the screenshots' names); the last test fails if one was not met. */
const PAGES_APA = [
  'apa-dossier-a-completer', // back office: taken, the two months not started, « Dossier complet »
  'apa-dossier-a-completer-details-ouverts',
  'apa-complet-erreurs', // « Dossier complet » with a date in the future
  'apa-usager-a-completer', // the usager: from when the two months run
  'apa-evaluation', // the evaluation page, the AGGIR grid
  'apa-evaluation-erreurs', // sent with nothing chosen
  'apa-dossier-evaluation', // the GIR computed, its explanation
  'apa-dossier-evaluation-details-ouverts',
  'apa-plan', // the care-plan page, five empty lines
  'apa-plan-ligne-ajoutee', // « Ajouter une ligne »
  'apa-plan-erreurs', // a half-filled line
  'apa-plan-montants', // « Calculer les montants »
  'apa-plan-montants-details-ouverts',
  'apa-dossier-plan-propose', // back office: waiting for the usager
  'apa-dossier-plan-propose-details-ouverts',
  'apa-usager-plan', // the usager: the plan and its three answers
  'apa-usager-modifications-erreurs', // changes asked without words
  'apa-usager-plan-accepte', // after « J’accepte »
  'apa-dossier-plan-accepte', // back office: the decision prefilled
  'apa-dossier-plan-accepte-details-ouverts',
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

const checkPage = pageChecks({ pages: PAGES_APA, listName: 'PAGES_APA', checked });

/** `jj/mm/aaaa` of a date. */
const fr = (d) => `${String(d.getDate()).padStart(2, '0')}/${String(d.getMonth() + 1).padStart(2, '0')}/${d.getFullYear()}`;

/** The sub-variables of the grid on the evaluation page, by the name of their radio group. */
const gridGroups = (page) =>
  page.locator('main input[type=radio][name^="apa-"]').evaluateAll((rs) => [...new Set(rs.map((r) => r.name))]);

/** A grid of a person who needs help for most gestures (GIR 1 to 4). */
const MODALITIES = {
  toilette_haut: 'C',
  toilette_bas: 'C',
  habillage_haut: 'C',
  habillage_moyen: 'C',
  habillage_bas: 'C',
  deplacements_exterieur: 'C',
};

/** The text of the error summary's links, for failures. */
const problems = async (page) => (await errorMessages(page)).join(' | ');

describe('APA stages', () => {
  test('dossier complet, evaluation, care plan proposed and accepted online, decision prefilled', async (t) => {
    const u = await usager.newPage();
    const i = await instructeur.newPage();
    try {
      // ---- 1. The usager files an APA request.
      const { dossier, number } = await walkProcedure(u, 'apa', { emptyFirst: false });
      const back = `/instruction/dossiers/${dossier}`;
      t.diagnostic(`dossier ${number} (${dossier})`);

      // ---- 2. Taken; the two months have not started.
      await visit(i, back);
      let r = await clickAndWait(i, 'main form[action$="/actions/prendre"] button[type=submit]');
      assert.equal(r.status(), 200);
      const panel = async () => i.locator('main').innerText();
      assert.match(await panel(), /Le délai légal de deux mois n’a pas commencé/);
      assert.equal(await i.locator('main form[action$="/apa/complet"]').count(), 1, 'no « Dossier complet » form');
      await checkPage(t, i, { name: 'apa-dossier-a-completer', label: 'back office: APA dossier taken, not complete yet', details: true });
      await visit(u, `/dossiers/${dossier}`);
      assert.match(await u.locator('main').innerText(), /Le délai de deux mois court à partir du jour où votre dossier est complet/);
      await checkPage(t, u, { name: 'apa-usager-a-completer', label: 'usager: APA dossier, not complete yet' });

      // « Dossier complet » in the future, then today.
      await visit(i, back);
      const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
      await i.fill('#apa-complet-date', fr(tomorrow));
      r = await clickAndWait(i, 'main form[action$="/apa/complet"] button[type=submit]');
      assert.equal(r.status(), 422, `a complete dossier tomorrow answered ${r.status()}`);
      await checkPage(t, i, { kind: 'errors', fields: ['apa-complet-date'], name: 'apa-complet-erreurs', label: 'back office: « Dossier complet » in the future' });
      await visit(i, back);
      await i.fill('#apa-complet-date', fr(new Date()));
      r = await clickAndWait(i, 'main form[action$="/apa/complet"] button[type=submit]');
      assert.equal(r.status(), 200, `« Dossier complet » answered ${r.status()}: ${await problems(i)}`);
      assert.match(await panel(), /Dossier complet le/);

      // ---- 3. The evaluation: nothing chosen, then the grid.
      await clickAndWait(i, 'main a[href$="/apa/evaluation"]');
      assert.equal(path(i), `${back}/apa/evaluation`);
      const groups = await gridGroups(i);
      assert.equal(groups.length, 17, `the grid has ${groups.length} sub-variables`);
      await checkPage(t, i, { name: 'apa-evaluation', label: 'back office: the evaluation page (AGGIR grid)' });
      await visit(i, `${back}/apa/evaluation`);
      r = await clickAndWait(i, 'main form button[type=submit]');
      assert.equal(r.status(), 422);
      await checkPage(t, i, {
        kind: 'errors',
        fields: ['apa-evaluateur', ...groups],
        name: 'apa-evaluation-erreurs',
        label: 'back office: the evaluation sent with nothing chosen',
      });
      await visit(i, `${back}/apa/evaluation`);
      await i.fill('#apa-evaluateur', 'Inès Martin');
      for (const g of groups) {
        const key = g.replace(/^apa-/, '');
        const m = MODALITIES[key] ?? 'B';
        await i.check(m === 'A' ? `#${g}` : `#${g}-${m}`);
      }
      r = await clickAndWait(i, 'main form button[type=submit]');
      assert.equal(r.status(), 200, `the evaluation answered ${r.status()}: ${await problems(i)}`);
      assert.equal(path(i), back);
      const gir = /GIR (\d)/.exec(await i.locator('main #apa ~ p strong').first().innerText())?.[1];
      assert.ok(['1', '2', '3', '4'].includes(gir), `the GIR shown is ${gir}`);
      // In a closed <details>: its text is there, not rendered.
      assert.match(await i.locator('main').textContent(), /Rang \d+ → GIR/, 'the GIR comes without its explanation');
      await checkPage(t, i, { name: 'apa-dossier-evaluation', label: 'back office: the GIR computed', details: true });

      // ---- 4. The care plan.
      await visit(i, back);
      await clickAndWait(i, 'main a[href$="/apa/plan"]');
      assert.equal(path(i), `${back}/apa/plan`);
      assert.equal(await i.locator('main select[id$="-type"]').count(), 5, 'five empty lines');
      await checkPage(t, i, { name: 'apa-plan', label: 'back office: the care-plan page' });
      await visit(i, `${back}/apa/plan`);
      await i.selectOption('#aide-1-type', 'aide_humaine');
      await i.fill('#aide-1-libelle', 'Aide à la toilette et aux repas');
      await i.fill('#aide-1-quantite', '40');
      await i.fill('#aide-1-prix', '24,58');
      r = await clickAndWait(i, 'main button[value=ajouter]');
      assert.equal(r.status(), 200);
      assert.equal(await i.locator('main select[id$="-type"]').count(), 6, '« Ajouter une ligne » did not add one');
      assert.equal(await i.inputValue('#aide-1-prix'), '24,58', 'the line typed was lost');
      await checkPage(t, i, { name: 'apa-plan-ligne-ajoutee', label: 'back office: the care plan, a line added' });
      await i.fill('#aide-2-libelle', 'Portage');
      r = await clickAndWait(i, 'main button[value=proposer]');
      assert.equal(r.status(), 422);
      await checkPage(t, i, {
        kind: 'errors',
        fields: ['aide-2-type', 'aide-2-quantite', 'aide-2-prix'],
        name: 'apa-plan-erreurs',
        label: 'back office: the care plan with a half-filled line',
      });
      await i.selectOption('#aide-2-type', 'portage');
      await i.fill('#aide-2-libelle', 'Repas du midi');
      await i.fill('#aide-2-quantite', '20');
      await i.fill('#aide-2-prix', '8,50');
      r = await clickAndWait(i, 'main button[value=calculer]');
      assert.equal(r.status(), 200, `« Calculer » answered ${r.status()}: ${await problems(i)}`);
      const amounts = await i.locator('main #montants').innerText();
      const apa = /APA versée\s*([\d\s\u00a0\u202f]+,\d\d)/.exec(amounts)?.[1];
      assert.ok(apa, `no APA amount in ${amounts}`);
      await checkPage(t, i, { name: 'apa-plan-montants', label: 'back office: the care plan, amounts computed', details: true });
      const since = Date.now();
      r = await clickAndWait(i, 'main button[value=proposer]');
      assert.equal(r.status(), 200, `sending the plan answered ${r.status()}: ${await problems(i)}`);
      assert.equal(path(i), back);
      assert.match(await panel(), /En attente de la réponse de l’usager/);
      await checkPage(t, i, { name: 'apa-dossier-plan-propose', label: 'back office: the plan waiting for the usager', details: true });
      const mail = await waitForEmail(ACCOUNTS.usager.email, { since });
      assert.match(mail.headers.subject || '', /plan d’aide/, `the newest email is ${mail.headers.subject}`);

      // ---- 5. The usager reads the plan, asks changes without words, then accepts.
      await visit(u, `/dossiers/${dossier}`);
      const own = await u.locator('main #apa').innerText();
      for (const part of [/Aide humaine : Aide à la toilette et aux repas/, /Votre participation : .* l’APA versée : /, /Répondez avant le|répondez avant le/]) {
        assert.match(own, part);
      }
      for (const b of ['J’accepte ce plan d’aide', 'Je demande des modifications', 'Je refuse']) {
        assert.equal(await u.locator('main #apa button', { hasText: b }).count(), 1, `no « ${b} »`);
      }
      await checkPage(t, u, { name: 'apa-usager-plan', label: 'usager: the care plan to answer' });
      await visit(u, `/dossiers/${dossier}`);
      r = await clickAndWait(u, 'main #apa form:has(input[value=modifications]) button[type=submit]');
      assert.equal(r.status(), 422);
      await checkPage(t, u, { kind: 'errors', fields: ['apa-modifications'], name: 'apa-usager-modifications-erreurs', label: 'usager: changes asked without words' });
      await visit(u, `/dossiers/${dossier}`);
      r = await clickAndWait(u, 'main #apa form:has(input[value=accepte]) button[type=submit]');
      assert.equal(r.status(), 200);
      assert.match(await u.locator('main #apa').innerText(), /Vous avez accepté le plan d’aide/);
      await checkPage(t, u, { name: 'apa-usager-plan-accepte', label: 'usager: the plan accepted' });

      // ---- 6. The decision, prefilled from the plan.
      await visit(i, back);
      const details = i.locator('main details:has(> form[action$="/droits/apa_domicile/decision"])');
      await details.locator('> summary').click();
      const prefilled = await i.inputValue('#droit-apa_domicile-montant');
      assert.equal(prefilled.replace(/\s/g, ''), apa.replace(/[\s\u00a0\u202f]/g, ''), 'the amount is not the plan’s APA');
      assert.match(await i.inputValue('#droit-apa_domicile-motivation'), new RegExp(`GIR ${gir}`));
      await checkPage(t, i, { name: 'apa-dossier-plan-accepte', label: 'back office: the plan accepted, decision prefilled', details: true });
      await visit(i, back);
      await details.locator('> summary').click();
      await i.check('#droit-apa_domicile-accord');
      await i.check('#droit-apa_domicile-confirmation');
      r = await clickAndWait(i, 'main form[action$="/droits/apa_domicile/decision"] button[type=submit]');
      assert.equal(r.status(), 200, `deciding answered ${r.status()}: ${await problems(i)}`);
      const codes = await i
        .locator('main form[action*="/droits/"][action$="/decision"]')
        .evaluateAll((fs) => fs.map((f) => f.getAttribute('action').replace(/^.*\/droits\/([^/]+)\/decision$/, '$1')));
      for (const code of codes) {
        await i.locator(`main details:has(> form[action$="/droits/${code}/decision"]) > summary`).click();
        await i.check(`#droit-${code}-sans_objet`);
        await i.fill(`#droit-${code}-motivation`, 'Carte déjà détenue.');
        await i.check(`#droit-${code}-confirmation`);
        r = await clickAndWait(i, `main form[action$="/droits/${code}/decision"] button[type=submit]`);
        assert.equal(r.status(), 200, `deciding ${code} answered ${r.status()}: ${await problems(i)}`);
      }
      await visit(u, `/dossiers/${dossier}`);
      assert.match(await u.locator('main').innerText(), /Décision : votre demande est accordée/);
    } finally {
      await u.close();
      await i.close();
    }
  });

  test('every APA page was checked', () => {
    assert.deepEqual(PAGES_APA.filter((p) => !checked.has(p)), [], 'pages of PAGES_APA the journey did not meet');
  });
});
