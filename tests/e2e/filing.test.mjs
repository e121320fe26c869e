// The usager's filing journey (issue 13, review 2026-12 §1 bugs 1, 2 and 6): « Enregistrer et reprendre
// plus tard » saves the page as typed and says where the draft is; « Continuer ma demande » resumes at the
// first unfinished step; a draft is deleted after a confirmation; a request sent is withdrawn and the
// instructor sees it; the commune is chosen from its postal code's official list and shown by name
// (a select without JavaScript, a datalist with it, keyboard only); computed values are no question and
// not in the recap; the MDPH rights step shows the list of the person's age only; a follow-up question
// appears with its answer (script) and without JavaScript is ignored when its condition is false.
// Every page met gets axe, visible focus, reflow at 320 px, text at 200 % and screenshots.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, launchBrowser, loggedInContext, pageChecks, url, visit } from './lib.mjs';
import { CONTINUE, clickAndWait, walkProcedure } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const checkPage = pageChecks();
const SAVE = 'main form button[name=action][value=enregistrer]';
const path = (page) => new URL(page.url()).pathname;

/** Starts an APA request and answers « Pour qui » (`proche`): ends on « Vos coordonnées ». */
async function startApa(page) {
  await visit(page, '/demarches/apa');
  await clickAndWait(page, 'main form button[type=submit]');
  const dossier = path(page).split('/')[2];
  await page.locator('input[name=demande_pour][value=proche]').check();
  await clickAndWait(page, CONTINUE);
  assert.match(path(page), /\/etapes\/personne_qui_remplit$/);
  return dossier;
}

test('save and return: the page is saved as typed, the draft found in « Mes dossiers », resumed where it stopped, then deleted', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  const page = await context.newPage();
  const dossier = await startApa(page);
  await page.fill('#remplisseur_nom', 'Marie Exemple');
  await page.fill('#remplisseur_lien', 'fille');
  await page.fill('#remplisseur_telephone', '12'); // not a phone number: kept as typed all the same
  const r = await clickAndWait(page, SAVE);
  assert.equal(r.status(), 200);
  assert.equal(path(page), `/dossiers/${dossier}/enregistre`);
  const saved = await page.locator('main').innerText();
  assert.match(saved, /Votre demande est enregistrée/);
  assert.match(saved, /« Mes dossiers »/);
  assert.equal(await page.locator('main a[href="/mes-dossiers"]').count(), 1);
  await checkPage(t, page, { name: 'filing-enregistre', label: 'draft saved for later' });

  // Later: « Mes dossiers », the draft, « Continuer ma demande ».
  await visit(page, '/mes-dossiers');
  await clickAndWait(page, `main a[href="/dossiers/${dossier}"]`);
  assert.match(await page.locator('main').innerText(), /Brouillon/);
  await clickAndWait(page, 'main a.bouton:has-text("Continuer ma demande")');
  assert.equal(path(page), `/dossiers/${dossier}/etapes/personne_qui_remplit`, 'resumes at the first unfinished step');
  assert.equal(await page.inputValue('#remplisseur_nom'), 'Marie Exemple');
  assert.equal(await page.inputValue('#remplisseur_lien'), 'fille');
  assert.equal(await page.inputValue('#remplisseur_telephone'), '12');

  // Delete it: a confirmation page first, « Non » keeps it.
  await visit(page, `/dossiers/${dossier}`);
  await clickAndWait(page, 'main a:has-text("Supprimer ce brouillon")');
  assert.equal(path(page), `/dossiers/${dossier}/supprimer`);
  assert.match(await page.locator('h1').innerText(), /Supprimer ce brouillon/);
  await checkPage(t, page, { name: 'filing-supprimer-confirmation', label: 'delete a draft: confirmation' });
  await clickAndWait(page, 'main button:has-text("Oui, supprimer ce brouillon")');
  assert.match(await page.locator('h1').innerText(), /Votre brouillon est supprimé/);
  await checkPage(t, page, { name: 'filing-supprime', label: 'draft deleted' });
  await visit(page, `/dossiers/${dossier}`, 404);
  await context.close();
});

test('withdraw a request sent: confirmation, « Demande retirée » for the usager and the instructor', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  const page = await context.newPage();
  const { dossier, number } = await walkProcedure(page, 'apa', { emptyFirst: false });
  await visit(page, `/dossiers/${dossier}`);
  await clickAndWait(page, 'main a:has-text("Retirer ma demande")');
  assert.equal(path(page), `/dossiers/${dossier}/retirer`);
  await checkPage(t, page, { name: 'filing-retirer-confirmation', label: 'withdraw a request: confirmation' });
  await clickAndWait(page, 'main button:has-text("Oui, retirer ma demande")');
  assert.match(await page.locator('h1').innerText(), /Votre demande est retirée/);
  await visit(page, `/dossiers/${dossier}`);
  const main = await page.locator('main').innerText();
  assert.match(main, /État\s*Demande retirée/);
  assert.match(main, /Vous avez retiré cette demande/);
  assert.match(main, /Demande retirée/);
  assert.equal(await page.locator('main a:has-text("Retirer ma demande")').count(), 0);
  await checkPage(t, page, { name: 'filing-dossier-retire', label: 'dossier withdrawn (usager)' });
  await visit(page, '/mes-dossiers');
  assert.match(await page.locator(`main tr:has-text("${number}")`).innerText(), /Demande retirée/);
  await context.close();

  const staff = await loggedInContext(browser, ACCOUNTS.instructeurApa);
  const i = await staff.newPage();
  await visit(i, `/instruction?onglet=traites&recherche=${encodeURIComponent(number)}`);
  assert.match(await i.locator(`main tr:has-text("${number}")`).innerText(), /Demande retirée par le demandeur/);
  await visit(i, `/instruction/dossiers/${dossier}`);
  assert.match(await i.locator('main').innerText(), /Demande retirée par le demandeur/);
  await staff.close();
});

// The select is the server's page (the same without JavaScript: the script only refreshes its options).
test('commune: a select of the postal code’s communes once it is known, the name everywhere, never the INSEE code', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  const page = await context.newPage();
  await startApa(page);
  await page.fill('#remplisseur_nom', 'Marie Exemple');
  await page.fill('#remplisseur_lien', 'fille');
  await page.fill('#remplisseur_telephone', '0612345678');
  await clickAndWait(page, CONTINUE);
  const identite = path(page);
  // « Adresse et contact » is after « Identité »: go there directly, as « Modifier » would.
  const coordonnees = identite.replace(/etapes\/[^/]+$/, 'etapes/coordonnees');
  await visit(page, coordonnees);
  assert.equal(await page.locator('input#commune').count(), 1, 'a text input before the postal code is known');
  assert.equal(await page.locator('select#commune').count(), 0);
  await page.fill('#adresse', '1 rue de la République');
  await page.fill('#code_postal', '93140');
  await page.fill('#commune', 'Bondy');
  await page.fill('#telephone', '12');
  let r = await clickAndWait(page, CONTINUE);
  assert.equal(r.status(), 422);
  // After an error elsewhere: the commune is in a select of 93140's communes, Bondy chosen, by name.
  const select = page.locator('select#commune');
  assert.equal(await select.count(), 1, 'a select once the postal code is known');
  assert.equal(await select.inputValue(), '93010');
  assert.equal(await select.evaluate((el) => el.options[el.selectedIndex].textContent.trim()), 'Bondy');
  assert.doesNotMatch(await page.locator('main').innerText(), /93010/);
  await checkPage(t, page, { name: 'filing-commune-select', label: 'address step, commune in its postal code’s list (no JavaScript)' });
  // A postal code without the commune chosen: the list of the new code, and a message.
  await page.fill('#code_postal', '93200');
  await page.fill('#telephone', '0612345678');
  r = await clickAndWait(page, CONTINUE);
  assert.equal(r.status(), 422);
  // Without JavaScript the page says the commune is not one of 93200's; with it the list was already
  // refreshed as the postal code changed, and the commune is to choose again.
  assert.match(await page.locator('.resume-erreurs').innerText(), /commune/);
  const names = await page.locator('select#commune').evaluate((el) => [...el.options].map((o) => o.textContent.trim()));
  assert.ok(names.includes('Saint-Denis'), names.join(', '));
  await page.locator('select#commune').selectOption({ label: 'Saint-Denis' });
  r = await clickAndWait(page, CONTINUE);
  assert.ok(r.status() < 400);
  await visit(page, coordonnees.replace(/etapes\/[^/]+$/, 'verifier'));
  const recap = await page.locator('main').innerText();
  assert.match(recap, /Commune\s*Saint-Denis/);
  assert.doesNotMatch(recap, /93066/);
  await context.close();
});

test('commune with JavaScript, keyboard only: the datalist offers the communes of the postal code typed', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  const page = await context.newPage();
  const dossier = await startApa(page);
  await visit(page, `/dossiers/${dossier}/etapes/coordonnees`);
  await page.locator('#code_postal').focus();
  await page.keyboard.type('93140');
  await page.waitForFunction(() => document.querySelectorAll('#commune-communes option').length > 0);
  const offered = await page.locator('#commune-communes option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(offered, ['Bondy']);
  assert.equal(await page.getAttribute('#commune', 'list'), 'commune-communes');
  // Tab past the postal code's easy-read help, to the commune.
  for (let i = 0; i < 4 && (await page.evaluate(() => document.activeElement.id)) !== 'commune'; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'commune');
  await page.keyboard.type('Bondy');
  await checkPage(t, page, { name: 'filing-commune-datalist', label: 'address step, commune datalist (JavaScript)' });
  await context.close();
});

test('computed values are no question and not in the recap', async () => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  const page = await context.newPage();
  const dossier = await startApa(page);
  await visit(page, `/dossiers/${dossier}/etapes/situation_familiale`);
  const step = await page.locator('main').innerText();
  assert.doesNotMatch(step, /Vie en couple/);
  await page.locator('input[name=situation][value=celibataire]').check();
  await clickAndWait(page, CONTINUE);
  await visit(page, `/dossiers/${dossier}/verifier`);
  const recap = await page.locator('main').innerText();
  assert.match(recap, /Célibataire/);
  assert.doesNotMatch(recap, /Vie en couple/);
  assert.equal(await page.locator('main a[href*="#couple"]').count(), 0);
  await context.close();
});

/** Starts an MDPH request for someone born on `birth` (`jj/mm/aaaa`) and opens « Les droits que vous demandez ». */
async function mdphRights(page, birth) {
  await visit(page, '/demarches/mdph');
  await clickAndWait(page, 'main form button[type=submit]');
  const dossier = path(page).split('/')[2];
  await visit(page, `/dossiers/${dossier}/etapes/a_identite`);
  const [j, m, a] = birth.split('/');
  await page.fill('[id="date_naissance"]', j);
  await page.fill('[id="date_naissance.mois"]', m);
  await page.fill('[id="date_naissance.annee"]', a);
  await clickAndWait(page, SAVE);
  await visit(page, `/dossiers/${dossier}/etapes/e_demandes`);
  return dossier;
}

for (const js of [true, false]) {
  test(`MDPH rights: the list of the person's age only (JavaScript ${js ? 'on' : 'off'})`, async (t) => {
    const context = await loggedInContext(browser, ACCOUNTS.usager, { javaScriptEnabled: js });
    const page = await context.newPage();
    await mdphRights(page, '12/04/1958');
    let main = await page.locator('main').innerText();
    assert.doesNotMatch(main, /AEEH|pour l’enfant/, 'an adult sees no child list');
    assert.doesNotMatch(main, /Personne mineure/);
    if (js) {
      // The adult list follows « Non » to the general question, on the same page.
      assert.equal(await page.locator('input[name=droits_adulte]').first().isVisible(), false);
      await page.locator('input[name=demande_generique][value=non]').check();
      await page.waitForFunction(() => !document.querySelector('main form[aria-busy="true"]'));
      await page.locator('input[name=droits_adulte][value=aah]').waitFor({ state: 'visible' });
      await page.locator('input[name=demande_generique][value=oui]').check();
      await page.waitForFunction(() => !document.querySelector('main form[aria-busy="true"]'));
      await page.locator('input[name=droits_adulte][value=aah]').waitFor({ state: 'hidden' });
      await checkPage(t, page, { name: 'filing-mdph-droits-adulte', label: 'MDPH rights, adult (conditional reveal)' });
    } else {
      assert.match(main, /Allocation aux adultes handicapés/);
    }
    await mdphRights(page, '12/04/2016');
    main = await page.locator('main').innerText();
    if (!js) assert.match(main, /AEEH/);
    assert.doesNotMatch(main, /adultes handicapés|RQTH/, 'a child sees no adult list');
    if (js) {
      await page.locator('input[name=demande_generique][value=non]').check();
      await page.locator('input[name=droits_enfant][value=aeeh]').waitFor({ state: 'visible' });
    } else {
      // An answer of a list that does not apply is ignored: « Oui » and a ticked right go on.
      await page.locator('input[name=demande_generique][value=oui]').check();
      await page.locator('input[name=droits_enfant][value=aeeh]').check();
      const r = await clickAndWait(page, CONTINUE);
      assert.ok(r.status() < 400, `still on the step: ${r.status()}`);
    }
    await context.close();
  });
}
