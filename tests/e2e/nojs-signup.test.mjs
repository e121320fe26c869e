// A sign-up journey with JavaScript disabled: sign up, open the link from the email (.eml in the outbox),
// which logs in; log out, log in again (landing on « Mes dossiers »), log out. Everything works with plain HTML forms and links.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findLink, launchBrowser, login, newContext, submitMainForm, visit, waitForEmail } from './lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('sign up, confirm the email, log in and log out without JavaScript', async () => {
  const context = await newContext(browser, { javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const email = `e2e.${Date.now()}.${process.pid}@exemple.test`;
    const name = 'Élise Œuvré-Test';
    const password = 'une phrase de passe assez longue';
    const since = Date.now() - 1000;

    await visit(page, '/inscription');
    await page.fill('#nom', name);
    await page.fill('#email', email);
    await page.fill('#mot_de_passe', password);
    await submitMainForm(page, 200);
    assert.equal(new URL(page.url()).pathname, '/inscription/message-envoye');
    assert.match(await page.locator('h1').innerText(), /Consultez votre messagerie/);

    const mail = await waitForEmail(email, { since });
    const link = findLink(mail.text, '/compte/confirmer');
    // Confirming logs in and lands on « Mes dossiers ».
    await visit(page, link);
    assert.equal(new URL(page.url()).pathname, '/mes-dossiers');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Se déconnecter' }).click()]);

    await login(page, { email, password });
    assert.equal(new URL(page.url()).pathname, '/mes-dossiers');
    await visit(page, '/compte');
    assert.match(await page.locator('main').innerText(), new RegExp(email.replace(/\./g, '\\.')));
    assert.match(await page.locator('main').innerText(), /Élise Œuvré-Test/);

    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Se déconnecter' }).click()]);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.locator('header a[href="/connexion"]').count(), 1, 'still logged in after logging out');
    await visit(page, '/compte');
    assert.equal(new URL(page.url()).pathname, '/connexion', '/compte is still reachable after logging out');
  } finally {
    await context.close();
  }
});
