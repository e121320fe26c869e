// An instructor's working day at 1440 px with the keyboard only (issue 14's « done when »): filters and a
// sort of the queue, a batch where a colleague's dossier is refused and reported, an opinion asked of a
// doctor without an account and answered through the emailed link, an XLSX export opened with a
// spreadsheet library. Only the colleague and the usager filing use the mouse: they are not the journey.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { ACCOUNTS, assertFocusVisible, launchBrowser, loggedInContext, newContext, tabTo, url, visit, waitForEmail } from './lib.mjs';
import { clickAndWait, walkProcedure } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const WIDE = { width: 1440, height: 900 };

/** Presses Enter on the focused control and waits for the page it opens. */
async function enter(page) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  return res;
}

/** Moves a closed select's choice with the arrow keys until `value` is chosen. */
async function choose(page, selector, value) {
  await tabTo(page, selector, { max: 200 });
  for (let i = 0; i < 30; i++) {
    if ((await page.locator(selector).inputValue()) === value) return;
    await page.keyboard.press('ArrowDown');
  }
  assert.fail(`${value} not reached in ${selector} with the arrow keys`);
}

test('an instructor works the queue by keyboard only', async () => {
  const usager = await loggedInContext(browser, ACCOUNTS.usager);
  const colleague = await loggedInContext(browser, ACCOUNTS.admin);
  const instructor = await loggedInContext(browser, ACCOUNTS.instructeurApa, { viewport: WIDE });
  const doctor = await newContext(browser, { viewport: WIDE });
  try {
    const filed = [];
    for (let i = 0; i < 2; i++) {
      const { dossier } = await walkProcedure(await usager.newPage(), 'apa', { emptyFirst: false });
      filed.push(dossier);
    }
    const page = await instructor.newPage();
    await visit(page, '/instruction');

    // Filters: « Plus de filtres » opened, the APA ticked, the form sent, all with the keyboard.
    await tabTo(page, 'form.filtres summary', { max: 80 });
    await assertFocusVisible(page, 'the filters disclosure');
    await page.keyboard.press('Enter');
    await tabTo(page, '#procedure-apa');
    await page.keyboard.press('Space');
    await tabTo(page, 'form.filtres button[type=submit]');
    await enter(page);
    assert.match(page.url(), /procedure=apa/);

    // Sorted by deposit date from its column header.
    await tabTo(page, 'a.tri[href*="tri=depot"]', { max: 80 });
    await enter(page);
    assert.match(await page.locator('th[aria-sort=ascending]').innerText(), /Déposé le/);
    for (const id of filed) {
      await tabTo(page, `#choisir-${id}`, { max: 120 });
      await assertFocusVisible(page, `the checkbox of ${id}`);
      await page.keyboard.press('Space');
      assert.ok(await page.isChecked(`#choisir-${id}`));
    }

    // Meanwhile a colleague takes the first one: the batch refuses it and says why.
    const other = await colleague.newPage();
    await visit(other, `/instruction/dossiers/${filed[0]}`);
    await clickAndWait(other, 'main form[action$="/actions/prendre"] button[type=submit]');
    await choose(page, '#lot-action', 'prendre');
    await tabTo(page, 'form#lot button.bouton[type=submit]', { max: 40 });
    await enter(page);
    assert.match(new URL(page.url()).pathname, /^\/instruction\/lots\//);
    await page.waitForFunction(() => document.querySelector('main').innerText.includes('Terminée'), null, { timeout: 15000 });
    const report = await page.locator('main').innerText();
    assert.match(report, /1 dossier fait, 1 refusé, sur 2/, report);
    assert.match(report, /Cette action n’est pas possible/, report);

    // An opinion asked of a doctor without an account, answered through the emailed link.
    await visit(page, `/instruction/dossiers/${filed[1]}?section=avis`);
    await choose(page, '#avis-expert', 'externe');
    await tabTo(page, '#avis-externe-nom');
    await page.keyboard.type('Dr Martin, médecin traitant');
    await tabTo(page, '#avis-externe-email');
    const email = `dr.martin.${Date.now()}@cabinet.test`;
    await page.keyboard.type(email);
    await tabTo(page, '#avis-question');
    await page.keyboard.type('Le maintien à domicile est-il possible ?');
    const since = Date.now();
    await tabTo(page, 'main form[action$="/avis"] button[type=submit]', { max: 20 });
    await enter(page);
    assert.match(await page.locator('main').innerText(), /Dr Martin, médecin traitant \(expert extérieur/);
    const mail = await waitForEmail(email, { since });
    const link = new URL(mail.text.match(/https?:\/\/\S+\/avis\/lien\/\S+/)[0]);
    const d = await doctor.newPage();
    await visit(d, link.pathname);
    assert.match(await d.locator('main').innerText(), /Le maintien à domicile est-il possible \?/);
    await tabTo(d, '#avis-reponse', { max: 60 });
    await d.keyboard.type('Oui, avec un passage infirmier le matin.');
    await tabTo(d, 'main form button[type=submit]');
    await enter(d);
    assert.match(await d.locator('main').innerText(), /votre avis est transmis/);
    const again = await d.goto(url(link.pathname));
    assert.equal(again.status(), 404, 'the link opens once');
    await visit(page, '/instruction?onglet=en-instruction&procedure=apa');
    assert.match(await page.locator('main table').innerText(), /Avis reçu/);

    // The tab exported as XLSX from its link, opened with a spreadsheet library.
    await tabTo(page, 'main a[href^="/instruction/export.xlsx"]', { max: 200 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await readFile(await download.path()));
    const sheet = book.worksheets[0];
    const header = sheet.getRow(1).values.filter(Boolean);
    assert.ok(header.includes('Numéro'), `headers: ${header.join(' | ')}`);
    const numbers = [];
    sheet.eachRow((row, n) => {
      if (n > 1) numbers.push(String(row.getCell(header.indexOf('Numéro') + 1).value));
    });
    const shown = await page.locator('main td[data-label="Numéro"] a').allInnerTexts();
    assert.deepEqual(numbers.sort(), shown.sort(), 'the export holds the dossiers of the tab');
  } finally {
    await usager.close();
    await colleague.close();
    await instructor.close();
    await doctor.close();
  }
});
