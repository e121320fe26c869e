// The back office's tools beyond the queue and the dossier, each page checked like the others (axe-core,
// visible focus, skip link, reflow at 320 px, text at 200 %): an expert opinion asked by an MDPH
// instructor and answered by the demo expert (who lands on /avis, not on a queue), the agent's
// notification settings, the export columns of a procedure, and the invitation an administrator sends,
// followed from its email to the first password.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, launchBrowser, loggedInContext, newContext, pageChecks, url, visit, waitForEmail } from './lib.mjs';
import { clickAndWait, errorMessages, walkProcedure } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const checkPage = pageChecks();

test('an expert opinion, asked and answered', async (t) => {
  const usager = await loggedInContext(browser, ACCOUNTS.usager);
  const instructor = await loggedInContext(browser, ACCOUNTS.instructeurMdph);
  const expert = await loggedInContext(browser, ACCOUNTS.expertMdph);
  try {
    // The usager files an MDPH request (the e2e server starts with no dossier).
    const { dossier } = await walkProcedure(await usager.newPage(), 'mdph', { emptyFirst: false });
    const href = `/instruction/dossiers/${dossier}`;
    const i = await instructor.newPage();
    await visit(i, `${href}?section=avis`);
    // Sent empty: the errors, each linked to its field.
    await clickAndWait(i, 'main form[action$="/avis"] button[type=submit]');
    assert.deepEqual(await errorMessages(i), ['Choisissez l’expert à qui demander l’avis', 'Écrivez la question posée à l’expert']);
    await checkPage(t, i, { name: 'instruction-avis-erreurs', label: 'opinion asked without expert nor question', kind: 'errors' });
    await i.selectOption('#avis-expert', { label: 'Dr Anne Girard (expert)' });
    await i.fill('#avis-question', 'Le taux d’incapacité atteint-il 80 % ?');
    await i.locator('main input[name=document]').first().check();
    await clickAndWait(i, 'main form[action$="/avis"] button[type=submit]');
    assert.match(await i.locator('#avis').locator('xpath=..').innerText(), /En attente : attendu le/);
    await checkPage(t, i, { name: 'instruction-avis', label: 'the dossier’s opinions, one asked' });

    const e = await expert.newPage();
    await visit(e, '/instruction');
    assert.equal(new URL(e.url()).pathname, '/avis', 'an expert lands on the opinions asked of them');
    await checkPage(t, e, { name: 'avis-liste', label: 'the opinions asked of the expert' });
    await clickAndWait(e, 'main table tbody a');
    assert.match(await e.locator('main').innerText(), /Le taux d’incapacité atteint-il 80 % \?/);
    await checkPage(t, e, { name: 'avis', label: 'an opinion to give' });
    await e.fill('#avis-reponse', 'Oui, au vu du certificat médical.');
    await clickAndWait(e, 'main form button[type=submit]');
    assert.match(await e.locator('main').innerText(), /Donné le/);

    await visit(i, `${href}?section=avis`);
    assert.match(await i.locator('main').innerText(), /Oui, au vu du certificat médical\./);
  } finally {
    await usager.close();
    await instructor.close();
    await expert.close();
  }
});

test('notification settings and export columns', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.instructeurApa);
  try {
    const page = await context.newPage();
    await visit(page, '/instruction/notifications');
    await page.check('#notif-rythme-resume');
    await clickAndWait(page, 'main form button[type=submit]');
    assert.match(await page.locator('#enregistre').innerText(), /Vos choix sont enregistrés/);
    assert.ok(await page.isChecked('#notif-rythme-resume'));
    await checkPage(t, page, { name: 'instruction-notifications', label: 'the agent’s notification settings' });
    // Several states at once: the « Tous » tab, its « États » filter ticked as chosen.
    await visit(page, '/instruction?onglet=tous&etat=a-traiter&etat=traites');
    assert.match(await page.locator('.onglets [aria-current=page]').innerText(), /^Tous \(/);
    assert.ok(await page.isChecked('#etat-traites'));
    assert.ok(!(await page.isChecked('#etat-en-instruction')));
    await checkPage(t, page, { name: 'instruction-tous', label: 'the queue, several states at once' });
    await visit(page, '/instruction?procedure=apa');
    await clickAndWait(page, 'main a[href^="/instruction/export/colonnes"]');
    await checkPage(t, page, { name: 'instruction-export-colonnes', label: 'the export columns of a procedure' });
  } finally {
    await context.close();
  }
});

test('an agent invited by the administrator chooses a password', async (t) => {
  const admin = await loggedInContext(browser, ACCOUNTS.admin);
  const invited = await newContext(browser);
  try {
    const page = await admin.newPage();
    await visit(page, '/admin');
    const email = `agent.${Date.now()}@departement.test`;
    const since = Date.now();
    await page.fill('#email', email);
    await page.fill('#nom', 'Léa Invitée');
    await page.selectOption('#role', 'evaluateur');
    await clickAndWait(page, 'form[action="/admin/membres"] button[type=submit]');
    assert.match(await page.locator('#fait').innerText(), /Invitation envoyée/);
    await checkPage(t, page, { name: 'admin-invitation', label: 'administration, an agent invited' });
    const mail = await waitForEmail(email, { since });
    const link = mail.text.match(/https?:\/\/\S+\/invitation\?jeton=\S+/)[0];
    const p = await invited.newPage();
    await visit(p, new URL(link).pathname + new URL(link).search);
    await checkPage(t, p, { name: 'invitation', label: 'the invitation: choose a password' });
    await p.fill('#mot_de_passe', 'une phrase de passe pour léa');
    await clickAndWait(p, 'main form button[type=submit]');
    assert.equal(new URL(p.url()).pathname, '/instruction');
  } finally {
    await admin.close();
    await invited.close();
  }
});

test('an opinion by one-time link, and the link spent', async (t) => {
  const usager = await loggedInContext(browser, ACCOUNTS.usager);
  const instructor = await loggedInContext(browser, ACCOUNTS.instructeurApa);
  const doctor = await newContext(browser);
  try {
    const { dossier } = await walkProcedure(await usager.newPage(), 'apa', { emptyFirst: false });
    const i = await instructor.newPage();
    await visit(i, `/instruction/dossiers/${dossier}?section=avis`);
    await i.selectOption('#avis-expert', 'externe');
    await clickAndWait(i, 'main form[action$="/avis"] button[type=submit]');
    assert.deepEqual(await errorMessages(i), [
      'Écrivez le nom et la qualité de l’expert, par exemple Dr Martin, médecin traitant',
      'Saisissez l’adresse électronique de l’expert',
      'Écrivez la question posée à l’expert',
    ]);
    await checkPage(t, i, { name: 'instruction-avis-lien-erreurs', label: 'opinion by link asked without name, address nor question', kind: 'errors' });
    const email = `dr.roche.${Date.now()}@cabinet.test`;
    await i.fill('#avis-externe-nom', 'Dr Roche, médecin traitant');
    await i.fill('#avis-externe-email', email);
    await i.fill('#avis-question', 'La personne peut-elle rester seule la nuit ?');
    const since = Date.now();
    await clickAndWait(i, 'main form[action$="/avis"] button[type=submit]');
    const mail = await waitForEmail(email, { since });
    assert.doesNotMatch(mail.text, /rester seule/, 'the question is not in the email');
    const link = new URL(mail.text.match(/https?:\/\/\S+\/avis\/lien\/\S+/)[0]);
    const d = await doctor.newPage();
    await visit(d, link.pathname);
    await checkPage(t, d, { name: 'avis-lien', label: 'an opinion to give through a one-time link' });
    await clickAndWait(d, 'main form button[type=submit]');
    assert.deepEqual(await errorMessages(d), ['Écrivez votre avis avant de l’envoyer']);
    await d.fill('#avis-reponse', 'Non : une présence la nuit est nécessaire.');
    await clickAndWait(d, 'main form button[type=submit]');
    await checkPage(t, d, { name: 'avis-lien-merci', label: 'an opinion sent through its link' });
    await visit(d, link.pathname, 404);
    await checkPage(t, d, { name: 'avis-lien-ferme', label: 'a one-time link spent' });
  } finally {
    await usager.close();
    await instructor.close();
    await doctor.close();
  }
});

test('routing rules and the letter preview on the administration page; my exports', async (t) => {
  const admin = await loggedInContext(browser, ACCOUNTS.admin);
  try {
    const page = await admin.newPage();
    await visit(page, '/admin#orientation');
    await clickAndWait(page, 'form[action="/admin/orientation"] button[type=submit]');
    assert.deepEqual(await errorMessages(page), ['Choisissez la démarche dont les dossiers sont orientés']);
    await checkPage(t, page, { name: 'admin-orientation-erreurs', label: 'administration, a routing rule without its procedure', kind: 'errors' });
    // A rule no e2e dossier meets (a postal code of Corsica), taken out at the end.
    await page.selectOption('#regle-demarche', 'pch');
    await page.fill('#regle-codes-postaux', '20000');
    await page.selectOption('#regle-service', 'apa');
    await clickAndWait(page, 'form[action="/admin/orientation"] button[type=submit]');
    assert.match(await page.locator('#fait').innerText(), /La règle d’orientation a été ajoutée/);
    assert.match(await page.locator('main').innerText(), /code postal 20000/);
    await checkPage(t, page, { name: 'admin-orientation', label: 'administration, a routing rule' });
    await clickAndWait(page, 'form[action="/admin/orientation/retirer"] button[type=submit]');
    assert.match(await page.locator('#fait').innerText(), /La règle d’orientation a été retirée/);
    // The sample letter of a service, as saved.
    const pdf = await page.request.get(url('/admin/identite/apercu.pdf?service=apa'));
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    await visit(page, '/instruction/exports');
    await checkPage(t, page, { name: 'instruction-exports', label: 'my exports' });
  } finally {
    await admin.close();
  }
});
