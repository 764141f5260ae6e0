/* offline.js - the offline verifier: a receipt from the QR text or from a
   picture of the QR code (the browser's BarcodeDetector where it has one,
   else qr.js), checked with the registry keys built into this file; then
   the document itself, on this device. */
(function () {
  'use strict';
  var MH = window.MH;
  document.documentElement.classList.remove('no-js');
  var data = JSON.parse(document.getElementById('mh-data').textContent);
  var spkis = data.keys.map(MH.b64);
  var cat, current = null;

  function $(id) { return document.getElementById(id); }
  function pickLang() {
    var want = (navigator.languages || [navigator.language || '']).map(function (l) {
      return String(l).slice(0, 2).toLowerCase();
    });
    for (var i = 0; i < want.length; i++) if (data.catalogs[want[i]]) return want[i];
    return data['default'];
  }
  function render() {
    document.documentElement.lang = cat.lang;
    Array.prototype.forEach.call(document.querySelectorAll('[data-msg]'), function (el) {
      el.textContent = MH.msg(cat, el.getAttribute('data-msg'));
    });
    $('langs').setAttribute('aria-label', MH.msg(cat, 'lang.label'));
    $('keys-line').textContent = MH.msg(cat, 'offline.keys', {
      registry: data.registry, host: data.host, date: MH.date(cat, data.made, false)
    });
    Array.prototype.forEach.call(document.querySelectorAll('#langs button'), function (b) {
      if (b.getAttribute('data-lang') === cat.lang) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    });
    if (current) show(current);
  }
  function setLang(code) { cat = data.catalogs[code]; render(); }
  var ul = document.querySelector('#langs ul');
  Object.keys(data.catalogs).forEach(function (code) {
    var li = document.createElement('li');
    var b = document.createElement('button');
    b.type = 'button';
    b.lang = code;
    b.setAttribute('data-lang', code);
    b.textContent = data.catalogs[code].name;
    b.addEventListener('click', function () { setLang(code); });
    li.appendChild(b);
    ul.appendChild(li);
  });

  /* one verdict, kept so a language switch can say it again */
  function show(v) {
    current = v;
    var box = $('verdict');
    box.hidden = false;
    box.className = 'verdict v-' + v.cls;
    box.setAttribute('data-verdict', v.cls);
    $('verdict-title').textContent = MH.msg(cat, 'verdict.' + v.title + '.title');
    $('verdict-text').textContent = MH.msg(cat, v.text, v.args);
    $('verdict-note').textContent = v.note ? MH.msg(cat, v.note) : '';
    var dl = $('fields');
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    $('paper').hidden = !v.claims;
    $('filebox').hidden = !(v.claims && v.cls === 'valid');
    if (v.claims) {
      var c = v.claims;
      var rows = [[MH.msg(cat, 'paper.kind'), c.kind], [MH.msg(cat, 'paper.issuer'), c.issuer]];
      c.fields.forEach(function (f) {
        var label = cat.msg['field.' + f[0]] ? MH.msg(cat, 'field.' + f[0]) : f[0];
        var val = /^\d{4}-\d{2}-\d{2}$/.test(f[1])
          ? MH.date(cat, Date.UTC(+f[1].slice(0, 4), +f[1].slice(5, 7) - 1, +f[1].slice(8, 10)) / 1000, false)
          : f[1];
        rows.push([label, val]);
      });
      rows.push([MH.msg(cat, 'paper.issued'), MH.date(cat, c.iat, false)]);
      rows.forEach(function (r) {
        var d = document.createElement('div');
        d.className = 'row';
        var dt = document.createElement('dt');
        dt.textContent = r[0];
        var dd = document.createElement('dd');
        dd.textContent = r[1];
        d.appendChild(dt);
        d.appendChild(dd);
        dl.appendChild(d);
      });
    }
    box.focus();
  }

  function check(text) {
    var url, r;
    $('file-result').textContent = '';
    try {
      url = MH.parseUrl(text);
      r = MH.parseReceipt(url.receipt);
    } catch (e) {
      show({ cls: 'invalid', title: 'invalid', text: 'offline.malformed' });
      return Promise.resolve();
    }
    if (!MH.hasCrypto()) {
      show({ cls: 'error', title: 'error', text: 'browser.nocrypto' });
      return Promise.resolve();
    }
    return MH.verifyReceipt(r, spkis).then(function (res) {
      var c = r.claims;
      if (!res.ok) {
        show({ cls: 'forged', title: 'forged', text: res.reason === 'nokey' ? 'offline.nokey' : 'offline.bad' });
      } else if (String(c.host || '').toLowerCase() !== url.host) {
        show({ cls: 'wronghost', title: 'wronghost', text: 'offline.host',
          args: { here: url.host, there: c.host }, claims: c });
      } else {
        show({ cls: 'valid', title: 'valid', text: 'offline.valid', args: { registry: c.registry },
          note: 'offline.valid.note', claims: c });
      }
    });
  }

  $('check').addEventListener('click', function () { check($('qr-text').value); });

  function decodeImage(file) {
    function ours(bitmap) {
      var canvas = document.createElement('canvas');
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var g = canvas.getContext('2d', { willReadFrequently: true });
      g.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      var img = g.getImageData(0, 0, canvas.width, canvas.height);
      return window.MHQR.decode(img.data, img.width, img.height);
    }
    return createImageBitmap(file).then(function (bitmap) {
      if (window.BarcodeDetector) {
        return new window.BarcodeDetector({ formats: ['qr_code'] }).detect(bitmap)
          .then(function (codes) { return codes.length ? codes[0].rawValue : ours(bitmap); })
          .catch(function () { return ours(bitmap); });
      }
      return ours(bitmap);
    });
  }
  $('qr-image').addEventListener('change', function () {
    var f = $('qr-image').files[0];
    if (!f) return;
    decodeImage(f).then(function (text) {
      if (!text) {
        show({ cls: 'invalid', title: 'invalid', text: 'offline.noqr' });
        return;
      }
      $('qr-text').value = text;
      return check(text);
    }).catch(function () { show({ cls: 'invalid', title: 'invalid', text: 'offline.noqr' }); });
  });

  $('file').addEventListener('change', function () {
    var f = $('file').files[0];
    if (!f || !current || !current.claims) return;
    MH.checkFile(f, current.claims).then(function (r) {
      var el = $('file-result');
      document.documentElement.setAttribute('data-file-check', r);
      el.className = r === 'ok' ? 'ok' : 'bad';
      el.textContent = MH.msg(cat, r === 'ok' ? (f.size > current.claims.length ? 'file.ok.pdf' : 'file.ok')
        : r === 'short' ? 'file.toosmall' : 'file.bad',
      { bytes: MH.msg(cat, 'file.bytes', { n: current.claims.length }) });
    });
  });
  setLang(pickLang());
})();
