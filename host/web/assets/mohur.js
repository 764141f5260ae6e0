/* mohur.js - what the verification page and the offline verifier check in
   the browser, with WebCrypto: a receipt (COSE_Sign1, ES256, over CBOR
   claims; docs/receipt.md), its QR URL (HTTPS://HOST/V/<base32>), a ledger
   entry's inclusion proof (RFC 9162) against a checkpoint signed by the
   registry (C2SP signed note, ECDSA P-256), the SHA-256 of a file's
   original bytes; and the message catalogs (plural rules, dates). Plain
   JavaScript, no dependencies; it sends nothing anywhere. */
(function (root) {
  'use strict';
  var MH = {};
  var enc = new TextEncoder();
  var dec = new TextDecoder('utf-8', { fatal: true });

  MH.b64 = function (s) {
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };
  MH.hex = function (u8) {
    var s = '';
    for (var i = 0; i < u8.length; i++) s += (u8[i] < 16 ? '0' : '') + u8[i].toString(16);
    return s;
  };
  function concat(list) {
    var n = 0, i;
    for (i = 0; i < list.length; i++) n += list[i].length;
    var out = new Uint8Array(n), o = 0;
    for (i = 0; i < list.length; i++) { out.set(list[i], o); o += list[i].length; }
    return out;
  }
  function eq(a, b) {
    if (a.length !== b.length) return false;
    var d = 0;
    for (var i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  MH.eq = eq;

  /* RFC 4648 base32, upper case, no padding, strict (as the registry). */
  MH.base32 = function (s) {
    var A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    var r = s.length % 8;
    if (r === 1 || r === 3 || r === 6 || s.length > 4096) throw new Error('base32 length');
    var out = [], bits = 0, acc = 0;
    for (var i = 0; i < s.length; i++) {
      var v = A.indexOf(s[i]);
      if (v < 0) throw new Error('base32 character');
      acc = (acc << 5) | v; bits += 5;
      if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 255); }
      acc &= (1 << bits) - 1;
    }
    if (acc !== 0) throw new Error('base32 padding bits');
    return new Uint8Array(out);
  };

  /* A receipt URL: HTTPS://HOST/V/BASE32 (scheme and host in any case). */
  MH.parseUrl = function (text) {
    var t = String(text).trim();
    var m = /^https:\/\/([A-Za-z0-9.\-]+(?::[0-9]{1,5})?)\/V\/([A-Z2-7]+)$/i.exec(t);
    if (!m || t.length > 2048) throw new Error('not a receipt URL');
    var path = t.slice(t.length - m[2].length);
    return { host: m[1].toLowerCase(), receipt: MH.base32(path) };
  };

  /* ---- CBOR: the definite-length items receipts and entries use ---- */
  function Reader(u8) { this.b = u8; this.p = 0; this.depth = 0; }
  Reader.prototype.byte = function () {
    if (this.p >= this.b.length) throw new Error('CBOR truncated');
    return this.b[this.p++];
  };
  Reader.prototype.arg = function (ai) {
    if (ai < 24) return ai;
    var n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
    if (!n) throw new Error('CBOR indefinite or reserved length');
    var v = 0;
    for (var i = 0; i < n; i++) v = v * 256 + this.byte();
    if (v > Number.MAX_SAFE_INTEGER) throw new Error('CBOR number too large');
    return v;
  };
  Reader.prototype.bytes = function (n) {
    if (n > this.b.length - this.p) throw new Error('CBOR truncated');
    var out = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  };
  /* items as {t: major type, v: value}; maps as arrays of [key, value] */
  Reader.prototype.item = function () {
    if (++this.depth > 8) throw new Error('CBOR too deep');
    var ib = this.byte(), mt = ib >> 5, v = this.arg(ib & 31), out, i;
    switch (mt) {
      case 0: out = v; break;
      case 1: out = -1 - v; break;
      case 2: out = this.bytes(v); break;
      case 3: out = dec.decode(this.bytes(v)); break;
      case 4:
        if (v > 64) throw new Error('CBOR array too long');
        out = [];
        for (i = 0; i < v; i++) out.push(this.item());
        break;
      case 5:
        if (v > 64) throw new Error('CBOR map too long');
        out = [];
        for (i = 0; i < v; i++) out.push([this.item(), this.item()]);
        out.isMap = true;
        break;
      case 6: out = { tag: v, value: this.item() }; break;
      default: throw new Error('CBOR simple values are not used here');
    }
    this.depth--;
    return out;
  };
  MH.cbor = function (u8) {
    var r = new Reader(u8);
    var v = r.item();
    if (r.p !== u8.length) throw new Error('bytes after the CBOR item');
    return v;
  };
  function mapGet(m, k) {
    for (var i = 0; i < m.length; i++) if (m[i][0] === k) return m[i][1];
    return undefined;
  }
  function head(mt, n) {
    if (n < 24) return new Uint8Array([(mt << 5) | n]);
    if (n < 256) return new Uint8Array([(mt << 5) | 24, n]);
    if (n < 65536) return new Uint8Array([(mt << 5) | 25, n >> 8, n & 255]);
    return new Uint8Array([(mt << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
  }
  function bstr(u8) { return concat([head(2, u8.length), u8]); }

  var FIELDS = [null, 'name', 'date', 'degree', 'program', 'grade', 'number', 'title', 'birth-date'];
  var KINDS = [null, 'official-certificate', 'notary-act', 'diploma', 'court-decision', 'labor-contract'];

  /* A receipt: 18([protected, {}, payload, r||s]) with the claims. */
  MH.parseReceipt = function (u8) {
    if (u8.length > 1024) throw new Error('receipt too large');
    var top = MH.cbor(u8);
    if (!top || top.tag !== 18 || !Array.isArray(top.value) || top.value.length !== 4)
      throw new Error('not a COSE_Sign1');
    var prot = top.value[0], payload = top.value[2], sig = top.value[3];
    if (!(prot instanceof Uint8Array) || !(payload instanceof Uint8Array) ||
        !(sig instanceof Uint8Array) || sig.length !== 64)
      throw new Error('COSE_Sign1 shape');
    var ph = MH.cbor(prot);
    if (!ph.isMap || ph.length !== 2 || mapGet(ph, 1) !== -7) throw new Error('not ES256');
    var kid = mapGet(ph, 4);
    if (!(kid instanceof Uint8Array) || kid.length !== 8) throw new Error('kid');
    var c = MH.cbor(payload);
    if (!c.isMap) throw new Error('claims');
    var kind = mapGet(c, -3);
    var claims = {
      issuer: mapGet(c, 1), iat: mapGet(c, 6), registry: mapGet(c, -1), index: mapGet(c, -2),
      kind: typeof kind === 'number' ? KINDS[kind] || String(kind) : kind,
      digest: mapGet(c, -4), length: mapGet(c, -5), host: mapGet(c, -7), fields: []
    };
    if (typeof claims.index !== 'number' || typeof claims.length !== 'number' ||
        !(claims.digest instanceof Uint8Array) ||
        (claims.digest.length !== 16 && claims.digest.length !== 32))
      throw new Error('claims');
    var f = mapGet(c, -6);
    if (f && f.isMap) {
      for (var i = 0; i < f.length; i++) {
        var k = f[i][0];
        claims.fields.push([typeof k === 'number' ? FIELDS[k] || String(k) : k, f[i][1]]);
      }
    }
    return { prot: prot, payload: payload, sig: sig, kid: kid, claims: claims };
  };

  /* ["Signature1", protected, h'', payload] (RFC 9052 4.4) */
  MH.sigStructure = function (r) {
    return concat([new Uint8Array([0x84]), head(3, 10), enc.encode('Signature1'),
      bstr(r.prot), bstr(new Uint8Array(0)), bstr(r.payload)]);
  };

  MH.hasCrypto = function () {
    return !!(root.crypto && root.crypto.subtle && root.isSecureContext !== false);
  };
  MH.sha256 = function (u8) {
    return root.crypto.subtle.digest('SHA-256', u8).then(function (d) { return new Uint8Array(d); });
  };
  function importKey(spki) {
    return root.crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' },
      false, ['verify']);
  }
  function ecdsa(spki, sig, data) {
    return importKey(spki).then(function (k) {
      return root.crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, sig, data);
    });
  }

  /* Verifies a receipt against registry keys (SPKI DER): resolves to
     {ok, key (index), reason: 'nokey' | 'sig'}. COSE's r||s is what
     WebCrypto takes for ECDSA. */
  MH.verifyReceipt = function (r, spkis) {
    var data = MH.sigStructure(r);
    return Promise.all(spkis.map(function (s) { return MH.sha256(s); })).then(function (ids) {
      var tries = [];
      ids.forEach(function (id, i) {
        if (eq(id.subarray(0, 8), r.kid)) tries.push(i);
      });
      if (!tries.length) return { ok: false, reason: 'nokey' };
      return Promise.all(tries.map(function (i) { return ecdsa(spkis[i], r.sig, data); }))
        .then(function (res) {
          for (var j = 0; j < res.length; j++) if (res[j]) return { ok: true, key: tries[j] };
          return { ok: false, reason: 'sig' };
        });
    });
  };

  /* ---- the ledger: RFC 9162 inclusion, C2SP checkpoints ---- */
  function node(a, b) { return MH.sha256(concat([new Uint8Array([1]), a, b])); }
  MH.leafHash = function (entry) { return MH.sha256(concat([new Uint8Array([0]), entry])); };

  /* RFC 9162 2.1.3.2: resolves to the root the proof leads to, or null */
  MH.inclusionRoot = function (leaf, index, size, proof) {
    if (index >= size) return Promise.resolve(null);
    var fn = index, sn = size - 1, r = Promise.resolve(leaf), i = 0;
    function step(p) {
      return function (h) {
        if (h === null || sn === 0) return null;
        if (fn % 2 === 1 || fn === sn) {
          var out = node(p, h);
          if (fn % 2 === 0) {
            while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
          }
          fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
          return out;
        }
        var o = node(h, p);
        fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
        return o;
      };
    }
    for (i = 0; i < proof.length; i++) r = r.then(step(proof[i]));
    return r.then(function (h) { return h && sn === 0 ? h : null; });
  };

  function derToRaw(der) {
    /* SEQUENCE { INTEGER r, INTEGER s } -> r||s (32 bytes each) */
    var p = 0;
    function tlv(tag) {
      if (der[p++] !== tag) throw new Error('DER');
      var len = der[p++];
      if (len & 0x80) { if (len !== 0x81) throw new Error('DER'); len = der[p++]; }
      var v = der.subarray(p, p + len);
      if (v.length !== len) throw new Error('DER');
      p += len;
      return v;
    }
    var seq = tlv(0x30);
    if (p !== der.length) throw new Error('DER');
    der = seq; p = 0;
    var out = new Uint8Array(64);
    [tlv(0x02), tlv(0x02)].forEach(function (x, i) {
      while (x.length > 32 && x[0] === 0) x = x.subarray(1);
      if (x.length > 32) throw new Error('DER');
      out.set(x, i * 32 + 32 - x.length);
    });
    if (p !== der.length) throw new Error('DER');
    return out;
  }

  /* A checkpoint note signed by a registry key (ECDSA, type 0x02, key ID
     SHA-256(SPKI)[:4], the key named by the origin). Resolves to
     {ok, size, root} */
  MH.verifyCheckpoint = function (note, spkis) {
    var blank = note.indexOf('\n\n');
    if (blank < 0) return Promise.resolve({ ok: false });
    var text = note.slice(0, blank + 1);
    var lines = text.split('\n');
    var origin = lines[0], size = Number(lines[1]), root = MH.b64(lines[2]);
    var sigs = note.slice(blank + 2).split('\n').filter(function (l) { return l.length; });
    var data = enc.encode(text);
    return Promise.all(spkis.map(function (s) { return MH.sha256(s); })).then(function (ids) {
      var checks = [];
      sigs.forEach(function (line) {
        var m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
        if (!m || m[1] !== origin) return;
        var raw = MH.b64(m[2]);
        ids.forEach(function (id, i) {
          if (raw.length > 4 && eq(raw.subarray(0, 4), id.subarray(0, 4))) {
            try {
              checks.push(ecdsa(spkis[i], derToRaw(raw.subarray(4)), data));
            } catch (e) { /* not a DER ECDSA signature */ }
          }
        });
      });
      return Promise.all(checks).then(function (res) {
        return { ok: res.indexOf(true) >= 0, size: size, root: root };
      });
    });
  };

  /* The entry is the receipt's (type issue, same digest, length, time),
     and is at index of the tree the signed checkpoint names. */
  MH.verifyProof = function (proof, claims, spkis) {
    var entry = MH.b64(proof.entry);
    var e;
    try { e = MH.cbor(entry); } catch (x) { return Promise.resolve(false); }
    if (!e.isMap || mapGet(e, 0) !== 1 || mapGet(e, 5) !== claims.length ||
        mapGet(e, 7) !== claims.iat || !(mapGet(e, 4) instanceof Uint8Array) ||
        !eq(mapGet(e, 4).subarray(0, claims.digest.length), claims.digest))
      return Promise.resolve(false);
    return MH.verifyCheckpoint(proof.note, spkis).then(function (cp) {
      if (!cp.ok || cp.size !== proof.size) return false;
      return MH.leafHash(entry).then(function (leaf) {
        return MH.inclusionRoot(leaf, claims.index, proof.size, proof.hashes.map(MH.b64));
      }).then(function (r) { return !!r && eq(r, cp.root); });
    });
  };

  /* A file against the receipt: the SHA-256 of its first `length` bytes
     (a signed PDF: what came before the registry's update) and, for any
     other file, its whole length. Resolves to 'ok', 'bad' or 'short'. */
  MH.checkFile = function (file, claims) {
    if (file.size < claims.length) return Promise.resolve('short');
    var isPdfUpdate = file.size > claims.length;
    return file.slice(0, claims.length).arrayBuffer().then(function (buf) {
      var u8 = new Uint8Array(buf);
      if (isPdfUpdate && !(u8.length > 5 && u8[0] === 0x25 && u8[1] === 0x50 && u8[2] === 0x44 &&
          u8[3] === 0x46)) return 'bad';
      return MH.sha256(u8).then(function (d) {
        return eq(d.subarray(0, claims.digest.length), claims.digest) ? 'ok' : 'bad';
      });
    });
  };

  /* ---- the message catalogs ---- */
  function pluralRule(rule, n) {
    /* CLDR syntax for whole numbers: n, i (the number), v, f, t, w, e, c
       (zero); % ; = != ; a..b lists ; and ; or */
    var ors = rule.split(/\s+or\s+/);
    return ors.some(function (conj) {
      return conj.split(/\s+and\s+/).every(function (rel) {
        var m = /^\s*([nivftwec])\s*(?:%\s*(\d+))?\s*(!=|=)\s*([\d.,\s]+)$/.exec(rel);
        if (!m) return false;
        var x = 'ni'.indexOf(m[1]) >= 0 ? Math.abs(n) : 0;
        if (m[2]) x = x % Number(m[2]);
        var inside = m[4].split(',').some(function (r) {
          var ab = r.trim().split('..');
          return x >= Number(ab[0]) && x <= Number(ab[ab.length - 1]);
        });
        return m[3] === '=' ? inside : !inside;
      });
    });
  }
  MH.plural = function (cat, n) {
    var order = ['zero', 'one', 'two', 'few', 'many'];
    for (var i = 0; i < order.length; i++) {
      var r = cat.plural && cat.plural[order[i]];
      if (r && pluralRule(r, n)) return order[i];
    }
    return 'other';
  };
  /* The message with {name} filled in (plain text: callers set textContent) */
  MH.msg = function (cat, key, args) {
    var m = cat.msg[key];
    args = args || {};
    if (m === undefined) return key;
    if (typeof m === 'object') m = m[MH.plural(cat, Number(args.n || 0))] || m.other;
    return m.replace(/\{([a-z]+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : all;
    });
  };
  MH.date = function (cat, t, withTime) {
    var d = new Date(t * 1000);
    function two(x) { return (x < 10 ? '0' : '') + x; }
    var date = cat.date.replace('{d}', d.getUTCDate()).replace('{month}', cat.months[d.getUTCMonth()])
      .replace('{y}', d.getUTCFullYear());
    if (!withTime) return date;
    return cat.datetime.replace('{date}', date).replace('{hh}', two(d.getUTCHours()))
      .replace('{mm}', two(d.getUTCMinutes()));
  };

  root.MH = MH;
})(window);
