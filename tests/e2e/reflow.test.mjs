// Reflow (WCAG 1.4.10): at 320 CSS px wide no page scrolls horizontally. Text resized to 200 % (1.4.4):
// at 640 px wide no horizontal scrolling, the main heading's text is not clipped, nothing in the page
// clips its content.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib.mjs';
import { PAGES, openPage } from './pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

/** What sticks out on the right of the viewport, for the failure message. */
function overflowing(page, width) {
  return page.evaluate((w) => {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 0.5 && r.width > 0) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} (right ${Math.round(r.right)})`);
      }
    }
    return out.slice(0, 10).join(', ');
  }, width);
}

async function withPage(entry, viewport, fn) {
  const { context, page } = await openPage(browser, entry, { viewport });
  try {
    await fn(page);
  } finally {
    await context.close();
  }
}

describe('reflow at 320 CSS px: no horizontal scrolling', () => {
  for (const entry of PAGES) {
    test(entry.label, () =>
      withPage(entry, { width: 320, height: 720 }, async (page) => {
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scrollWidth <= 320, `${entry.label} is ${scrollWidth} px wide at 320 px: ${await overflowing(page, 320)}`);
      }),
    );
  }
});

describe('text at 200 %: no horizontal scrolling at 640 px, nothing clipped', () => {
  for (const entry of PAGES) {
    test(entry.label, () =>
      withPage(entry, { width: 640, height: 900 }, async (page) => {
        const before = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('main h1')).fontSize));
        await page.evaluate(() => {
          document.documentElement.style.fontSize = '200%';
        });
        const r = await page.evaluate(() => {
          const h1 = document.querySelector('main h1');
          const clipped = [];
          for (const el of document.body.querySelectorAll('*')) {
            if (el.closest('.visuellement-cache, .lien-evitement')) continue;
            const s = getComputedStyle(el);
            // Scrollable regions (auto, scroll) keep their content reachable; hidden and clip lose it.
            const hidesX = s.overflowX === 'hidden' || s.overflowX === 'clip';
            const hidesY = s.overflowY === 'hidden' || s.overflowY === 'clip';
            if ((hidesX && el.scrollWidth > el.clientWidth + 1) || (hidesY && el.scrollHeight > el.clientHeight + 1)) {
              clipped.push(`${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ''}`);
            }
          }
          return {
            scrollWidth: document.documentElement.scrollWidth,
            h1: {
              fontSize: parseFloat(getComputedStyle(h1).fontSize),
              scrollWidth: h1.scrollWidth,
              clientWidth: h1.clientWidth,
              scrollHeight: h1.scrollHeight,
              clientHeight: h1.clientHeight,
              right: h1.getBoundingClientRect().right,
            },
            clipped,
          };
        });
        assert.ok(r.h1.fontSize >= before * 1.9, `the main heading did not grow with the text size (${before} → ${r.h1.fontSize} px)`);
        assert.ok(r.scrollWidth <= 640, `${entry.label} is ${r.scrollWidth} px wide at 640 px with 200 % text: ${await overflowing(page, 640)}`);
        assert.ok(
          r.h1.scrollWidth <= r.h1.clientWidth + 1 && r.h1.scrollHeight <= r.h1.clientHeight + 1 && r.h1.right <= 640,
          `the main heading's text is clipped with 200 % text: ${JSON.stringify(r.h1)}`,
        );
        assert.deepEqual(r.clipped, [], `elements clip their content with 200 % text`);
      }),
    );
  }
});
