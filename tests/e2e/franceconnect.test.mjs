// Logging in with FranceConnect v2 against the loopback provider scripts/e2e starts
// (tests/e2e/fake-franceconnect.mjs): a new account opened with the identity received, an existing account
// joined only after its password, the logout at the provider, and a login cancelled at FranceConnect. Each
// page checked like the others (axe-core, focus, reflow at 320 px, text at 200 %).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, launchBrowser, newContext, pageChecks, submitMainForm, visit } from './lib.mjs';
import { clickAndWait } from './demarches.mjs';

const FC = process.env.GUICHET_E2E_FC_URL;
let browser;
before(async () => {
  // scripts/e2e starts the loopback provider: without it these journeys would pass by testing nothing.
  assert.ok(FC, 'GUICHET_E2E_FC_URL is not set: run the browser suite through scripts/e2e');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const checkPage = pageChecks();

// The loopback provider's person is FranceConnect's test identity (Angela Claire Louise DUBOIS): only the
// email and the identifier change here.
const person = (email, sub) => ({ email, sub });

async function next(what) {
  const r = await fetch(`${FC}/test/next`, { method: 'POST', body: JSON.stringify(what) });
  assert.equal(r.status, 200);
}

test('a new account with FranceConnect, then the logout at FranceConnect', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await visit(page, '/connexion');
    assert.match(await page.locator('.franceconnect').innerText(), /S’identifier avec\s+FranceConnect/);
    await checkPage(t, page, { name: 'connexion-franceconnect', label: 'login page with the FranceConnect button' });
    await next({ person: person(`angela.${Date.now()}@exemple.fr`, `sub-${Date.now()}`) });
    await clickAndWait(page, 'a.franceconnect__bouton');
    assert.equal(new URL(page.url()).pathname, '/mes-dossiers', `ended on ${page.url()}`);
    await visit(page, '/compte');
    assert.match(await page.locator('main').innerText(), /Angela DUBOIS/);
    // Filing for herself, she finds her identity on the form, said to come from FranceConnect.
    await visit(page, '/demarches/apa');
    await clickAndWait(page, 'main form button[type=submit]');
    assert.match(new URL(page.url()).pathname, /\/etapes\/pour_qui$/);
    await page.check('#demande_pour');
    await clickAndWait(page, 'main form button[name=action][value=continuer]');
    assert.match(new URL(page.url()).pathname, /\/etapes\/identite$/);
    assert.equal(await page.inputValue('#nom_naissance'), 'DUBOIS');
    assert.equal(await page.inputValue('#prenoms'), 'Angela Claire Louise');
    assert.equal(await page.inputValue('#date_naissance\\.annee'), '1962');
    assert.equal(await page.locator('.champ__source').count(), 5);
    assert.match(await page.getAttribute('#nom_naissance', 'aria-describedby'), /nom_naissance-source/);
    await checkPage(t, page, { name: 'apa-identite-franceconnect', label: 'APA identity step prefilled by FranceConnect' });
    // « Se déconnecter » goes through FranceConnect's logout and back home, logged out.
    await clickAndWait(page, 'header form[action="/deconnexion"] button');
    assert.equal(new URL(page.url()).pathname, '/');
    await visit(page, '/compte');
    assert.equal(new URL(page.url()).pathname, '/connexion');
  } finally {
    await context.close();
  }
});

test('an existing account is joined only after its password', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await next({ person: person(ACCOUNTS.usager.email, `sub-usager-${Date.now()}`) });
    await visit(page, '/connexion');
    await clickAndWait(page, 'a.franceconnect__bouton');
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/connexion?relier=franceconnect');
    assert.match(await page.locator('main').innerText(), /Un compte Guichet existe déjà/);
    await checkPage(t, page, { name: 'connexion-relier-franceconnect', label: 'login page asking the password to join FranceConnect' });
    await page.fill('#email', ACCOUNTS.usager.email);
    await page.fill('#mot_de_passe', ACCOUNTS.usager.password);
    await submitMainForm(page, 200);
    assert.equal(new URL(page.url()).pathname, '/mes-dossiers');
  } finally {
    await context.close();
  }
});

test('a login cancelled at FranceConnect', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await next({ error: 'access_denied' });
    await visit(page, '/connexion');
    await clickAndWait(page, 'a.franceconnect__bouton');
    assert.match(await page.locator('h1').innerText(), /La connexion avec FranceConnect n’a pas abouti/);
    assert.match(await page.locator('main').innerText(), /Vous avez annulé la connexion/);
    await checkPage(t, page, { name: 'franceconnect-annule', label: 'FranceConnect login cancelled' });
  } finally {
    await context.close();
  }
});

test('an account opened with FranceConnect is closed after identifying again with FranceConnect', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const who = person(`fermeture.${Date.now()}@exemple.fr`, `sub-fermeture-${Date.now()}`);
    await next({ person: who });
    await visit(page, '/connexion');
    await clickAndWait(page, 'a.franceconnect__bouton');
    await visit(page, '/compte/supprimer');
    await checkPage(t, page, { name: 'compte-supprimer-franceconnect', label: 'closing an account joined to FranceConnect' });
    await next({ person: who });
    await clickAndWait(page, 'main a.bouton--secondaire[href^="/connexion/franceconnect"]');
    assert.equal(new URL(page.url()).pathname, '/compte/supprimer');
    assert.match(await page.locator('main').innerText(), /Vous vous êtes identifié à nouveau avec FranceConnect/);
    await checkPage(t, page, { name: 'compte-supprimer-confirme', label: 'closing confirmed by FranceConnect' });
    await submitMainForm(page, 200);
    assert.equal(new URL(page.url()).pathname, '/compte/supprime');
  } finally {
    await context.close();
  }
});
