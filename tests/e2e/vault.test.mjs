// « Mes documents » (issue 15, « Document vault »): the documents the demo usager sent with a first
// request are listed with their kind and date, and a second request's documents step offers them again
// (« Utiliser un document déjà fourni »): one click attaches the identity document. Every page passes
// axe, the keyboard, reflow and zoom checks.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, launchBrowser, login, newContext, pageChecks, visit } from './lib.mjs';
import { clickAndWait, walkProcedure } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

const checkPage = pageChecks();
const main = (page) => page.locator('main').innerText();

test('a document from « Mes documents » used again in a new request', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await login(page, ACCOUNTS.usager);
    // A first request sent with its documents (the robot adds a file to each document asked).
    await walkProcedure(page, 'amethyste', { emptyFirst: false });
    await visit(page, '/mes-dossiers');
    await clickAndWait(page, 'main a[href="/mes-documents"]');
    assert.match(await main(page), /Pièce d’identité/);
    await checkPage(t, page, { name: 'mes-documents', label: '« Mes documents »' });

    await visit(page, '/demarches/amethyste');
    await clickAndWait(page, 'main form button[type=submit]');
    const draft = new URL(page.url()).pathname.split('/')[2];
    await visit(page, `/dossiers/${draft}/etapes/pieces`);
    assert.match(await main(page), /Utiliser un document déjà fourni/);
    await checkPage(t, page, { name: 'amethyste-pieces-reutiliser', label: 'a documents step offering the documents already sent' });
    const before = await page.locator('.fichiers__element').count();
    await clickAndWait(page, 'main button[value^="reutiliser:piece_identite:"]');
    assert.equal(await page.locator('.fichiers__element').count(), before + 1, 'the document is attached');
    await checkPage(t, page, { name: 'amethyste-pieces-reutilise', label: 'the documents step with a document used again' });
  } finally {
    await context.close();
  }
});
