// Documents in the usager's request, in the browser, with real files made here (a PDF printed by
// Chromium, a JPEG screenshot): the start pages list what everyone provides, then the documents « selon
// votre situation »; a dated document is checked as it is added (too old: refused with the limit date; an
// impossible date: refused, shown back); an undated certificate keeps its file and its date is given in
// the boxes under it, taken into account by « Continuer » (review bugs 7 and 8); the owner opens a file
// (inline PDF); a text renamed .pdf and a duplicate are explained; the file input is as visible as its
// button. Every page met gets axe, visible focus, reflow at 320 px, text at 200 % and screenshots.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, launchBrowser, loggedInContext, pageChecks, url, visit } from './lib.mjs';
import { clickAndWait } from './demarches.mjs';

let browser;
let pdf;
let jpeg;
before(async () => {
  browser = await launchBrowser();
  // Real files: Chromium prints a PDF and takes a JPEG screenshot of a small page.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent('<h1>Facture d’électricité</h1><p>Madame Exemple, 1 rue de la Paix, 93200 Saint-Denis</p>');
  pdf = await page.pdf({ format: 'A4' });
  jpeg = await page.screenshot({ type: 'jpeg', quality: 60 });
  await context.close();
});
after(async () => {
  await browser?.close();
});

const checkPage = pageChecks();

/** `{ jour, mois, annee }` of today moved back by `months` and `days`. */
function ago({ months = 0, days = 0 }) {
  const d = new Date();
  d.setMonth(d.getMonth() - months);
  d.setDate(d.getDate() - days);
  return { jour: String(d.getDate()), mois: String(d.getMonth() + 1), annee: String(d.getFullYear()), date: d };
}

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
const inWords = (d) => `${d.getDate() === 1 ? '1er' : d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;

async function fillDate(page, prefix, { jour, mois, annee }) {
  await page.fill(`[id="${prefix}.jour"]`, jour);
  await page.fill(`[id="${prefix}.mois"]`, mois);
  await page.fill(`[id="${prefix}.annee"]`, annee);
}

const errorsOf = (page) => page.locator('.resume-erreurs li').allInnerTexts();

test('start pages: documents for everyone, then by situation; the blank Cerfa 15695', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  const page = await context.newPage();
  await visit(page, '/demarches/mdph');
  const main = await page.locator('main').innerText();
  const [everyone, depending] = main.split('Selon votre situation');
  assert.ok(depending, `no « Selon votre situation » list: ${main}`);
  assert.match(everyone, /Certificat médical \(Cerfa 15695\*01\)/);
  assert.doesNotMatch(everyone, /jugement/);
  assert.match(depending, /Si la personne a une mesure de protection juridique \(tutelle, curatelle…\) :\s*Copie du jugement/);
  const cerfa = page.locator('main a[href="https://www.formulaires.service-public.fr/gf/cerfa_15695.do"]');
  assert.equal(await cerfa.count(), 1);
  await checkPage(t, page, { name: 'documents-demarrage-mdph', label: 'MDPH start page, documents by situation' });

  await visit(page, '/demarches/pch');
  const pch = await page.locator('main').innerText();
  const [pchEveryone, pchDepending] = pch.split('Selon votre situation');
  assert.ok(pchDepending, pch);
  assert.doesNotMatch(pchEveryone, /Permis de conduire|chien/);
  assert.match(pchDepending, /Si vous demandez l’aide animalière :\s*Attestation de l’organisme qui a éduqué le chien/);
  await checkPage(t, page, { name: 'documents-demarrage-pch', label: 'PCH start page, documents by element' });
  await context.close();
});

test('MDPH documents: dates checked on « Ajouter le fichier », corrected without adding again, files opened', async (t) => {
  const context = await loggedInContext(browser, ACCOUNTS.usager);
  const page = await context.newPage();
  await visit(page, '/demarches/mdph');
  await clickAndWait(page, 'main form button[type=submit]');
  const dossier = new URL(page.url()).pathname.split('/')[2];
  const step = `/dossiers/${dossier}/etapes/pieces`;
  await visit(page, step);

  // The native file input is about as tall as the button that adds the file.
  const input = await page.locator('[id="justificatif_domicile"]').boundingBox();
  const button = await page.locator('button[value="televerser:justificatif_domicile"]').boundingBox();
  assert.ok(input.height >= button.height * 0.8, `file input ${input.height}px high, its button ${button.height}px`);

  // Bug 8: a proof of address four months old is refused at once, with the limit date in words.
  const old = ago({ months: 4 });
  await page.setInputFiles('[id="justificatif_domicile"]', { name: 'facture.pdf', mimeType: 'application/pdf', buffer: pdf });
  await fillDate(page, 'justificatif_domicile.date_document', old);
  let res = await clickAndWait(page, 'button[value="televerser:justificatif_domicile"]');
  assert.equal(res.status(), 422);
  const limit = inWords(ago({ months: 3 }).date);
  assert.ok(
    (await errorsOf(page)).some((e) => e.includes(`Le justificatif doit dater de moins de 3 mois, c’est-à-dire du ${limit} ou après.`)),
    (await errorsOf(page)).join(' | '),
  );
  assert.equal(await page.locator('[id="justificatif_domicile.date_document.annee"]').inputValue(), old.annee, 'the typed date is kept');
  assert.equal(await page.locator('main a', { hasText: 'Voir le fichier facture.pdf' }).count(), 0, 'refused: not attached');
  await checkPage(t, page, { name: 'documents-date-trop-ancienne', label: 'documents step, a proof of address too old' });

  // An impossible date is refused with a message, never dropped.
  await page.setInputFiles('[id="justificatif_domicile"]', { name: 'facture.pdf', mimeType: 'application/pdf', buffer: pdf });
  await fillDate(page, 'justificatif_domicile.date_document', { jour: '15', mois: '13', annee: '2026' });
  res = await clickAndWait(page, 'button[value="televerser:justificatif_domicile"]');
  assert.equal(res.status(), 422);
  assert.ok((await errorsOf(page)).some((e) => e.includes('la date doit être une vraie date')), (await errorsOf(page)).join(' | '));
  assert.equal(await page.locator('[id="justificatif_domicile.date_document.mois"]').inputValue(), '13');

  // A good date: attached, « daté du … » in words, and a link that opens it.
  const good = ago({ days: 10 });
  await page.setInputFiles('[id="justificatif_domicile"]', { name: 'facture.pdf', mimeType: 'application/pdf', buffer: pdf });
  await fillDate(page, 'justificatif_domicile.date_document', good);
  res = await clickAndWait(page, 'button[value="televerser:justificatif_domicile"]');
  assert.equal(res.status(), 200, (await errorsOf(page)).join(' | '));
  const item = page.locator('.fichiers__element', { hasText: 'facture.pdf' });
  assert.match(await item.innerText(), new RegExp(`daté du ${inWords(good.date)}`));
  const link = item.locator('a', { hasText: /^Voir le fichier facture\.pdf \(PDF, \d+ Ko\)$/ });
  assert.equal(await link.count(), 1, await item.innerText());
  const file = await page.request.get(url(await link.getAttribute('href')));
  assert.equal(file.status(), 200);
  assert.match(file.headers()['content-disposition'], /^inline/);
  assert.equal(file.headers()['x-content-type-options'], 'nosniff');
  assert.equal(Buffer.compare(await file.body(), pdf), 0);

  // Bug 7: a certificate without a date is kept, its date asked; typed in the boxes under the file,
  // « Continuer » takes it (no second upload).
  await page.setInputFiles('[id="certificat_medical"]', { name: 'certificat.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  res = await clickAndWait(page, 'button[value="televerser:certificat_medical"]');
  assert.equal(res.status(), 422);
  assert.ok((await errorsOf(page)).some((e) => e.includes('Indiquez la date du document « certificat.jpg »')), (await errorsOf(page)).join(' | '));
  await checkPage(t, page, { name: 'documents-certificat-sans-date', label: 'documents step, a certificate without its date' });
  const box = page.locator('.fichiers__element', { hasText: 'certificat.jpg' });
  const prefix = (await box.locator('input[name$=".jour"]').getAttribute('name')).replace(/\.jour$/, '');
  await fillDate(page, prefix, { jour: '15', mois: '13', annee: '2026' });
  res = await clickAndWait(page, `button[value^="dater:certificat_medical:"]`);
  assert.equal(res.status(), 422);
  assert.ok((await errorsOf(page)).some((e) => e.includes('« certificat.jpg » : Date du document')), (await errorsOf(page)).join(' | '));
  assert.equal(await page.locator(`[id="${prefix}.mois"]`).inputValue(), '13', 'the wrong date is shown back');
  const certDate = ago({ months: 2 });
  await fillDate(page, prefix, certDate);
  res = await clickAndWait(page, 'main form button[name=action][value=continuer]');
  const left = await errorsOf(page);
  assert.ok(!left.some((e) => e.includes('certificat.jpg')), `the certificate's date was not taken: ${left.join(' | ')}`);
  await visit(page, step);
  assert.match(
    await page.locator('.fichiers__element', { hasText: 'certificat.jpg' }).innerText(),
    new RegExp(`Voir le fichier certificat\\.jpg \\(JPEG, \\d+ Ko\\), daté du ${inWords(certDate.date)}`),
  );

  // A text renamed .pdf, and the same PDF again.
  await page.setInputFiles('[id="piece_identite"]', { name: 'identite.pdf', mimeType: 'application/pdf', buffer: Buffer.from('ceci est du texte') });
  res = await clickAndWait(page, 'button[value="televerser:piece_identite"]');
  assert.equal(res.status(), 422);
  let errors = (await errorsOf(page)).join(' | ');
  assert.match(errors, /mais son contenu n’est pas un PDF/);
  assert.doesNotMatch(errors, /format accepté/);
  await page.setInputFiles('[id="piece_identite"]', { name: 'identite.pdf', mimeType: 'application/pdf', buffer: pdf });
  await clickAndWait(page, 'button[value="televerser:piece_identite"]');
  await page.setInputFiles('[id="piece_identite"]', { name: 'encore.pdf', mimeType: 'application/pdf', buffer: pdf });
  res = await clickAndWait(page, 'button[value="televerser:piece_identite"]');
  assert.equal(res.status(), 422);
  errors = (await errorsOf(page)).join(' | ');
  assert.match(errors, /Le fichier « encore\.pdf » est déjà joint à ce document \(sous le nom « identite\.pdf »\)/);

  // The recap links the files, with their dates in words.
  await visit(page, `/dossiers/${dossier}/verifier`);
  const recap = await page.locator('main').innerText();
  assert.match(recap, new RegExp(`Voir le fichier facture\\.pdf \\(PDF, \\d+ Ko\\), daté du ${inWords(good.date)}`));
  assert.doesNotMatch(recap, /daté du \d{4}-\d{2}-\d{2}/);
  await checkPage(t, page, { name: 'documents-recapitulatif', label: 'check your answers, files linked' });
  await context.close();
});
