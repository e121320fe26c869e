// Every page type of Guichet, in one list: the accessibility, keyboard, reflow and screenshot tests all
// walk it. When you add a page (a form step, a simulator, a back-office screen), add it here, with its
// error state when it has a form, and every check runs on it.
//
// An entry:
//   name        file-name-safe id, used in screenshots (`target/e2e/<name>-<width>.png`) and test names
//   label       what the page is, for humans (shown in failures)
//   path        where to go first
//   status      expected HTTP status of that first response (default 200)
//   as          a key of ACCOUNTS to be logged in as (default: anonymous)
//   fill        before submitting: { field id: text } typed in; check: selectors of radios or boxes to tick
//   submit      after loading, submit the main form (empty unless filled), expecting this HTTP status: the
//               error state (or, with 200 and `fill`, the page the form leads to)
//   fields      for error states: the ids of the fields the error summary must link to, in order
//   screenshot  true to include the page in the screenshot set

import assert from 'node:assert/strict';
import { ACCOUNTS, login, newContext, submitMainForm, visit } from './lib.mjs';

export const PAGES = [
  { name: 'accueil', label: 'home', path: '/', screenshot: true },
  { name: 'inscription', label: 'sign-up', path: '/inscription', screenshot: true },
  {
    name: 'inscription-erreurs',
    label: 'sign-up, after an empty submit',
    path: '/inscription',
    submit: 422,
    fields: ['nom', 'email', 'mot_de_passe'],
    screenshot: true,
  },
  { name: 'inscription-message-envoye', label: 'sign-up, email sent', path: '/inscription/message-envoye' },
  { name: 'confirmation-lien-invalide', label: 'email confirmation, invalid link', path: '/compte/confirmer?jeton=x', status: 400 },
  { name: 'connexion', label: 'login', path: '/connexion', screenshot: true },
  {
    name: 'connexion-erreurs',
    label: 'login, after an empty submit',
    path: '/connexion',
    submit: 422,
    fields: ['email', 'mot_de_passe'],
    screenshot: true,
  },
  { name: 'mot-de-passe-oublie', label: 'forgotten password', path: '/mot-de-passe-oublie', screenshot: true },
  {
    name: 'mot-de-passe-oublie-erreurs',
    label: 'forgotten password, after an empty submit',
    path: '/mot-de-passe-oublie',
    submit: 422,
    fields: ['email'],
  },
  { name: 'mot-de-passe-oublie-message-envoye', label: 'forgotten password, email sent', path: '/mot-de-passe-oublie/message-envoye' },
  { name: 'mot-de-passe-nouveau', label: 'new password (reset link)', path: '/mot-de-passe/nouveau?jeton=x' },
  {
    name: 'mot-de-passe-nouveau-erreurs',
    label: 'new password, after an empty submit',
    path: '/mot-de-passe/nouveau?jeton=x',
    submit: 422,
    fields: ['mot_de_passe'],
  },
  { name: 'mot-de-passe-change', label: 'password changed', path: '/mot-de-passe/change' },
  { name: 'compte', label: 'my account (usager)', path: '/compte', as: 'usager', screenshot: true },
  { name: 'compte-instructeur', label: 'my account (instructeur APA)', path: '/compte', as: 'instructeurApa' },
  { name: 'compte-mot-de-passe', label: 'change password', path: '/compte/mot-de-passe', as: 'usager', screenshot: true },
  {
    name: 'compte-mot-de-passe-erreurs',
    label: 'change password, after an empty submit',
    path: '/compte/mot-de-passe',
    as: 'usager',
    submit: 422,
    fields: ['actuel', 'mot_de_passe'],
  },
  { name: 'compte-nom', label: 'change name', path: '/compte/nom', as: 'usager' },
  { name: 'compte-adresse', label: 'change email address', path: '/compte/adresse', as: 'usager', screenshot: true },
  {
    name: 'compte-adresse-erreurs',
    label: 'change email address, after an empty submit',
    path: '/compte/adresse',
    as: 'usager',
    submit: 422,
    fields: ['email', 'actuel'],
  },
  { name: 'compte-supprimer', label: 'close the account', path: '/compte/supprimer', as: 'usager', screenshot: true },
  {
    name: 'compte-supprimer-erreurs',
    label: 'close the account, after an empty submit',
    path: '/compte/supprimer',
    as: 'usager',
    submit: 422,
    fields: ['actuel'],
  },
  { name: 'compte-supprimer-agent', label: 'close the account (staff: not here)', path: '/compte/supprimer', as: 'instructeurApa' },
  { name: 'mentions-legales', label: 'legal notice', path: '/mentions-legales', screenshot: true },
  { name: 'accessibilite', label: 'accessibility statement', path: '/accessibilite', screenshot: true },
  { name: 'page-introuvable', label: '404', path: '/page-qui-n-existe-pas', status: 404, screenshot: true },

  // ---- Procedures (démarches): the start pages, seen before logging in. Every page of the journeys
  // (start page logged in, each step and its error state, the MDPH task list, check your answers,
  // confirmation, my dossiers, a dossier) is checked by demarches.test.mjs, which walks them.
  ...['apa', 'mdph', 'pch', 'amethyste'].map((id) => ({
    name: `demarche-${id}`,
    label: `start page of the ${id} procedure (anonymous)`,
    path: `/demarches/${id}`,
    screenshot: id === 'apa',
  })),
  // ---- end of the procedures block

  // ---- Simulators (no account): the list, each form, one error state and one result page.
  { name: 'simulateurs', label: 'list of the simulators', path: '/simulateurs', screenshot: true },
  ...['apa', 'apa-etablissement', 'pch', 'aah', 'amethyste'].map((id) => ({
    name: `simulateur-${id}`,
    label: `simulator form: ${id}`,
    path: `/simulateurs/${id}`,
    screenshot: id === 'apa',
  })),
  {
    name: 'simulateur-apa-erreurs',
    label: 'APA simulator, after an empty submit',
    path: '/simulateurs/apa',
    submit: 422,
    fields: ['gir', 'plan'],
    screenshot: true,
  },
  {
    name: 'simulateur-apa-resultat',
    label: 'APA simulator, result page',
    path: '/simulateurs/apa',
    // The result is the answer to the form's POST: nothing in the URL.
    fill: { plan: '1500', revenus_annuels: '21600' },
    check: ['#gir-2'],
    submit: 200,
    screenshot: true,
  },
];

/** Pages with an error state, i.e. a form that refuses an empty submit. */
export const ERROR_PAGES = PAGES.filter((p) => p.submit && p.submit !== 200);

// Logging in hashes a password (slow in a debug build): log in once per account and per process, then
// give each new context the saved cookies.
const sessions = new Map();

async function storageStateFor(browser, key) {
  if (!sessions.has(key)) {
    const account = ACCOUNTS[key];
    assert.ok(account, `unknown account ${key}`);
    sessions.set(
      key,
      (async () => {
        const context = await newContext(browser);
        const page = await context.newPage();
        await login(page, account);
        const state = await context.storageState();
        await context.close();
        return state;
      })(),
    );
  }
  return sessions.get(key);
}

/**
 * Opens `entry` in a fresh context (logged in if the entry says so) and brings it to the state it describes.
 * `contextOptions` go to `browser.newContext` (viewport…). Returns { context, page }; close the context.
 */
export async function openPage(browser, entry, contextOptions = {}) {
  const storageState = entry.as ? await storageStateFor(browser, entry.as) : undefined;
  const context = await newContext(browser, { ...contextOptions, ...(storageState ? { storageState } : {}) });
  try {
    const page = await context.newPage();
    await visit(page, entry.path, entry.status ?? 200);
    for (const [id, text] of Object.entries(entry.fill ?? {})) await page.fill(`#${id}`, text);
    for (const selector of entry.check ?? []) await page.check(selector);
    if (entry.submit) await submitMainForm(page, entry.submit);
    return { context, page };
  } catch (e) {
    await context.close();
    throw e;
  }
}
