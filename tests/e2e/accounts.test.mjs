// Accounts, as a person meets them (issue 13, « Accounts »; UX walkthrough bug 9): where a login lands,
// a simulation that survives sign-up and the confirmation email, the « message envoyé » page that names
// the address and resends, « Mon compte » (name, address re-confirmed, password, emails, closing the
// account) and « Vos coordonnées » prefilled from the account. Every page met passes axe.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ACCOUNTS,
  checkA11y,
  findLink,
  launchBrowser,
  login,
  newContext,
  submitMainForm,
  visit,
  waitForEmail,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

const PASSWORD = 'une phrase de passe assez longue';
let n = 0;
const freshEmail = (tag) => `e2e.${tag}.${Date.now()}.${process.pid}.${n++}@exemple.test`;
const path = (page) => new URL(page.url()).pathname;
const main = (page) => page.locator('main').innerText();

/** Signs up from the current page's « Créer un compte » link; returns when « message envoyé » shows. */
async function signUpHere(page, { name, email }) {
  await Promise.all([page.waitForNavigation(), page.locator('main a', { hasText: 'Créer un compte' }).first().click()]);
  assert.equal(path(page), '/inscription');
  await page.fill('#nom', name);
  await page.fill('#email', email);
  await page.fill('#mot_de_passe', PASSWORD);
  await submitMainForm(page, 200);
  assert.equal(path(page), '/inscription/message-envoye');
}

/** Signs up a new usager and confirms the address; ends logged in. */
async function newUsager(page, name) {
  const email = freshEmail('compte');
  const since = Date.now() - 1000;
  await visit(page, '/connexion');
  await signUpHere(page, { name, email });
  const mail = await waitForEmail(email, { since });
  await visit(page, findLink(mail.text, '/compte/confirmer'));
  return email;
}

test('login lands on « Mes dossiers » for a usager and on « Instruction » for staff', async () => {
  for (const [account, landing, heading] of [
    [ACCOUNTS.usager, '/mes-dossiers', /Mes dossiers/],
    [ACCOUNTS.instructeurApa, '/instruction', /Instruction|dossiers/i],
  ]) {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await login(page, account);
      assert.equal(path(page), landing, `${account.email} landed on ${page.url()}`);
      assert.match(await page.locator('h1').innerText(), heading);
      // Logged in already, the login page sends there too; a foreign `suite` is ignored.
      await visit(page, '/connexion?suite=https://exemple.invalid/');
      assert.equal(path(page), landing);
    } finally {
      await context.close();
    }
  }
});

test('bug 9: a simulation survives « Créer un compte » and the confirmation email, which logs in', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await visit(page, '/simulateurs/apa');
    await page.fill('#date_naissance', '27/03/1941');
    await page.check('#gir-2');
    await page.fill('#plan', '1500');
    await page.fill('#revenus_annuels', '21 600');
    await submitMainForm(page, 200);
    const sentence = await page.locator('main .resultat').innerText();
    await Promise.all([page.waitForNavigation(), page.locator('main form[action$="/demande"] button').click()]);
    assert.equal(path(page), '/connexion');

    const email = freshEmail('simulation');
    const since = Date.now() - 1000;
    await signUpHere(page, { name: 'Jeanne Martin-Simulée', email });
    await checkA11y(page, 'message envoyé after sign-up');
    const mail = await waitForEmail(email, { since });
    await visit(page, findLink(mail.text, '/compte/confirmer'));
    // Confirmed, logged in, and back on the simulation's result: not on « Mon compte ».
    assert.equal(path(page), '/simulateurs/apa/resultat');
    assert.equal(await page.locator('main .resultat').innerText(), sentence, 'the same result after sign-up');
    assert.equal(await page.locator('header a[href="/connexion"]').count(), 0, 'the confirmation link did not log in');
    await Promise.all([page.waitForNavigation(), page.locator('main form[action$="/demande"] button').click()]);
    const draft = path(page).split('/')[2];
    assert.match(page.url(), /\/dossiers\//);
    // The answers carried over, and the account's address prefills the contact step.
    await visit(page, `/dossiers/${draft}/etapes/identite`);
    assert.match(await page.locator('main').innerHTML(), /value="1941"/);
    await visit(page, `/dossiers/${draft}/etapes/coordonnees`);
    assert.equal(await page.inputValue('#courriel'), email);
  } finally {
    await context.close();
  }
});

test('« message envoyé » names the address and sends the link again; the newest link works', async () => {
  // Plain HTML forms; JavaScript stays on only for axe (nojs-signup.test.mjs walks sign-up without it).
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const email = freshEmail('renvoi');
    const since = Date.now() - 1000;
    await visit(page, '/inscription');
    await page.fill('#nom', 'Paul Renvoi');
    await page.fill('#email', email);
    await page.fill('#mot_de_passe', PASSWORD);
    await submitMainForm(page, 200);
    assert.match(await main(page), new RegExp(`Nous avons envoyé un message à ${email.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(page.url(), /exemple/, 'the address is not in the URL');
    const first = await waitForEmail(email, { since });

    const again = Date.now();
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Renvoyer le message' }).click()]);
    assert.equal(path(page), '/inscription/message-envoye');
    assert.match(await page.locator('[role=status]').innerText(), /nouveau message part maintenant/);
    await checkA11y(page, 'message envoyé, sent again');
    const second = await waitForEmail(email, { since: again });
    assert.notEqual(second.file, first.file, 'a second email');
    await visit(page, findLink(second.text, '/compte/confirmer'));
    assert.equal(path(page), '/mes-dossiers');

    // After a reset request too, the page names the address typed, whatever it is (no enumeration).
    const other = freshEmail('inconnu');
    const anon = await newContext(browser);
    const p2 = await anon.newPage();
    await visit(p2, '/mot-de-passe-oublie');
    await p2.fill('#email', other);
    await submitMainForm(p2, 200);
    assert.match(await main(p2), new RegExp(`Si un compte existe avec l’adresse ${other.replace(/\./g, '\\.')}`));
    await Promise.all([p2.waitForNavigation(), p2.getByRole('button', { name: 'Renvoyer le message' }).click()]);
    assert.equal(path(p2), '/mot-de-passe-oublie/message-envoye');
    await checkA11y(p2, 'mot de passe oublié, message envoyé');
    await anon.close();
  } finally {
    await context.close();
  }
});

test('« Mon compte »: name, address confirmed by a link, emails, password', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const email = await newUsager(page, 'Nadia Compte');
    await visit(page, '/compte');
    await checkA11y(page, 'Mon compte');
    assert.match(await main(page), /toujours envoyés/);
    assert.match(await main(page), /la décision/);

    // Name.
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Changer de nom' }).click()]);
    await checkA11y(page, 'Changer de nom');
    await page.fill('#nom', 'Nadia Compte-Nouveau');
    await submitMainForm(page, 200);
    assert.equal(path(page), '/compte');
    assert.match(await main(page), /Votre nom est enregistré/);
    assert.match(await main(page), /Nadia Compte-Nouveau/);

    // Address: the new one must be confirmed; the old one is told.
    const newEmail = freshEmail('nouvelle');
    const since = Date.now() - 1000;
    await visit(page, '/compte/adresse');
    await submitMainForm(page, 422);
    await checkA11y(page, 'Changer d’adresse, errors');
    await page.fill('#email', newEmail);
    await page.fill('#actuel', 'pas le bon mot de passe');
    await submitMainForm(page, 422);
    assert.match(await main(page), /Le mot de passe est incorrect/);
    await page.fill('#actuel', PASSWORD);
    await submitMainForm(page, 200);
    assert.match(await main(page), /Nous avons envoyé un lien à la nouvelle adresse/);
    assert.match(await main(page), new RegExp(email.replace(/\./g, '\\.')), 'the old address stays until confirmed');
    const warned = await waitForEmail(email, { since });
    assert.match(warned.text, new RegExp(newEmail.replace(/\./g, '\\.')));
    const link = await waitForEmail(newEmail, { since });
    await visit(page, findLink(link.text, '/compte/adresse/confirmer'));
    assert.equal(path(page), '/compte');
    assert.match(await main(page), /Votre nouvelle adresse électronique est enregistrée/);
    assert.match(await main(page), new RegExp(newEmail.replace(/\./g, '\\.')));

    // Emails: the optional one can be turned off; the box stays unticked.
    await page.uncheck('#courriel-messages');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /Enregistrer mes choix/ }).click()]);
    assert.match(await main(page), /Vos choix de courriels sont enregistrés/);
    assert.equal(await page.isChecked('#courriel-messages'), false);

    // Password: the current one is asked.
    await visit(page, '/compte/mot-de-passe');
    await page.fill('#actuel', PASSWORD);
    await page.fill('#mot_de_passe', 'une autre phrase de passe longue');
    await submitMainForm(page, 200);
    assert.match(await main(page), /Votre nouveau mot de passe est enregistré/);
  } finally {
    await context.close();
  }
});

test('closing the account: said plainly, password asked, drafts deleted, deposited requests kept', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const email = await newUsager(page, 'Lucien Départ');
    // A draft.
    await visit(page, '/demarches/amethyste');
    await submitMainForm(page, 200);
    assert.match(page.url(), /\/dossiers\//);
    await visit(page, '/compte');
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Supprimer mon compte' }).click()]);
    assert.equal(path(page), '/compte/supprimer');
    const text = await main(page);
    assert.match(text, /Votre brouillon sera effacé/);
    assert.match(text, /Vous n’avez aucune demande déposée/);
    assert.match(text, /définitive/);
    await checkA11y(page, 'Supprimer mon compte');
    await submitMainForm(page, 422);
    assert.match(await main(page), /Saisissez votre mot de passe/);
    await checkA11y(page, 'Supprimer mon compte, errors');
    await page.fill('#actuel', PASSWORD);
    await submitMainForm(page, 200);
    assert.equal(path(page), '/compte/supprime');
    assert.match(await main(page), /Vos demandes déjà déposées restent au département/);
    assert.equal(await page.locator('header a[href="/connexion"]').count(), 1, 'logged out');
    // The account no longer logs in.
    await visit(page, '/connexion');
    await page.fill('#email', email);
    await page.fill('#mot_de_passe', PASSWORD);
    await submitMainForm(page, 401);

    // Staff are told plainly why they cannot close their account here.
    const staff = await newContext(browser);
    const sp = await staff.newPage();
    await login(sp, ACCOUNTS.instructeurApa);
    await visit(sp, '/compte/supprimer');
    assert.match(await main(sp), /Un compte d’agent ne se supprime pas ici/);
    assert.equal(await sp.locator('main form').count(), 0);
    await staff.close();
  } finally {
    await context.close();
  }
});

test('« Vos coordonnées » are prefilled from the account and can be changed', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const email = await newUsager(page, 'Odile Préremplie');
    await visit(page, '/demarches/apa');
    await submitMainForm(page, 200);
    const draft = path(page).split('/')[2];
    await visit(page, `/dossiers/${draft}/etapes/pour_qui`);
    await page.check('input[name=demande_pour][value=proche]');
    await submitMainForm(page, 200);
    assert.equal(path(page), `/dossiers/${draft}/etapes/personne_qui_remplit`);
    assert.equal(await page.inputValue('#remplisseur_nom'), 'Odile Préremplie');
    await page.fill('#remplisseur_nom', 'Odile Autre-Nom');
    await page.fill('#remplisseur_lien', 'fille');
    await page.fill('#remplisseur_telephone', '06 12 34 56 78');
    await submitMainForm(page, 200);
    await visit(page, `/dossiers/${draft}/etapes/personne_qui_remplit`);
    assert.equal(await page.inputValue('#remplisseur_nom'), 'Odile Autre-Nom', 'the usager’s change is kept');
    await visit(page, `/dossiers/${draft}/etapes/coordonnees`);
    assert.equal(await page.inputValue('#courriel'), email);
  } finally {
    await context.close();
  }
});
