// axe-core (WCAG 2.1 A and AA rules) on every page type of pages.mjs, error states included: 0 violations.
// A failure names each rule, the selectors of the offending nodes and the page.

import { after, before, describe, test } from 'node:test';
import { checkA11y, launchBrowser } from './lib.mjs';
import { PAGES, openPage } from './pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

describe('axe-core: no WCAG 2.1 A/AA violation', () => {
  for (const entry of PAGES) {
    test(`${entry.label} (${entry.path}${entry.submit ? ', empty submit' : ''})`, async () => {
      const { context, page } = await openPage(browser, entry);
      try {
        await checkA11y(page, entry.label);
      } finally {
        await context.close();
      }
    });
  }
});
