// Sharing a dossier (issue 15, « Filing for someone else »): the demo usager (Hélène Dupré) gives her
// mother access as the person concerned and her brother as a relative kept informed; each accepts the
// emailed invitation from their own account; the brother sees the progress without the documents; the
// mother takes his access away. Every page met passes axe, the keyboard, reflow and zoom checks.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, findLink, launchBrowser, login, newContext, pageChecks, submitMainForm, visit, waitForEmail } from './lib.mjs';
import { clickAndWait, walkProcedure } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

const checkPage = pageChecks();
const path = (page) => new URL(page.url()).pathname;
const main = (page) => page.locator('main').innerText();

test('a daughter shares a dossier with her mother and her brother; the mother revokes the brother', async (t) => {
  const daughter = await newContext(browser);
  const mother = await newContext(browser);
  const brother = await newContext(browser);
  try {
    const page = await daughter.newPage();
    await login(page, ACCOUNTS.usager);
    // She files the APA for her mother through the pages (« Pour un proche »), then shares it.
    const { dossier } = await walkProcedure(page, 'apa', { emptyFirst: false });
    const href = `/dossiers/${dossier}`;
    await visit(page, href);
    assert.match(await main(page), /Personnes qui ont accès à ce dossier[\s\S]*Vous seul suivez ce dossier/);
    await clickAndWait(page, `main a[href="/dossiers/${dossier}/acces"]`);
    assert.equal(path(page), `/dossiers/${dossier}/acces`);
    await checkPage(t, page, { name: 'acces', label: 'who has access, and the invitation form' });

    // Sent empty: each mistake named, in the summary and at its field.
    await submitMainForm(page, 422);
    await checkPage(t, page, { kind: 'errors', name: 'acces-erreurs', label: 'the invitation sent empty', fields: ['acces-email', 'acces-role'] });

    const since = Date.now() - 1000;
    await page.fill('#acces-email', ACCOUNTS.mere.email);
    await page.check('#acces-role');
    await submitMainForm(page, 200);
    assert.match(await main(page), /L’invitation a été envoyée à famille\.mere@demo\.guichet\.test/);
    await checkPage(t, page, { name: 'acces-envoye', label: 'the invitation sent' });
    await page.fill('#acces-email', ACCOUNTS.frere.email);
    await page.check('#acces-role-proche');
    await submitMainForm(page, 200);

    // The brother opens his link logged out: told to log in with that address, then accepts.
    const brotherLink = findLink((await waitForEmail(ACCOUNTS.frere.email, { since })).text, '/invitations/');
    const bp = await brother.newPage();
    await visit(bp, brotherLink);
    assert.match(await main(bp), /Pour l’accepter, connectez-vous/);
    await checkPage(t, bp, { name: 'invitation-connexion', label: 'an invitation opened logged out' });
    await clickAndWait(bp, 'main a.bouton');
    await bp.fill('#email', ACCOUNTS.frere.email);
    await bp.fill('#mot_de_passe', ACCOUNTS.frere.password);
    await submitMainForm(bp, 200);
    assert.equal(path(bp), brotherLink, 'back to the invitation after logging in');
    await checkPage(t, bp, { name: 'invitation', label: 'an invitation, logged in' });
    await submitMainForm(bp, 200);
    assert.equal(path(bp), `/dossiers/${dossier}`);
    const seen = await main(bp);
    assert.match(seen, /Elle vous a été partagée/);
    assert.doesNotMatch(seen, /Vos documents/);
    await checkPage(t, bp, { name: 'dossier-partage-proche', label: 'a shared dossier, as a relative kept informed' });

    // The mother accepts, sees « Mes dossiers » grouped, and takes her son's access away.
    const motherLink = findLink((await waitForEmail(ACCOUNTS.mere.email, { since })).text, '/invitations/');
    const mp = await mother.newPage();
    await login(mp, ACCOUNTS.mere);
    await visit(mp, motherLink);
    await submitMainForm(mp, 200);
    assert.equal(path(mp), `/dossiers/${dossier}`);
    await visit(mp, '/mes-dossiers');
    assert.match(await main(mp), /Partagée avec vous : vous êtes la personne concernée par la demande/);
    await checkPage(t, mp, { name: 'mes-dossiers-partages', label: '« Mes dossiers » with a dossier shared' });
    await visit(mp, `/dossiers/${dossier}/acces`);
    await checkPage(t, mp, { name: 'acces-beneficiaire', label: 'who has access, as the person concerned' });
    await clickAndWait(mp, 'main li:has-text("Paul Durand") form button');
    assert.match(await main(mp), /Accès retiré/);
    const r = await bp.goto(new URL(`/dossiers/${dossier}`, bp.url()).href);
    assert.equal(r.status(), 404, 'the brother no longer sees the dossier');

    // Named her legal representative later (habilitation familiale): the instructor checks the judgment
    // before the dossier's emails reach him.
    await visit(page, `/dossiers/${dossier}/acces`);
    const again = Date.now() - 1000;
    await page.fill('#acces-email', ACCOUNTS.frere.email);
    await page.check('#acces-role-representant_legal');
    await submitMainForm(page, 200);
    const repLink = findLink((await waitForEmail(ACCOUNTS.frere.email, { since: again, subject: /vous donne accès/ })).text, '/invitations/');
    await visit(bp, repLink);
    await submitMainForm(bp, 200);
    assert.equal(path(bp), `/dossiers/${dossier}`);
    const agent = await newContext(browser);
    try {
      const ap = await agent.newPage();
      await login(ap, ACCOUNTS.instructeurApa);
      await visit(ap, `/instruction/dossiers/${dossier}`);
      assert.match(await main(ap), /Ont aussi accès[\s\S]*jugement à vérifier/);
      await checkPage(t, ap, { name: 'instruction-acces-jugement', label: 'back office: who else has access, the judgment to check' });
      await clickAndWait(ap, 'main form[action$="/jugement"] button[type=submit]');
      assert.match(await main(ap), /jugement vérifié/);
    } finally {
      await agent.close();
    }
  } finally {
    await daughter.close();
    await mother.close();
    await brother.close();
  }
});

test('a child’s MDPH request seen by both parents', async (t) => {
  const first = await newContext(browser);
  const second = await newContext(browser);
  try {
    const page = await first.newPage();
    await login(page, ACCOUNTS.usager);
    await visit(page, '/demarches/mdph');
    await clickAndWait(page, 'main form button[type=submit]');
    const dossier = new URL(page.url()).pathname.split('/')[2];
    await visit(page, `/dossiers/${dossier}/acces`);
    const since = Date.now() - 1000;
    await page.fill('#acces-email', ACCOUNTS.frere.email);
    await page.check('#acces-role-parent');
    await submitMainForm(page, 200);
    const link = findLink((await waitForEmail(ACCOUNTS.frere.email, { since, subject: /vous donne accès/ })).text, '/invitations/');
    const other = await second.newPage();
    await login(other, ACCOUNTS.frere);
    await visit(other, link);
    await submitMainForm(other, 200);
    assert.equal(path(other), `/dossiers/${dossier}`);
    assert.match(await main(other), /Demande faite pour/);
    await visit(other, `/dossiers/${dossier}/acces`);
    assert.match(await main(other), /parent de l’enfant/);
    await checkPage(t, other, { name: 'acces-parent', label: 'who has access, as the other parent' });
  } finally {
    await first.close();
    await second.close();
  }
});
