/* page.js - the verification page: checks the receipt's signature and the
   ledger proof in the browser (mohur.js), the local file check (the file is
   read here and never sent: the page's CSP forbids any connection), the
   print button. Text only through textContent. */
(function () {
  'use strict';
  var MH = window.MH;
  document.documentElement.classList.remove('no-js');
  var dataEl = document.getElementById('mh-data');
  var printBtn = document.getElementById('print');
  if (printBtn) printBtn.addEventListener('click', function () { window.print(); });
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var cat = data.catalog;
  var spkis = (data.keys || []).map(MH.b64);
  function say(id, cls, key, args) {
    var el = document.getElementById(id);
    if (!el) return;
    el.className = cls;
    el.textContent = MH.msg(cat, key, args);
  }
  if (!data.receipt) return;
  var receipt;
  try {
    receipt = MH.parseReceipt(MH.b64(data.receipt));
  } catch (e) {
    say('chk-sig', 'bad', 'browser.sig.bad');
    return;
  }
  if (!MH.hasCrypto()) {
    say('chk-sig', 'bad', 'browser.nocrypto');
    return;
  }
  MH.verifyReceipt(receipt, spkis).then(function (res) {
    document.documentElement.setAttribute('data-receipt-check', res.ok ? 'ok' : res.reason);
    if (res.ok) say('chk-sig', 'ok', 'browser.sig.ok');
    else say('chk-sig', 'bad', res.reason === 'nokey' ? 'browser.sig.nokey' : 'browser.sig.bad');
  }).catch(function () { say('chk-sig', 'bad', 'browser.sig.bad'); });

  if (data.proof && document.getElementById('chk-proof')) {
    say('chk-proof', 'pending', 'browser.working');
    MH.verifyProof(data.proof, receipt.claims, spkis).then(function (ok) {
      document.documentElement.setAttribute('data-proof-check', ok ? 'ok' : 'bad');
      if (ok) say('chk-proof', 'ok', 'browser.proof.ok', { index: receipt.claims.index, seq: data.proof.seq });
      else say('chk-proof', 'bad', 'browser.proof.bad');
    }).catch(function () { say('chk-proof', 'bad', 'browser.proof.bad'); });
  }

  var input = document.getElementById('file');
  var drop = document.getElementById('drop');
  function check(file) {
    if (!file) return;
    say('file-result', '', 'browser.working');
    MH.checkFile(file, receipt.claims).then(function (r) {
      document.documentElement.setAttribute('data-file-check', r);
      if (r === 'ok' && file.size > receipt.claims.length) {
        say('file-result', 'ok', 'file.ok.pdf', {
          bytes: MH.msg(cat, 'file.bytes', { n: receipt.claims.length })
        });
      } else if (r === 'ok') say('file-result', 'ok', 'file.ok');
      else if (r === 'short') {
        say('file-result', 'bad', 'file.toosmall', {
          bytes: MH.msg(cat, 'file.bytes', { n: receipt.claims.length })
        });
      } else say('file-result', 'bad', 'file.bad');
    }).catch(function () { say('file-result', 'bad', 'file.bad'); });
  }
  if (input) input.addEventListener('change', function () { check(input.files[0]); });
  if (drop) {
    drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
    drop.addEventListener('drop', function (e) {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer && e.dataTransfer.files.length) check(e.dataTransfer.files[0]);
    });
  }
})();
