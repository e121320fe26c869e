// The procedures (démarches), page by page: files a request of each of the four procedures through the
// real pages (demarches.mjs) and checks every page met on the way, as pages.mjs's pages are checked:
// axe-core (WCAG 2.1 A/AA, 0 violations), a visible focus on every Tab stop, the skip link, reflow at
// 320 px, text at 200 %; and in each step's error state (after an empty "Continuer"), the error summary
// (focused, linking to each field, each link moving the focus). Pages: the start page (logged in), each
// step and its error state, the MDPH task list, check your answers (for MDPH also sent incomplete), a
// step opened from its "Modifier" link, the confirmation, my dossiers, the dossier page. A second walk
// with other answers reaches the steps that only some requests see. Each page is a subtest, named after
// the procedure and the step. Screenshots of the main ones go to target/e2e/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ACCOUNTS,
  DESKTOP,
  NARROW,
  ZOOM,
  checkA11y,
  checkErrorSummary,
  checkFocusVisible,
  checkReflow,
  checkSkipLink,
  checkTextZoom,
  launchBrowser,
  loggedInContext,
  screenshot,
  url,
} from './lib.mjs';
import { ANSWERS, CONTINUE, PROCEDURES, clickAndWait, definedSteps, errorMessages, walkProcedure } from './demarches.mjs';

/** Pages photographed at 1280 and 320 px (`target/e2e/<name>-<width>.png`). */
const SCREENSHOTS = new Set([
  'apa-demarrage',
  'apa-etape-identite',
  'apa-etape-identite-erreurs',
  'apa-etape-autonomie',
  'apa-etape-pieces',
  'apa-etape-pieces-erreurs',
  'apa-verifier',
  'apa-etape-modifier',
  'apa-confirmation',
  'mes-dossiers',
  'apa-dossier',
  'mdph-taches',
  'mdph-verifier-incomplet',
  'mdph-etape-a_identite',
  'pch-etape-aides_techniques',
  'amethyste-etape-forfait',
]);

/** Second walks: other answers, to meet the steps the first request does not see. */
const OTHER_ANSWERS = {
  // Married (the spouse's step), and independent enough to be asked about the orientation.
  apa: { ...ANSWERS.apa, situation: 'marie', seul_habiller: 'oui', seul_toilette: 'oui' },
  // A child: the parents' step.
  mdph: { ...ANSWERS.mdph, date_naissance: '15/06/2016', scolarise: 'non' },
  pch: null,
  // A disabled person rather than a senior: the rights step.
  amethyste: { ...ANSWERS.amethyste, categorie: 'handicap' },
};

let browser;
let context;
before(async () => {
  browser = await launchBrowser();
  context = await loggedInContext(browser, ACCOUNTS.usager);
});
after(async () => {
  await context?.close();
  await browser?.close();
});

const checked = new Set();

/** Every check of a page type, on the page as the walk left it; returns at once for a page already checked. */
async function checkPage(t, page, { kind, name, label }) {
  if (checked.has(name)) return;
  checked.add(name);
  await t.test(label, async () => {
    try {
      if (kind === 'check-errors') {
        // Its links go to the steps (other pages): the summary holds the focus, and links somewhere.
        assert.match(await page.title(), /^Erreur : /, `the title of ${label} does not start with "Erreur :"`);
        await page.waitForFunction(() => document.activeElement?.id === 'resume-erreurs', null, { timeout: 2000 }).catch(() => {});
        assert.equal(await page.evaluate(() => document.activeElement.id), 'resume-erreurs', `on ${label}, the focus is not on the error summary`);
        assert.ok((await page.locator('.resume-erreurs a[href*="/etapes/"]').count()) > 0, `the error summary of ${label} links to no step`);
        await checkA11y(page, label);
        await checkFocusVisible(page, label, { minStops: 1 });
      } else if (kind === 'step-errors') {
        // First, while the focus is where the page put it: on the error summary.
        await checkErrorSummary(page, label);
        await checkA11y(page, label);
        await checkFocusVisible(page, label, { minStops: 1 });
      } else {
        await checkA11y(page, label);
        // From the top of the freshly loaded page to the end, then the skip link: the first stop again.
        await checkFocusVisible(page, label);
        const left = await page.evaluate(() => document.activeElement === document.body || !document.activeElement);
        await checkSkipLink(page, label, { pressed: !left });
      }
      await page.setViewportSize(NARROW);
      await checkReflow(page, label);
      if (SCREENSHOTS.has(name)) {
        // Without the focus ring the keyboard checks left.
        await page.evaluate(() => document.activeElement?.blur());
        await screenshot(page, name);
      }
      await page.setViewportSize(ZOOM);
      await checkTextZoom(page, label);
    } finally {
      await page.setViewportSize(DESKTOP);
    }
    if (SCREENSHOTS.has(name)) await screenshot(page, name);
  });
}

describe('procedures: every page of each journey passes axe, keyboard, reflow and zoom checks', () => {
  for (const procedure of PROCEDURES) {
    test(`${procedure}: start → each step (and its error state) → check your answers → confirmation → dossier`, async (t) => {
      const page = await context.newPage();
      try {
        const onPage = async (info) => {
          await checkPage(t, page, info);
          if (info.kind === 'tasks' && !checked.has(`${procedure}-verifier-incomplet`)) {
            // Sending before anything is answered: check your answers lists what is missing.
            const tasks = new URL(page.url()).pathname; // without the #contenu the skip link added
            await page.goto(url(tasks.replace(/\/taches$/, '/verifier')));
            const r = await clickAndWait(page, 'main form[action$="/deposer"] button[type=submit]');
            assert.equal(r.status(), 422, `sending an empty ${procedure} request answered ${r.status()}`);
            await checkPage(t, page, { kind: 'check-errors', name: `${procedure}-verifier-incomplet`, label: `${procedure}: check your answers, sent incomplete` });
            await page.goto(url(tasks));
          }
          if (info.kind === 'check' && !checked.has(`${procedure}-etape-modifier`)) {
            // A step opened from its "Modifier" link ("Enregistrer et revenir au récapitulatif"), which
            // goes back to check your answers.
            const href = await page.locator('main .recap__action a').first().getAttribute('href');
            await page.goto(url(href));
            assert.equal(await page.locator(CONTINUE).innerText(), 'Enregistrer et revenir au récapitulatif');
            const step = /\/etapes\/([^/?]+)/.exec(href)[1];
            await checkPage(t, page, { kind: 'step', name: `${procedure}-etape-modifier`, label: `${procedure}: step ${step} from its "Modifier" link` });
            await clickAndWait(page, CONTINUE);
            assert.match(new URL(page.url()).pathname, /\/verifier$/, `"Enregistrer et revenir" of ${href} did not go back to check your answers`);
          }
        };
        const met = new Set();
        const first = await walkProcedure(page, procedure, { onPage });
        first.steps.forEach((s) => met.add(s));
        if (OTHER_ANSWERS[procedure]) {
          const second = await walkProcedure(page, procedure, { answers: OTHER_ANSWERS[procedure], onPage, deposit: false });
          second.steps.forEach((s) => met.add(s));
        }
        const missing = definedSteps(procedure).filter((s) => !met.has(s));
        t.diagnostic(`${procedure}: ${met.size} of ${definedSteps(procedure).length} steps met${missing.length ? `; not met: ${missing.join(', ')}` : ''}`);
        assert.deepEqual(missing, [], `steps of ${procedure} that no walk met`);
      } finally {
        await page.close();
      }
    });
  }
});

// Regression: a file input left empty used to be refused as an empty file named « document ».
test('a file input left empty is not refused as an empty file', async () => {
  const page = await context.newPage();
  try {
    await page.goto(url('/demarches/amethyste'));
    await clickAndWait(page, 'main form button[type=submit]');
    const dossier = new URL(page.url()).pathname.split('/')[2];
    await page.goto(url(`/dossiers/${dossier}/etapes/pieces`));
    assert.equal(new URL(page.url()).pathname, `/dossiers/${dossier}/etapes/pieces`);
    await clickAndWait(page, CONTINUE, { dropEmptyFiles: false });
    const messages = await errorMessages(page);
    assert.ok(
      !messages.some((m) => /est vide/.test(m)),
      `an empty file input was refused as a file: ${messages.join(' | ')} (crates/web/src/uploads.rs: test the raw file name, before sanitize_name, for the "no file chosen" part)`,
    );
  } finally {
    await page.close();
  }
});
