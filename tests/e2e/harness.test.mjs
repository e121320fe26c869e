// The harness checks itself: axe really reports violations, the email reader decodes what lettre writes.
// (A suite that cannot fail proves nothing.)

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkA11y, findLink, launchBrowser, parseEmail } from './lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('checkA11y fails on a page with known violations, naming rule, selector and page', async () => {
  const page = await browser.newPage();
  try {
    await page.setContent('<html><head><title>t</title></head><body><main><h1>x</h1><img src="data:," id="sans-alt"><button id="vide"></button></main></body></html>');
    await assert.rejects(checkA11y(page, 'bad page'), (e) => {
      assert.match(e.message, /on bad page/);
      assert.match(e.message, /image-alt/);
      assert.match(e.message, /#sans-alt/);
      assert.match(e.message, /button-name/);
      assert.match(e.message, /html-has-lang/);
      return true;
    });
    await page.setContent('<html lang="fr"><head><title>t</title></head><body><main><h1>Bonjour</h1></main></body></html>');
    await checkA11y(page, 'good page');
  } finally {
    await page.close();
  }
});

test('parseEmail decodes quoted-printable, base64, multipart and encoded headers', () => {
  const qp = parseEmail(
    Buffer.from(
      'To: =?utf-8?b?w4lsaXNl?= <e@x.test>\r\nSubject: =?utf-8?q?Activez_votre_compte_=C3=A9?=\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Transfer-Encoding: quoted-printable\r\n\r\nBonjour =C3=89lise,\r\nhttp://127.0.0.1:1/compte/confirmer?jeton=3Dab=\r\ncd\r\n',
    ),
  );
  assert.equal(qp.headers.to, 'Élise <e@x.test>');
  assert.equal(qp.headers.subject, 'Activez votre compte é');
  assert.match(qp.text, /Bonjour Élise/);
  assert.equal(findLink(qp.text, '/compte/confirmer'), '/compte/confirmer?jeton=abcd');

  const b64 = Buffer.from('Voici le lien : http://h/compte/confirmer?jeton=xyz — à bientôt').toString('base64');
  const multi = parseEmail(
    Buffer.from(
      'To: e@x.test\r\nContent-Type: multipart/alternative; boundary="B1"\r\n\r\n--B1\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        `Content-Transfer-Encoding: base64\r\n\r\n${b64.slice(0, 20)}\r\n${b64.slice(20)}\r\n--B1--\r\n`,
    ),
  );
  assert.match(multi.text, /à bientôt/);
  assert.equal(findLink(multi.text, '/compte/confirmer'), '/compte/confirmer?jeton=xyz');
});
