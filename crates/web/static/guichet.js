// Guichet: progressive enhancement only. Every page works without this file; it saves a round trip:
// - a commune is offered from the official list of its postal code as the postal code is typed
//   (a <datalist> under the text input, or the options of the <select> refreshed);
// - the report of a batch action running refreshes itself every two seconds (its status is a live region)
//   until it is finished; without this file, « Actualiser » does it;
// - a follow-up question appears or disappears as soon as the answer it depends on changes. Which
//   fields show is asked of the server (the same rules as « Continuer »), never decided here, and the
//   server ignores the answers of the fields it hides.
(function () {
  'use strict';
  if (!window.fetch || !window.URLSearchParams) return;

  function option(value, label, selected) {
    var o = document.createElement('option');
    o.value = value;
    if (label !== undefined) o.textContent = label;
    if (selected) o.selected = true;
    return o;
  }

  document.querySelectorAll('[data-communes-de]').forEach(function (field) {
    var form = field.form;
    var postal = form && form.elements.namedItem(field.getAttribute('data-communes-de'));
    if (!postal || !postal.addEventListener) return;
    var isSelect = field.tagName === 'SELECT';
    var list = null;
    if (!isSelect) {
      list = document.createElement('datalist');
      list.id = field.id + '-communes';
      field.parentNode.insertBefore(list, field.nextSibling);
      field.setAttribute('list', list.id);
    }
    var asked = isSelect ? postal.value.replace(/\s+/g, '') : '';
    function refresh() {
      var cp = postal.value.replace(/\s+/g, '');
      if (!/^\d{5}$/.test(cp) || cp === asked) return;
      asked = cp;
      fetch('/communes?code_postal=' + encodeURIComponent(cp), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (communes) {
          if (cp !== asked) return;
          if (list) {
            while (list.firstChild) list.removeChild(list.firstChild);
            communes.forEach(function (c) { list.appendChild(option(c.name)); });
          } else if (communes.length) {
            var current = field.value;
            var first = field.options[0];
            while (field.firstChild) field.removeChild(field.firstChild);
            field.appendChild(first);
            communes.forEach(function (c) { field.appendChild(option(c.insee, c.name, c.insee === current)); });
          }
        })
        .catch(function () { /* the list stays as it was: the server checks the commune anyway */ });
    }
    postal.addEventListener('input', refresh);
    refresh();
  });

  var form = document.querySelector('form[data-visibilite]');
  var wrappers = form ? form.querySelectorAll('[data-conditionnel]') : [];
  if (form && wrappers.length) {
    wrappers.forEach(function (w) { if (w.hasAttribute('data-masque')) w.hidden = true; });
    var sent = 0;
    form.addEventListener('change', function () {
      var data = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (typeof v === 'string') data.append(k, v); });
      var n = ++sent;
      form.setAttribute('aria-busy', 'true');
      fetch(form.getAttribute('data-visibilite'), {
        method: 'POST',
        body: data,
        credentials: 'same-origin',
        headers: { Accept: 'application/json' }
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (res) {
          if (n !== sent) return;
          form.removeAttribute('aria-busy');
          if (!res) return;
          wrappers.forEach(function (w) {
            w.hidden = res.visibles.indexOf(w.getAttribute('data-conditionnel')) < 0;
          });
        })
        .catch(function () {
          // Fields stay as they are; « Continuer » applies the rules.
          if (n === sent) form.removeAttribute('aria-busy');
        });
    });
  }
  var rapport = document.getElementById('lot-rapport');
  if (rapport && rapport.getAttribute('data-en-cours') === 'oui') {
    var poll = function () {
      fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('lot-rapport');
          if (!fresh) return;
          // The status paragraph keeps its node (a live region re-created is not announced): its words change.
          var etat = document.getElementById('lot-etat');
          var freshEtat = fresh.querySelector('#lot-etat');
          if (etat && freshEtat) etat.innerHTML = freshEtat.innerHTML;
          var progress = document.getElementById('lot-progression');
          var freshProgress = fresh.querySelector('#lot-progression');
          if (progress && freshProgress) progress.value = freshProgress.value;
          var table = rapport.querySelector('table');
          var freshTable = fresh.querySelector('table');
          if (table && freshTable) table.replaceWith(freshTable);
          if (fresh.getAttribute('data-en-cours') === 'oui') window.setTimeout(poll, 2000);
          else rapport.setAttribute('data-en-cours', 'non');
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 2000);
  }
})();
