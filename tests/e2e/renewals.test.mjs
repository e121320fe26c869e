// Renewals (issue 15, « Renewals »): a request whose right was granted until a date near enough; the
// reminder task (`guichet renewals`, run as the server runs it hourly) emails the usager; from the
// email's link, « Renouveler ma demande » opens a draft prefilled from the last request, naming what to
// check. The clock is moved by dating the right's end in the server's SQLite file.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, findLink, launchBrowser, login, newContext, pageChecks, runGuichet, serverSql as sql, visit, waitForEmail } from './lib.mjs';
import { clickAndWait, walkProcedure } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

const checkPage = pageChecks();

test('a renewal started from the reminder email', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await login(page, ACCOUNTS.usager);
    const { dossier, number } = await walkProcedure(page, 'amethyste', { emptyFirst: false });
    // The pass granted until 20 days from now: within the month before its end, the reminder is due.
    const end = new Date(Date.now() + 20 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    sql(`UPDATE dossier_rights SET outcome = 'accord', period_end = '${end}' WHERE dossier_id = '${dossier}'`);
    sql(`UPDATE dossiers SET state = 'decide', decided_at = datetime('now') WHERE id = '${dossier}'`);
    const since = Date.now() - 1000;
    const out = runGuichet(['renewals']);
    assert.match(out, /1 rappel de renouvellement envoyé/, out);
    // Sent by the server's delivery worker, which polls the outbox the command filled.
    const mail = await waitForEmail(ACCOUNTS.usager.email, { since, subject: /pensez à renouveler/, timeoutMs: 60000 });
    assert.match(mail.headers.subject, new RegExp(`${number} : pensez à renouveler`));
    await visit(page, findLink(mail.text, `/dossiers/${dossier}`));
    assert.match(await page.locator('#renouveler').innerText(), /Vos droits accordés se terminent le/);
    await checkPage(t, page, { name: 'dossier-renouveler', label: 'a dossier whose rights end soon, with « Renouveler »' });
    await clickAndWait(page, '#renouveler button[type=submit]');
    const draft = new URL(page.url()).pathname.split('/')[2];
    assert.notEqual(draft, dossier);
    assert.match(await page.locator('main').innerText(), new RegExp(`reprend les réponses de votre demande ${number}`));
    await checkPage(t, page, { name: 'renouvellement-premiere-etape', label: 'the first step of a renewal, saying what to check' });
  } finally {
    await context.close();
  }
});
