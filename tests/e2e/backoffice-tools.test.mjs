// The back office's tools beyond the queue and the dossier, each page checked like the others (axe-core,
// visible focus, skip link, reflow at 320 px, text at 200 %): an expert opinion asked by an MDPH
// instructor and answered by the demo expert (who lands on /avis, not on a queue), the agent's
// notification settings, the export columns of a procedure, and the invitation an administrator sends,
// followed from its email to the first password.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, launchBrowser, loggedInContext, newContext, pageChecks, visit, waitForEmail } from './lib.mjs';
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
