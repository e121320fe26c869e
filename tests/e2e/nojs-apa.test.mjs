// The APA journey with JavaScript disabled: start page → every step (each first sent empty, to see its
// error state) → check your answers → send → confirmation → my dossiers → the dossier. Plain HTML forms,
// links and multipart uploads only.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNTS, launchBrowser, login, newContext } from './lib.mjs';
import { definedSteps, walkProcedure } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('file an APA request without JavaScript', async (t) => {
  const context = await newContext(browser, { javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await login(page, ACCOUNTS.usager);
    const errorStates = [];
    const { steps, number } = await walkProcedure(page, 'apa', {
      onPage: async ({ kind, step }) => {
        if (kind === 'step-errors') {
          errorStates.push(step);
          assert.match(await page.title(), /^Erreur : /);
          assert.ok((await page.locator('.resume-erreurs a').count()) > 0, `${step}: no link in the error summary`);
        }
      },
    });
    assert.match(number, /^APA-\d{4}-\d{6}$/);
    assert.ok(steps.length >= definedSteps('apa').length - 2, `only ${steps.length} steps: ${steps.join(', ')}`);
    t.diagnostic(`${number}: ${steps.length} steps, ${errorStates.length} error states, without JavaScript`);
  } finally {
    await context.close();
  }
});
