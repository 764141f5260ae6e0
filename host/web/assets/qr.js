/* qr.js - a small QR code reader for the offline verifier, for pictures
   taken straight on (scans, screenshots, a rendered page): Otsu threshold,
   the three finder patterns (1:1:3:1:1 runs, seen across and down), an
   affine grid through their centres, format information (BCH, nearest of
   the 32 codes), unmasking, the codewords in their zigzag, Reed-Solomon
   error correction (Berlekamp-Massey, Chien, Forney over GF(256)) and the
   numeric, alphanumeric and byte segments. Written from ISO/IEC 18004's
   description for mohur; versions 1-20 (mohur's kinds stop at 18). Returns
   the text, or null. */
(function (root) {
  'use strict';

  /* [EC codewords per block, blocks of group 1, data per block, blocks of
     group 2 (one more data codeword each)] for L, M, Q, H */
  var EC = [null,
    [[7, 1, 19, 0], [10, 1, 16, 0], [13, 1, 13, 0], [17, 1, 9, 0]],
    [[10, 1, 34, 0], [16, 1, 28, 0], [22, 1, 22, 0], [28, 1, 16, 0]],
    [[15, 1, 55, 0], [26, 1, 44, 0], [18, 2, 17, 0], [22, 2, 13, 0]],
    [[20, 1, 80, 0], [18, 2, 32, 0], [26, 2, 24, 0], [16, 4, 9, 0]],
    [[26, 1, 108, 0], [24, 2, 43, 0], [18, 2, 15, 2], [22, 2, 11, 2]],
    [[18, 2, 68, 0], [16, 4, 27, 0], [24, 4, 19, 0], [28, 4, 15, 0]],
    [[20, 2, 78, 0], [18, 4, 31, 0], [18, 2, 14, 4], [26, 4, 13, 1]],
    [[24, 2, 97, 0], [22, 2, 38, 2], [22, 4, 18, 2], [26, 4, 14, 2]],
    [[30, 2, 116, 0], [22, 3, 36, 2], [20, 4, 16, 4], [24, 4, 12, 4]],
    [[18, 2, 68, 2], [26, 4, 43, 1], [24, 6, 19, 2], [28, 6, 15, 2]],
    [[20, 4, 81, 0], [30, 1, 50, 4], [28, 4, 22, 4], [24, 3, 12, 8]],
    [[24, 2, 92, 2], [22, 6, 36, 2], [26, 4, 20, 6], [28, 7, 14, 4]],
    [[26, 4, 107, 0], [22, 8, 37, 1], [24, 8, 20, 4], [22, 12, 11, 4]],
    [[30, 3, 115, 1], [24, 4, 40, 5], [20, 11, 16, 5], [24, 11, 12, 5]],
    [[22, 5, 87, 1], [24, 5, 41, 5], [30, 5, 24, 7], [24, 11, 12, 7]],
    [[24, 5, 98, 1], [28, 7, 45, 3], [24, 15, 19, 2], [30, 3, 15, 13]],
    [[28, 1, 107, 5], [28, 10, 46, 1], [28, 1, 22, 15], [28, 2, 14, 17]],
    [[30, 5, 120, 1], [26, 9, 43, 4], [28, 17, 22, 1], [28, 2, 14, 19]],
    [[28, 3, 113, 4], [26, 3, 44, 11], [26, 17, 21, 4], [26, 9, 13, 16]],
    [[28, 3, 107, 5], [26, 3, 41, 13], [30, 15, 24, 5], [28, 15, 15, 10]]
  ];
  var MAXV = EC.length - 1;

  function rawCodewords(v) {
    var r = (16 * v + 128) * v + 64;
    if (v >= 2) { var n = Math.floor(v / 7) + 2; r -= (25 * n - 10) * n - 55; if (v >= 7) r -= 36; }
    return Math.floor(r / 8);
  }
  function alignPos(v) {
    if (v === 1) return [];
    var size = 4 * v + 17, n = Math.floor(v / 7) + 2;
    var step = Math.ceil((size - 13) / (2 * n - 2)) * 2, out = [];
    for (var i = 0, p = size - 7; i < n - 1; i++, p -= step) out.unshift(p);
    out.unshift(6);
    return out;
  }

  /* ---- GF(256), x^8 + x^4 + x^3 + x^2 + 1 ---- */
  var EXP = new Uint8Array(512), LOG = new Uint8Array(256);
  (function () {
    for (var i = 0, x = 1; i < 255; i++) { EXP[i] = x; LOG[x] = i; x <<= 1; if (x & 256) x ^= 0x11d; }
    for (i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
  })();
  function mul(a, b) { return a && b ? EXP[LOG[a] + LOG[b]] : 0; }
  function div(a, b) { return a ? EXP[(LOG[a] + 255 - LOG[b]) % 255] : 0; }

  /* corrects one block (data then EC codewords) in place; false when it
     cannot */
  function rsCorrect(block, nec) {
    var n = block.length, s = [], any = false, i, j;
    for (i = 0; i < nec; i++) {
      var v = 0;
      for (j = 0; j < n; j++) v = mul(v, EXP[i]) ^ block[j];
      s.push(v);
      if (v) any = true;
    }
    if (!any) return true;
    /* Berlekamp-Massey: the error locator */
    var C = [1], B = [1], L = 0, m = 1, b = 1;
    for (i = 0; i < nec; i++) {
      var d = s[i];
      for (j = 1; j <= L; j++) d ^= mul(C[j] || 0, s[i - j]);
      if (d === 0) { m++; continue; }
      var T = C.slice(), coef = div(d, b);
      for (j = 0; j < B.length; j++) C[j + m] = (C[j + m] || 0) ^ mul(coef, B[j]);
      if (2 * L <= i) { L = i + 1 - L; B = T; b = d; m = 1; } else m++;
    }
    /* Chien search: roots give the error positions */
    var pos = [];
    for (i = 0; i < n; i++) {
      var xinv = EXP[(255 - (n - 1 - i)) % 255], sum = 0;
      for (j = 0; j < C.length; j++) sum ^= mul(C[j] || 0, EXP[(LOG[xinv] * j) % 255]);
      if (sum === 0) pos.push(i);
    }
    if (pos.length !== L || L > Math.floor(nec / 2)) return false;
    /* Forney: the error values (first consecutive root 0) */
    var omega = [];
    for (i = 0; i < nec; i++) {
      var o = 0;
      for (j = 0; j <= i; j++) o ^= mul(C[j] || 0, s[i - j]);
      omega.push(o);
    }
    for (var k = 0; k < pos.length; k++) {
      var X = EXP[n - 1 - pos[k]], Xi = div(1, X), num = 0, den = 0;
      for (j = 0; j < omega.length; j++) num ^= mul(omega[j], EXP[(LOG[Xi] * j) % 255]);
      for (j = 1; j < C.length; j += 2) den ^= mul(C[j] || 0, EXP[(LOG[Xi] * (j - 1)) % 255]);
      if (!den) return false;
      block[pos[k]] ^= mul(X, div(num, den));
    }
    for (i = 0; i < nec; i++) {
      var w = 0;
      for (j = 0; j < n; j++) w = mul(w, EXP[i]) ^ block[j];
      if (w) return false;
    }
    return true;
  }

  /* ---- the image ---- */
  function binarize(rgba, w, h) {
    var g = new Uint8Array(w * h), hist = new Array(256).fill(0), i;
    for (i = 0; i < w * h; i++) {
      var y = (rgba[4 * i] * 299 + rgba[4 * i + 1] * 587 + rgba[4 * i + 2] * 114) / 1000;
      if (rgba[4 * i + 3] < 128) y = 255;
      g[i] = y;
      hist[g[i]]++;
    }
    var total = w * h, sum = 0, sumB = 0, wB = 0, best = 0, thr = 128;
    for (i = 0; i < 256; i++) sum += i * hist[i];
    for (i = 0; i < 256; i++) {
      wB += hist[i];
      if (!wB || wB === total) continue;
      sumB += i * hist[i];
      var mB = sumB / wB, mF = (sum - sumB) / (total - wB);
      var between = wB * (total - wB) * (mB - mF) * (mB - mF);
      if (between > best) { best = between; thr = i; }
    }
    var bits = new Uint8Array(w * h);
    for (i = 0; i < w * h; i++) bits[i] = g[i] <= thr ? 1 : 0;
    return bits;
  }

  function ratioOk(r) {
    var total = r[0] + r[1] + r[2] + r[3] + r[4];
    if (total < 7) return 0;
    var u = total / 7, t = u * 0.75;
    return Math.abs(r[0] - u) < t && Math.abs(r[1] - u) < t && Math.abs(r[2] - 3 * u) < 3 * t &&
      Math.abs(r[3] - u) < t && Math.abs(r[4] - u) < t ? u : 0;
  }
  /* the five runs through (x, y) along (dx, dy), centred on the dark core */
  function runsAt(bits, w, h, x, y, dx, dy) {
    function at(px, py) { return px >= 0 && py >= 0 && px < w && py < h ? bits[py * w + px] : -1; }
    if (at(x, y) !== 1) return null;
    var r = [0, 0, 0, 0, 0], px = x, py = y;
    while (at(px, py) === 1) { r[2]++; px -= dx; py -= dy; }
    while (at(px, py) === 0) { r[1]++; px -= dx; py -= dy; }
    while (at(px, py) === 1) { r[0]++; px -= dx; py -= dy; }
    var back = r[2];
    px = x + dx; py = y + dy;
    while (at(px, py) === 1) { r[2]++; px += dx; py += dy; }
    var fwd = r[2] - back;
    while (at(px, py) === 0) { r[3]++; px += dx; py += dy; }
    while (at(px, py) === 1) { r[4]++; px += dx; py += dy; }
    return { r: r, centre: (fwd - back + 1) / 2 };
  }

  function finders(bits, w, h) {
    var cands = [];
    for (var y = 0; y < h; y++) {
      var runs = [], start = [], prev = -1;
      for (var x = 0; x < w; x++) {
        var b = bits[y * w + x];
        if (b !== prev) { runs.push(0); start.push(x); prev = b; }
        runs[runs.length - 1]++;
      }
      var first = bits[y * w] === 1 ? 0 : 1;
      for (var i = first; i + 4 < runs.length; i += 2) {
        var u = ratioOk(runs.slice(i, i + 5));
        if (!u) continue;
        var cx = Math.round(start[i + 2] + runs[i + 2] / 2 - 0.5);
        var v = runsAt(bits, w, h, cx, y, 0, 1);
        if (!v || !ratioOk(v.r)) continue;
        var cy = y + v.centre;
        var hr = runsAt(bits, w, h, cx, Math.round(cy), 1, 0);
        if (!hr || !ratioOk(hr.r)) continue;
        var fx = cx + hr.centre;
        var unit = (ratioOk(hr.r) + ratioOk(v.r)) / 2;
        var merged = false;
        for (var k = 0; k < cands.length; k++) {
          var c = cands[k];
          if (Math.abs(c.x - fx) < 2 * c.u && Math.abs(c.y - cy) < 2 * c.u) {
            c.x = (c.x * c.n + fx) / (c.n + 1); c.y = (c.y * c.n + cy) / (c.n + 1);
            c.u = (c.u * c.n + unit) / (c.n + 1); c.n++;
            merged = true;
            break;
          }
        }
        if (!merged) cands.push({ x: fx, y: cy, u: unit, n: 1 });
      }
    }
    cands.sort(function (a, b) { return b.n - a.n; });
    return cands.slice(0, 8);
  }

  function dist(a, b) { return Math.hypot(a.x - b.x, a.y - b.y); }

  /* the best right-angled triple: [top-left, top-right, bottom-left] */
  function triple(c) {
    var best = null, score = Infinity;
    for (var i = 0; i < c.length; i++) for (var j = 0; j < c.length; j++) for (var k = 0; k < c.length; k++) {
      if (i === j || j === k || i === k) continue;
      var a = c[i], b = c[j], d = c[k];
      var ab = dist(a, b), ad = dist(a, d);
      if (ab < 10 * a.u || ad < 10 * a.u) continue;
      var cross = (b.x - a.x) * (d.y - a.y) - (b.y - a.y) * (d.x - a.x);
      if (cross <= 0) continue; /* b to the right of a, d below, in image coordinates */
      var cos = ((b.x - a.x) * (d.x - a.x) + (b.y - a.y) * (d.y - a.y)) / (ab * ad);
      var s = Math.abs(cos) * 4 + Math.abs(ab - ad) / Math.max(ab, ad) +
        (Math.abs(a.u - b.u) + Math.abs(a.u - d.u)) / a.u;
      if (s < score) { score = s; best = [a, b, d]; }
    }
    return score < 1.5 ? best : null;
  }

  var ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

  function maskBit(m, y, x) {
    switch (m) {
      case 0: return (y + x) % 2 === 0;
      case 1: return y % 2 === 0;
      case 2: return x % 3 === 0;
      case 3: return (y + x) % 3 === 0;
      case 4: return (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0;
      case 5: return (y * x) % 2 + (y * x) % 3 === 0;
      case 6: return ((y * x) % 2 + (y * x) % 3) % 2 === 0;
      default: return ((y + x) % 2 + (y * x) % 3) % 2 === 0;
    }
  }

  function formatCodes() {
    var out = [];
    for (var d = 0; d < 32; d++) {
      var rem = d;
      for (var i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
      out.push({ ecl: d >> 3, mask: d & 7, code: ((d << 10) | rem) ^ 0x5412 });
    }
    return out;
  }
  var FORMATS = formatCodes();
  function popcount(x) { var n = 0; while (x) { n += x & 1; x >>= 1; } return n; }

  function decodeGrid(mod, size) {
    var v = (size - 17) / 4;
    function get(x, y) { return mod[y * size + x]; }
    /* format information, both copies */
    var f1 = 0, f2 = 0, i;
    for (i = 0; i <= 5; i++) f1 |= get(8, i) << i;
    f1 |= get(8, 7) << 6; f1 |= get(8, 8) << 7; f1 |= get(7, 8) << 8;
    for (i = 9; i < 15; i++) f1 |= get(14 - i, 8) << i;
    for (i = 0; i < 8; i++) f2 |= get(size - 1 - i, 8) << i;
    for (i = 8; i < 15; i++) f2 |= get(8, size - 15 + i) << i;
    var fmt = null, bestd = 4;
    FORMATS.forEach(function (f) {
      var d = Math.min(popcount(f.code ^ f1), popcount(f.code ^ f2));
      if (d < bestd) { bestd = d; fmt = f; }
    });
    if (!fmt) return null;
    var level = [1, 0, 3, 2][fmt.ecl]; /* format L=1, M=0, Q=3, H=2 -> table index L,M,Q,H */
    /* function modules */
    var fn = new Uint8Array(size * size);
    function mark(x, y, w, h) {
      for (var yy = y; yy < y + h; yy++) for (var xx = x; xx < x + w; xx++)
        if (xx >= 0 && yy >= 0 && xx < size && yy < size) fn[yy * size + xx] = 1;
    }
    mark(0, 0, 9, 9); mark(size - 8, 0, 8, 9); mark(0, size - 8, 9, 8);
    mark(6, 0, 1, size); mark(0, 6, size, 1);
    var ap = alignPos(v);
    ap.forEach(function (ay, a) {
      ap.forEach(function (ax, b) {
        if ((a === 0 && b === 0) || (a === 0 && b === ap.length - 1) || (a === ap.length - 1 && b === 0)) return;
        mark(ax - 2, ay - 2, 5, 5);
      });
    });
    if (v >= 7) { mark(size - 11, 0, 3, 6); mark(0, size - 11, 6, 3); }
    /* the codewords in their zigzag */
    var total = rawCodewords(v), cw = new Uint8Array(total), bit = 0;
    for (var right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (var vert = 0; vert < size; vert++) {
        for (var j = 0; j < 2; j++) {
          var x = right - j, up = ((right + 1) & 2) === 0, y = up ? size - 1 - vert : vert;
          if (fn[y * size + x] || bit >= total * 8) continue;
          var b = get(x, y) ^ (maskBit(fmt.mask, y, x) ? 1 : 0);
          if (b) cw[bit >> 3] |= 0x80 >> (bit & 7);
          bit++;
        }
      }
    }
    /* blocks: de-interleave, correct */
    var e = EC[v][level], nec = e[0], blocks = [], k;
    for (k = 0; k < e[1]; k++) blocks.push({ n: e[2], b: [] });
    for (k = 0; k < e[3]; k++) blocks.push({ n: e[2] + 1, b: [] });
    var p = 0;
    for (i = 0; i < e[2] + 1; i++) blocks.forEach(function (bl) { if (i < bl.n) bl.b.push(cw[p++]); });
    for (i = 0; i < nec; i++) blocks.forEach(function (bl) { bl.b.push(cw[p++]); });
    var data = [];
    for (k = 0; k < blocks.length; k++) {
      if (!rsCorrect(blocks[k].b, nec)) return null;
      data = data.concat(blocks[k].b.slice(0, blocks[k].n));
    }
    return segments(data, v);
  }

  function segments(data, v) {
    var pos = 0, out = '';
    function read(n) {
      var x = 0;
      for (var i = 0; i < n; i++, pos++) {
        if (pos >= data.length * 8) throw new Error('short');
        x = (x << 1) | ((data[pos >> 3] >> (7 - (pos & 7))) & 1);
      }
      return x;
    }
    var g = v <= 9 ? 0 : v <= 26 ? 1 : 2;
    try {
      while (pos + 4 <= data.length * 8) {
        var mode = read(4), n, i;
        if (mode === 0) break;
        if (mode === 1) {
          n = read([10, 12, 14][g]);
          for (i = 0; i + 3 <= n; i += 3) out += String(read(10)).padStart(3, '0');
          if (n % 3 === 2) out += String(read(7)).padStart(2, '0');
          else if (n % 3 === 1) out += String(read(4));
        } else if (mode === 2) {
          n = read([9, 11, 13][g]);
          for (i = 0; i + 2 <= n; i += 2) { var x = read(11); out += ALNUM[Math.floor(x / 45)] + ALNUM[x % 45]; }
          if (n % 2) out += ALNUM[read(6)];
        } else if (mode === 4) {
          n = read([8, 16, 16][g]);
          var bytes = new Uint8Array(n);
          for (i = 0; i < n; i++) bytes[i] = read(8);
          out += new TextDecoder('utf-8').decode(bytes);
        } else if (mode === 7) {
          read(8);
        } else {
          return null;
        }
      }
    } catch (e) {
      return out || null;
    }
    return out;
  }

  function decode(rgba, w, h) {
    var bits = binarize(rgba, w, h);
    var c = finders(bits, w, h);
    var t = triple(c);
    if (!t) return null;
    var tl = t[0], tr = t[1], bl = t[2], u = (tl.u + tr.u + bl.u) / 3;
    var est = ((dist(tl, tr) + dist(tl, bl)) / 2) / u + 7;
    var v0 = Math.round((est - 17) / 4);
    /* a picture a module off: try the nearest versions */
    var order = [v0, v0 - 1, v0 + 1];
    for (var q = 0; q < order.length; q++) {
      var v = order[q];
      if (v < 1 || v > MAXV) continue;
      var size = 4 * v + 17, span = size - 7, mod = new Uint8Array(size * size);
      for (var y = 0; y < size; y++) for (var x = 0; x < size; x++) {
        var fx = (x - 3) / span, fy = (y - 3) / span;
        var px = tl.x + fx * (tr.x - tl.x) + fy * (bl.x - tl.x);
        var py = tl.y + fx * (tr.y - tl.y) + fy * (bl.y - tl.y);
        var ix = Math.round(px), iy = Math.round(py);
        mod[y * size + x] = ix >= 0 && iy >= 0 && ix < w && iy < h ? bits[iy * w + ix] : 0;
      }
      var text = decodeGrid(mod, size);
      if (text) return text;
    }
    return null;
  }

  root.MHQR = { decode: decode, _rawCodewords: rawCodewords, _EC: EC, _rs: rsCorrect };
})(window);
