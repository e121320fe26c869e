// The public simulators as an older person (or a relative) uses them: the result first in one sentence,
// the calculation in a disclosure, « Je ne connais pas mon GIR » answered with the keyboard only, the plan
// estimated from hours of help, the PCH activities ticked from the référentiel, « Faire la demande » with
// the answers carried into each aid's draft, Améthyste for Paris sent to Paris, and the same without
// JavaScript. No answer (date of birth, income) ever appears in a URL: every URL a page went to is kept
// and checked, with the tab's history.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ACCOUNTS,
  launchBrowser,
  loggedInContext,
  newContext,
  pageChecks,
  submitMainForm,
  tabTo,
  visit,
} from './lib.mjs';

/** The pages this file checks (and the screenshots' names); the last test fails if one was not met. */
const PAGES_SIMULATORS = [
  'simulateur-apa-formulaire',
  'simulateur-apa-questionnaire-gir',
  'simulateur-apa-questionnaire-gir-erreurs',
  'simulateur-apa-resultat-phrase',
  'simulateur-apa-resultat-phrase-details-ouverts',
  'simulateur-apa-gir-5',
  'simulateur-apa-gir-5-details-ouverts',
  'simulateur-pch-activites',
  'simulateur-pch-resultat',
  'simulateur-pch-resultat-details-ouverts',
  'simulateur-amethyste-paris',
  'simulateur-amethyste-paris-details-ouverts',
];
const checked = new Set();
const checkPage = pageChecks({ pages: PAGES_SIMULATORS, listName: 'PAGES_SIMULATORS', checked });

/** What a person types that must never reach a URL. */
const PERSONAL = ['1941', '27%2F03', '27/03', '21600', '21+600', '21%20600', '21 600'];

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

/** Records every document URL the page navigates to, for the no-personal-data check. */
function trackUrls(page) {
  const urls = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) urls.push(f.url());
  });
  page.on('request', (r) => {
    if (r.isNavigationRequest()) urls.push(r.url());
  });
  return urls;
}

async function assertNoPersonalData(page, urls) {
  urls.push(page.url());
  for (const u of urls) {
    for (const p of PERSONAL) assert.ok(!decodeURIComponent(u).includes(p.replace(/%2F/g, '/')) && !u.includes(p), `${p} in ${u}`);
  }
  // The history entries are the URLs above; going back must not resurface a URL with answers either.
  assert.ok((await page.evaluate(() => history.length)) >= 1);
}

const main = (page) => page.locator('main').innerText();

/** Presses a key on the focused element and waits for the page it submits to. */
async function pressAndWait(page, key) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press(key)]);
  return res;
}

/** Selects a radio of a group with the keyboard: Tab into the group, then arrows to `value`. */
async function chooseWithKeyboard(page, name, value) {
  if (!(await page.evaluate((n) => document.activeElement?.name === n, name))) {
    await tabTo(page, `input[name="${name}"]`, { max: 80 });
  }
  for (let i = 0; i < 8; i++) {
    if (await page.evaluate(([n, v]) => document.activeElement?.name === n && document.activeElement?.value === v, [name, value])) {
      await page.keyboard.press('Space');
      return;
    }
    await page.keyboard.press('ArrowRight');
  }
  assert.fail(`${name}=${value} not reached with the arrows`);
}

/** A grid of a person who needs help for most gestures: GIR 3 with the evaluation's algorithm. */
const GIR_3 = {
  aggir_coherence: 'A',
  aggir_orientation: 'A',
  aggir_toilette: 'C',
  aggir_habillage: 'C',
  aggir_alimentation: 'B',
  aggir_elimination: 'B',
  aggir_transferts: 'B',
  aggir_deplacements_interieur: 'B',
  aggir_deplacements_exterieur: 'C',
  aggir_alerter: 'A',
};

for (const javaScriptEnabled of [true, false]) {
  const variant = javaScriptEnabled ? '' : ' (JavaScript disabled)';
  test(`APA: unknown GIR and plan, with the keyboard only, the result in one sentence${variant}`, async (t) => {
    const context = await newContext(browser, { javaScriptEnabled });
    try {
      const page = await context.newPage();
      const urls = trackUrls(page);
      await visit(page, '/simulateurs/apa');
      if (javaScriptEnabled) await checkPage(t, page, { name: 'simulateur-apa-formulaire', label: 'APA simulator form' });
      await visit(page, '/simulateurs/apa');
      await tabTo(page, '#date_naissance');
      await page.keyboard.type('27/03/1941');
      await chooseWithKeyboard(page, 'gir', 'inconnu');
      await tabTo(page, '#heures_aide');
      await page.keyboard.type('40');
      await tabTo(page, '#revenus_annuels');
      await page.keyboard.type('21 600');
      await pressAndWait(page, 'Enter');
      assert.match(await page.locator('h1').innerText(), /Estimer le GIR/);
      if (javaScriptEnabled) await checkPage(t, page, { name: 'simulateur-apa-questionnaire-gir', label: 'GIR questionnaire' });

      // Sent half answered: the errors, the answers kept.
      await chooseWithKeyboard(page, 'aggir_coherence', 'A');
      await tabTo(page, 'button[type=submit]');
      let res = await pressAndWait(page, 'Enter');
      assert.equal(res.status(), 422);
      assert.match(await main(page), /Répondez à la question « S’habiller et se déshabiller »/);
      if (javaScriptEnabled) {
        await checkPage(t, page, {
          name: 'simulateur-apa-questionnaire-gir-erreurs',
          label: 'GIR questionnaire, half answered',
          kind: 'errors',
          fields: Object.keys(GIR_3).slice(1),
        });
      }
      assert.ok(await page.locator('#aggir_coherence').isChecked(), 'answer kept');
      for (const [name, value] of Object.entries(GIR_3)) await chooseWithKeyboard(page, name, value);
      await tabTo(page, 'button[type=submit]');
      res = await pressAndWait(page, 'Enter');
      assert.equal(res.status(), 200);

      const text = await main(page);
      assert.match(text, /Vous pourriez recevoir environ [\d\s\u202f\u00a0]+ € par mois pour payer l’aide à domicile\./);
      assert.match(text, /Il resterait environ [\d\s\u202f\u00a0]+ € par mois à votre charge\./);
      assert.match(text, /le GIR serait le GIR 3/);
      // The 2026 national minimum tariff of home-help services: 25,00 € from 2026-01-01.
      assert.match(text, /1 000,00 € par mois : 40 heures à 25,00 €/);
      const details = page.locator('main details.detail-calcul');
      assert.equal(await details.getAttribute('open'), null, 'the calculation is folded');
      assert.equal(await page.locator('main details.detail-calcul dd.montant').first().isVisible(), false);
      if (javaScriptEnabled) {
        await checkPage(t, page, { name: 'simulateur-apa-resultat-phrase', label: 'APA result', details: true });
      }
      // « Modifier mes réponses » brings the form back filled in, still without a URL carrying them.
      await tabTo(page, 'button[value=modifier]', { max: 80 });
      await pressAndWait(page, 'Enter');
      assert.equal(await page.locator('#revenus_annuels').inputValue(), '21 600');
      assert.ok(await page.locator('#gir-inconnu').isChecked());
      await assertNoPersonalData(page, urls);
    } finally {
      await context.close();
    }
  });
}

test('APA GIR 5: says why and what else to ask for, no table of zeros and no request', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await visit(page, '/simulateurs/apa');
    await page.check('#gir-5');
    await page.fill('#plan', '1500');
    await submitMainForm(page, 200);
    const text = await main(page);
    assert.match(text, /l’APA ne pourrait pas être accordée/);
    assert.match(text, /caisse de retraite/);
    assert.equal(await page.locator('main dd.montant').count(), 0);
    assert.equal(await page.locator('main form[action$="/demande"]').count(), 0);
    await checkPage(t, page, { name: 'simulateur-apa-gir-5', label: 'APA result, GIR 5', details: true });
  } finally {
    await context.close();
  }
});

test('PCH: activities ticked in fieldsets, hours per day, then the request gets them', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  try {
    const page = await context.newPage();
    const urls = trackUrls(page);
    await visit(page, '/simulateurs/pch');
    assert.equal(await page.locator('main input[name^="activite_"]').count(), 57);
    assert.ok((await page.locator('main fieldset.groupe--section').count()) >= 8, 'questions grouped in fieldsets');
    await checkPage(t, page, { name: 'simulateur-pch-activites', label: 'PCH simulator with the activities' });
    await page.fill('#date_naissance', '12/05/1980');
    await page.check('#activite_se_laver-absolue');
    await page.check('#activite_marcher-grave');
    await page.fill('#heures_prestataire_jour', '2,5');
    await page.fill('#aides_techniques', '3000');
    await submitMainForm(page, 200);
    assert.match(await main(page), /Vous pourriez recevoir environ [\d\s\u202f\u00a0]+ € par mois de PCH\./);
    await checkPage(t, page, { name: 'simulateur-pch-resultat', label: 'PCH result', details: true });
    await Promise.all([page.waitForNavigation(), page.locator('main form[action$="/demande"] button').click()]);
    const draft = new URL(page.url()).pathname.split('/')[2];
    await visit(page, `/dossiers/${draft}/etapes/elements`);
    assert.ok(await page.locator('input[value="aide_humaine"]').isChecked());
    assert.ok(await page.locator('input[value="aides_techniques"]').isChecked());
    await visit(page, `/dossiers/${draft}/etapes/aide_humaine`);
    assert.equal(await page.locator('#heures_par_jour').inputValue(), '2,5', 'the same hours per day');
    await assertNoPersonalData(page, urls);
  } finally {
    await context.close();
  }
});

test('Faire la demande carries the answers into the first steps of APA, Améthyste and AAH', async () => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  try {
    const page = await context.newPage();
    const urls = trackUrls(page);
    const file = async () => {
      await Promise.all([page.waitForNavigation(), page.locator('main form[action$="/demande"] button').click()]);
      return new URL(page.url()).pathname.split('/')[2];
    };
    // APA: date of birth and income.
    await visit(page, '/simulateurs/apa');
    await page.fill('#date_naissance', '27/03/1941');
    await page.check('#gir-2');
    await page.fill('#plan', '1500');
    await page.fill('#revenus_annuels', '21 600');
    await submitMainForm(page, 200);
    let draft = await file();
    await visit(page, `/dossiers/${draft}/etapes/identite`);
    assert.match(await page.locator('main').innerHTML(), /value="1941"/);
    await visit(page, `/dossiers/${draft}/etapes/ressources`);
    assert.match(await page.locator('main').innerHTML(), /value="21600"/);

    // Améthyste (93, this département): category, tax status, arrival date.
    await visit(page, '/simulateurs/amethyste');
    await page.check('input[name=departement][value="93"]');
    await page.fill('#date_naissance', '01/01/1950');
    await page.check('input[name=imposable][value=non]');
    await page.fill('#residence_mois', '48');
    await submitMainForm(page, 200);
    assert.match(await main(page), /il serait gratuit/);
    draft = await file();
    await visit(page, `/dossiers/${draft}/etapes/categorie`);
    assert.ok(await page.locator('input[value="seniors"]').isChecked());
    await visit(page, `/dossiers/${draft}/etapes/impots`);
    assert.ok(await page.locator('input[name=imposable][value=non]').isChecked());

    // AAH: an MDPH draft with the date of birth.
    await visit(page, '/simulateurs/aah');
    await page.fill('#date_naissance', '12/05/1985');
    await page.fill('#taux_incapacite', '80');
    await submitMainForm(page, 200);
    assert.match(await main(page), /décidée par la CDAPH, à la MDPH, puis versée par la CAF ou la MSA/);
    draft = await file();
    assert.match(page.url(), /\/dossiers\//);
    await assertNoPersonalData(page, urls);
  } finally {
    await context.close();
  }
});

test('anonymous « Faire la demande »: log in, back to the result, no answer in any URL', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const urls = trackUrls(page);
    await visit(page, '/simulateurs/apa');
    await page.fill('#date_naissance', '27/03/1941');
    await page.check('#gir-2');
    await page.fill('#plan', '1500');
    await page.fill('#revenus_annuels', '21 600');
    await submitMainForm(page, 200);
    const sentence = await page.locator('main .resultat').innerText();
    await Promise.all([page.waitForNavigation(), page.locator('main form[action$="/demande"] button').click()]);
    assert.equal(new URL(page.url()).pathname, '/connexion');
    await page.fill('#email', ACCOUNTS.usager.email);
    await page.fill('#mot_de_passe', ACCOUNTS.usager.password);
    await submitMainForm(page, 200);
    assert.equal(new URL(page.url()).pathname, '/simulateurs/apa/resultat');
    assert.equal(await page.locator('main .resultat').innerText(), sentence, 'the same result after login');
    await Promise.all([page.waitForNavigation(), page.locator('main form[action$="/demande"] button').click()]);
    assert.match(page.url(), /\/dossiers\//);
    await assertNoPersonalData(page, urls);
  } finally {
    await context.close();
  }
});

test('Améthyste for Paris: says to ask Paris, links to its site, never opens this form', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await visit(page, '/simulateurs/amethyste');
    await page.check('input[name=departement][value="75"]');
    await page.fill('#date_naissance', '01/01/1950');
    await submitMainForm(page, 200);
    const text = await main(page);
    assert.match(text, /La demande se fait auprès de Paris/);
    assert.equal(await page.locator('main a[href="https://www.paris.fr"]').count(), 1);
    assert.equal(await page.locator('main form[action$="/demande"]').count(), 0);
    await checkPage(t, page, { name: 'simulateur-amethyste-paris', label: 'Améthyste result for Paris', details: true });
  } finally {
    await context.close();
  }
});

test('every page of PAGES_SIMULATORS was checked', () => {
  assert.deepEqual([...checked].sort(), [...PAGES_SIMULATORS].sort());
});
