/* a11y.js - our own WCAG 2.2 AA checks, run inside the page through
   WebDriver (browser.py: execute_script(this file + "return mhA11y(what,
   opts)")). They need nothing from outside the machine; axe-core runs as
   well only when a copy is already here. What each mode checks:

   static     text contrast from computed styles (1.4.3: 4.5:1, 3:1 for
              large text; pseudo-element text too), every control and link
              named (4.1.2, 2.4.4) and its visible words in its name (2.5.3),
              images with text alternatives (1.1.1: img alt, svg hidden or
              named, role=img named), one h1 first and no skipped heading
              level, no empty heading (1.3.1, 2.4.6), lang on <html> and on
              every language link or button (3.1.1, 3.1.2), landmarks (one
              main, at most one banner and contentinfo, navigations named,
              all text inside a landmark) and a way past the header (2.4.1),
              a page title (2.4.2), unique ids (4.1.2), results the scripts
              write announced (4.1.3), target sizes (2.5.8: 24 px unless
              inline in a sentence; the page's own goal of 44 px too)
   focusables the tab stops in document order (for 2.4.3 and 2.1.2)
   focus-base the look of every tab stop unfocused
   focus-check the focused element shows it (2.4.7, measured as 2.4.13's
              2 px at 3:1 against what is around it) and is not hidden
              (2.4.11)
   reflow     at 320 px nothing needs scrolling sideways (1.4.10)
   spacing    WCAG's text spacing (1.4.12) cuts nothing off
   print      printed (print media, A4 line width) nothing is cut off or
              runs past the page, and no control is printed
   print-texts the text the printout must carry */
function mhA11y(what, opts) {
  'use strict';
  opts = opts || {};
  var doc = document;
  var gcs = function (e, p) { return getComputedStyle(e, p || null); };

  /* ---- colours ---- */
  function parse(c) {
    var m = /rgba?\(([^)]*)\)/.exec(c || '');
    if (!m) return null;
    var p = m[1].split(/[\s,/]+/).filter(Boolean).map(function (x) {
      return /%$/.test(x) ? parseFloat(x) / 100 : parseFloat(x);
    });
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  }
  function over(top, bot) { /* top composited over an opaque bottom */
    var a = top.a;
    return { r: top.r * a + bot.r * (1 - a), g: top.g * a + bot.g * (1 - a), b: top.b * a + bot.b * (1 - a), a: 1 };
  }
  function lum(c) {
    function ch(v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  }
  function ratio(a, b) {
    var x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function hex(c) {
    return '#' + [c.r, c.g, c.b].map(function (v) { return ('0' + Math.round(v).toString(16)).slice(-2); }).join('');
  }
  /* the opaque colour behind an element's text: its and its ancestors'
     backgrounds over the white canvas; image: a background image is in
     the way and the colour cannot be known */
  function background(el) {
    var chain = [];
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) chain.unshift(e);
    var bg = { r: 255, g: 255, b: 255, a: 1 };
    var image = false;
    chain.forEach(function (e) {
      var cs = gcs(e);
      if (cs.backgroundImage && cs.backgroundImage !== 'none') image = true;
      var c = parse(cs.backgroundColor);
      if (c && c.a > 0) bg = over(c, bg);
    });
    return { c: bg, image: image };
  }
  function opacity(el) {
    var o = 1;
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) o *= parseFloat(gcs(e).opacity);
    return o;
  }

  /* ---- what is shown and what it is called ---- */
  function shown(el) {
    if (!el.getClientRects().length) return false;
    return gcs(el).visibility === 'visible';
  }
  function ariaHidden(el) { return !!el.closest('[aria-hidden="true"]'); }
  function offscreen(r) { return r.bottom <= 0 || r.right <= 0; }
  function textOf(n) {
    if (n.nodeType === 3) return n.data;
    if (n.nodeType !== 1) return '';
    if (n.getAttribute('aria-hidden') === 'true') return '';
    if (gcs(n).display === 'none') return '';
    if (n.tagName === 'IMG') return ' ' + (n.getAttribute('alt') || '') + ' ';
    if (n.getAttribute('aria-label')) return ' ' + n.getAttribute('aria-label') + ' ';
    var s = '';
    for (var c = n.firstChild; c; c = c.nextSibling) s += textOf(c);
    return s;
  }
  function squash(s) { return (s || '').replace(/\s+/g, ' ').trim(); }
  function accName(el) {
    var lb = el.getAttribute('aria-labelledby');
    if (lb) {
      return squash(lb.split(/\s+/).map(function (id) {
        var t = doc.getElementById(id);
        return t ? textOf(t) : '';
      }).join(' '));
    }
    var al = squash(el.getAttribute('aria-label'));
    if (al) return al;
    var tag = el.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') {
      var type = (el.getAttribute('type') || '').toLowerCase();
      if (type === 'image') return squash(el.getAttribute('alt'));
      if (type === 'submit' || type === 'reset' || type === 'button') return squash(el.value);
      var s = '';
      if (el.labels) Array.prototype.forEach.call(el.labels, function (l) { s += ' ' + textOf(l); });
      if (squash(s)) return squash(s);
    } else {
      var t = squash(textOf(el));
      if (t) return t;
    }
    return squash(el.getAttribute('title') || el.getAttribute('placeholder'));
  }
  function ident(el) {
    if (el.id) return el.id;
    var href = el.getAttribute('href') || '';
    if (href) return href.indexOf('?') >= 0 ? href.slice(href.indexOf('?')) : href;
    if (el.getAttribute('data-lang')) return el.tagName.toLowerCase() + '[data-lang=' + el.getAttribute('data-lang') + ']';
    return el.tagName.toLowerCase();
  }
  var CONTROLS = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link], ' +
    '[role=checkbox], [role=radio], [role=tab], [role=switch], [role=textbox], [role=combobox], [tabindex]';
  function controls() {
    return Array.prototype.filter.call(doc.querySelectorAll(CONTROLS), function (e) {
      if (e.disabled) return false;
      if (e.hasAttribute('tabindex') && parseInt(e.getAttribute('tabindex'), 10) < 0 &&
          !e.matches('a[href], button, input, select, textarea, summary')) return false;
      return shown(e) && !ariaHidden(e);
    });
  }
  function tabbable() {
    return controls().filter(function (e) {
      return !(e.hasAttribute('tabindex') && parseInt(e.getAttribute('tabindex'), 10) < 0);
    });
  }
  /* an inline link inside a sentence (2.5.8's exception) */
  function inSentence(el) {
    if (gcs(el).display !== 'inline') return false;
    var p = el.parentElement;
    return squash(p.textContent).length > squash(el.textContent).length + 3;
  }

  var out = [];
  function check(id, name, bad, detail) {
    out.push({ id: id, name: name, ok: bad.length === 0,
               detail: bad.length ? bad.slice(0, 8).join('; ') + (bad.length > 8 ? '; ...' : '') : detail });
  }

  /* ---- the static checks ---- */
  function contrast() {
    var bad = [], n = 0, unknown = [];
    function one(el, fgColor, cs, what) {
      var bg = background(el);
      if (bg.image) { unknown.push(what); return; }
      var fg = parse(fgColor);
      if (!fg) { unknown.push(what + ' (colour ' + fgColor + ')'); return; }
      fg.a *= opacity(el);
      var px = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
      var large = px >= 24 || (bold && px >= 18.66);
      var need = large ? 3 : 4.5;
      var r = ratio(over(fg, bg.c), bg.c);
      n++;
      if (r < need - 0.005) bad.push(what + ': ' + hex(over(fg, bg.c)) + ' on ' + hex(bg.c) + ' is ' + r.toFixed(2) + ':1, needs ' + need);
    }
    Array.prototype.forEach.call(doc.body.querySelectorAll('*'), function (el) {
      if (/^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|OPTION)$/.test(el.tagName) || el.closest('svg')) return;
      if (!shown(el) || offscreen(el.getBoundingClientRect())) return;
      var cs = gcs(el);
      var has = false;
      for (var c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3 && c.data.trim()) has = true;
      var label = el.tagName.toLowerCase() + (el.id ? '#' + el.id : el.className ? '.' + String(el.className).split(' ')[0] : '');
      if (has) one(el, cs.color, cs, label + ' "' + squash(el.textContent).slice(0, 24) + '"');
      ['::before', '::after'].forEach(function (p) {
        var ps = gcs(el, p);
        var ct = ps.content;
        if (!ct || ct === 'none' || ct === 'normal' || !/^"[^"]*\S[^"]*"$/.test(ct) || ps.display === 'none') return;
        one(el, ps.color, ps, label + p + ' ' + ct);
      });
    });
    check('contrast', 'text contrast 4.5:1, large text 3:1, from computed styles (1.4.3)', bad,
          n + ' texts' + (unknown.length ? ', ' + unknown.length + ' over an image not measured' : ''));
    if (unknown.length) out[out.length - 1].detail += ' (' + unknown.slice(0, 4).join(', ') + ')';
  }
  function names() {
    var bad = [], mism = [], n = 0;
    controls().forEach(function (el) {
      n++;
      var nm = accName(el);
      if (!nm) bad.push(el.outerHTML.slice(0, 80));
      var al = squash(el.getAttribute('aria-label'));
      var vis = squash(el.innerText || '');
      if (al && vis && al.toLowerCase().indexOf(vis.toLowerCase()) < 0) mism.push(ident(el) + ': "' + vis + '" not in "' + al + '"');
    });
    Array.prototype.forEach.call(doc.querySelectorAll('nav, [role=navigation], [role=region], [role=dialog], section[aria-labelledby]'), function (el) {
      if (el.hasAttribute('aria-labelledby') && !accName(el)) bad.push(el.tagName.toLowerCase() + ' labelled by nothing');
    });
    check('names', 'every control, button and link has an accessible name (4.1.2, 2.4.4)', bad, n + ' controls named');
    check('label-in-name', 'visible words are part of the accessible name (2.5.3)', mism, 'none differ');
  }
  function images() {
    var bad = [], n = 0, deco = 0;
    Array.prototype.forEach.call(doc.querySelectorAll('img, input[type=image], area'), function (el) {
      n++;
      if (!el.hasAttribute('alt')) bad.push(el.outerHTML.slice(0, 80) + ' has no alt');
      else if (!el.getAttribute('alt').trim()) deco++;
    });
    Array.prototype.forEach.call(doc.querySelectorAll('svg'), function (el) {
      if (el.parentElement.closest('svg')) return;
      n++;
      if (ariaHidden(el)) { deco++; return; }
      if (el.getAttribute('role') === 'img' && (accName(el) || el.querySelector(':scope > title'))) return;
      bad.push('svg ' + (el.getAttribute('class') || '') + ' neither hidden nor named');
    });
    Array.prototype.forEach.call(doc.querySelectorAll('[role=img]:not(svg)'), function (el) {
      n++;
      if (!accName(el)) bad.push(el.tagName.toLowerCase() + '[role=img] unnamed');
    });
    check('images', 'images have text alternatives or are marked decorative (1.1.1)', bad,
          n + ' images, ' + deco + ' decorative');
  }
  function headings() {
    var hs = Array.prototype.filter.call(doc.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]'), function (h) {
      return shown(h) && !ariaHidden(h);
    });
    var bad = [], prev = 0, h1 = 0, seq = [];
    hs.forEach(function (h, i) {
      var lv = h.getAttribute('role') === 'heading' ? parseInt(h.getAttribute('aria-level') || '2', 10) : parseInt(h.tagName[1], 10);
      seq.push('h' + lv);
      if (lv === 1) h1++;
      if (i === 0 && lv !== 1) bad.push('the first heading is h' + lv);
      if (i > 0 && lv > prev + 1) bad.push('h' + prev + ' then h' + lv + ' ("' + squash(h.textContent).slice(0, 30) + '")');
      if (!squash(textOf(h))) bad.push('an empty h' + lv);
      prev = lv;
    });
    if (h1 !== 1) bad.push(h1 + ' h1 elements');
    check('headings', 'one h1, first, and no heading level skipped, none empty (1.3.1, 2.4.6)', bad, seq.join(' '));
  }
  function langs() {
    var bad = [];
    var tag = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/;
    var hl = doc.documentElement.getAttribute('lang') || '';
    if (!tag.test(hl)) bad.push('<html lang="' + hl + '">');
    if (opts.lang && hl !== opts.lang) bad.push('<html lang="' + hl + '">, the page is ' + opts.lang);
    Array.prototype.forEach.call(doc.body.querySelectorAll('[lang]'), function (e) {
      if (!tag.test(e.getAttribute('lang'))) bad.push(e.tagName.toLowerCase() + ' lang="' + e.getAttribute('lang') + '"');
    });
    var links = doc.querySelectorAll('a[hreflang], [data-lang]');
    Array.prototype.forEach.call(links, function (e) {
      var want = e.getAttribute('hreflang') || e.getAttribute('data-lang');
      if (e.getAttribute('lang') !== want) bad.push(ident(e) + ' names ' + want + ' without lang="' + want + '"');
    });
    check('lang', 'lang on <html> and on every language link (3.1.1, 3.1.2)', bad,
          'html ' + hl + ', ' + links.length + ' language links');
  }
  function landmarks() {
    var bad = [];
    var sect = 'article, aside, main, nav, section';
    var mains = doc.querySelectorAll('main, [role=main]');
    if (mains.length !== 1) bad.push(mains.length + ' main landmarks');
    var banners = Array.prototype.filter.call(doc.querySelectorAll('header, [role=banner]'), function (e) {
      return e.getAttribute('role') === 'banner' || !e.parentElement.closest(sect);
    });
    if (banners.length > 1) bad.push(banners.length + ' banners');
    var infos = Array.prototype.filter.call(doc.querySelectorAll('footer, [role=contentinfo]'), function (e) {
      return e.getAttribute('role') === 'contentinfo' || !e.parentElement.closest(sect);
    });
    if (infos.length > 1) bad.push(infos.length + ' contentinfo');
    var navs = doc.querySelectorAll('nav, [role=navigation]');
    if (navs.length > 1) {
      Array.prototype.forEach.call(navs, function (e) { if (!accName(e)) bad.push('a navigation without a name'); });
    }
    var LM = 'main, header, footer, nav, aside, [role=main], [role=banner], [role=contentinfo], [role=navigation], ' +
      '[role=complementary], [role=search], [role=region][aria-label], [role=region][aria-labelledby]';
    var skip = null;
    var first = tabbable()[0];
    if (first && first.tagName === 'A' && /^#./.test(first.getAttribute('href') || '')) {
      var target = doc.getElementById(first.getAttribute('href').slice(1));
      if (target && target.closest('main, [role=main]')) skip = first;
    }
    var outside = [];
    var walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    for (var t = walker.nextNode(); t; t = walker.nextNode()) {
      if (!t.data.trim()) continue;
      var p = t.parentElement;
      if (/^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE)$/.test(p.tagName) || !shown(p)) continue;
      if (skip && skip.contains(p)) continue;
      if (!p.closest(LM)) outside.push('"' + t.data.trim().slice(0, 30) + '"');
    }
    if (outside.length) bad.push('text outside every landmark: ' + outside.slice(0, 4).join(', '));
    if (!skip && mains.length !== 1) bad.push('no skip link and no main landmark to go past the header');
    check('landmarks', 'one main, one banner and contentinfo at most, navigations named, all text in landmarks, ' +
          'a way past the header (1.3.1, 2.4.1)', bad,
          (skip ? 'skip link to #' + skip.getAttribute('href').slice(1) : 'main landmark') + ', ' + navs.length + ' navigation');
  }
  function titleAndIds() {
    check('title', 'the page has a title (2.4.2)', squash(doc.title) ? [] : ['no title'], '"' + squash(doc.title) + '"');
    var seen = {}, dup = [];
    Array.prototype.forEach.call(doc.querySelectorAll('[id]'), function (e) {
      if (seen[e.id]) dup.push('#' + e.id);
      seen[e.id] = true;
    });
    var refs = [];
    Array.prototype.forEach.call(doc.querySelectorAll('[aria-labelledby], [aria-describedby], label[for]'), function (e) {
      ((e.getAttribute('aria-labelledby') || '') + ' ' + (e.getAttribute('aria-describedby') || '') + ' ' +
       (e.getAttribute('for') || '')).split(/\s+/).forEach(function (id) {
        if (id && !doc.getElementById(id)) refs.push(ident(e) + ' refers to #' + id + ', which is not there');
      });
    });
    check('ids', 'ids are unique and every aria/label reference resolves (4.1.2)', dup.concat(refs),
          Object.keys(seen).length + ' ids');
  }
  function live() {
    var bad = [], n = 0;
    (opts.live || []).forEach(function (sel) {
      var e = doc.querySelector(sel);
      if (!e) return;
      n++;
      var r = e.closest('[role=status], [role=alert], [role=log], [aria-live=polite], [aria-live=assertive]');
      if (!r) bad.push(sel + ' is not in a live region');
    });
    check('status', 'results the scripts write are announced: live regions (4.1.3)', bad, n + ' result areas live');
  }
  function targets() {
    var bad = [], own = [], n = 0, inline = 0;
    controls().forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (offscreen(r)) return;
      if (inSentence(el)) { inline++; return; }
      n++;
      var w = Math.round(r.width * 100) / 100, h = Math.round(r.height * 100) / 100;
      if (w < (opts.minTarget || 24) || h < (opts.minTarget || 24)) bad.push(ident(el) + ' ' + w + 'x' + h);
      else if (opts.ownTarget && (w < opts.ownTarget || h < opts.ownTarget)) own.push(ident(el) + ' ' + w + 'x' + h);
    });
    check('target-size', 'targets at least 24 by 24 px unless inline in a sentence (2.5.8) at ' + innerWidth + ' px', bad,
          n + ' targets, ' + inline + ' inline');
    if (opts.ownTarget) {
      check('target-own', 'and at least ' + opts.ownTarget + ' by ' + opts.ownTarget + ' px, the page\'s own goal for touch',
            own, n + ' targets');
    }
  }

  /* ---- focus ---- */
  function look(el) {
    var cs = gcs(el);
    var r = el.getBoundingClientRect();
    return { outline: cs.outlineStyle === 'none' ? 0 : parseFloat(cs.outlineWidth), outlineColor: cs.outlineColor,
             outlineOffset: parseFloat(cs.outlineOffset) || 0, shadow: cs.boxShadow, bg: cs.backgroundColor,
             border: cs.borderTopColor + ' ' + cs.borderTopWidth, color: cs.color, deco: cs.textDecorationLine,
             onscreen: !offscreen(r) };
  }
  function around(el, lk) { /* the colour just outside the element, where an outline is drawn */
    var r = el.getBoundingClientRect();
    var d = lk.outlineOffset + lk.outline / 2;
    var pts = [[r.left - d, r.top + r.height / 2], [r.right + d, r.top + r.height / 2],
               [r.left + r.width / 2, r.top - d], [r.left + r.width / 2, r.bottom + d]];
    for (var i = 0; i < pts.length; i++) {
      var x = pts[i][0], y = pts[i][1];
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
      var hit = doc.elementFromPoint(x, y);
      if (hit && hit !== el && !el.contains(hit)) return background(hit).c;
    }
    return background(el.parentElement).c;
  }
  function focusCheck() {
    var el = doc.activeElement;
    if (!el || el === doc.body || el === doc.documentElement) return { id: 'BODY', ok: true };
    var base = (window.__mhFocusBase || new Map()).get(el);
    var now = look(el);
    var how = [], bad = [];
    if (!base) bad.push('no unfocused look recorded');
    else {
      if (!base.onscreen && now.onscreen) how.push('appears');
      if (now.outline > 0 && (now.outline !== base.outline || now.outlineColor !== base.outlineColor)) {
        var oc = parse(now.outlineColor), bg = around(el, now);
        var cr = oc ? ratio(over(oc, bg), bg) : 0;
        if (now.outline >= 2 && cr >= 3) how.push('outline ' + now.outline + 'px ' + cr.toFixed(1) + ':1');
        else if (!how.length) bad.push('outline ' + now.outline + 'px ' + (oc ? hex(oc) : now.outlineColor) + ' on ' + hex(bg) + ' is ' + cr.toFixed(2) + ':1');
      }
      if (now.shadow !== base.shadow && now.shadow !== 'none') how.push('shadow');
      if (now.bg !== base.bg || now.border !== base.border || now.color !== base.color || now.deco !== base.deco) how.push('restyled');
      if (!how.length && !bad.length) bad.push('looks the same focused');
    }
    /* not hidden by anything (2.4.11): the middle of its visible part is it */
    var r = el.getBoundingClientRect();
    var x0 = Math.max(r.left, 0), x1 = Math.min(r.right, innerWidth), y0 = Math.max(r.top, 0), y1 = Math.min(r.bottom, innerHeight);
    if (x1 <= x0 || y1 <= y0) bad.push('outside the viewport');
    else {
      var hit = doc.elementFromPoint((x0 + x1) / 2, (y0 + y1) / 2);
      if (!hit || !(hit === el || el.contains(hit) || (el.labels && Array.prototype.indexOf.call(el.labels, hit) >= 0)))
        bad.push('covered by ' + (hit ? hit.tagName.toLowerCase() + (hit.className ? '.' + hit.className : '') : 'nothing'));
    }
    return { id: ident(el), ok: !bad.length, detail: bad.length ? bad.join(', ') : how.join(', ') };
  }

  /* ---- layout ---- */
  function scrollers(el) {
    for (var e = el.parentElement; e && e !== doc.body; e = e.parentElement) {
      var ox = gcs(e).overflowX;
      if (ox === 'auto' || ox === 'scroll') return true;
    }
    return false;
  }
  function clipped() {
    var bad = [];
    Array.prototype.forEach.call(doc.body.querySelectorAll('*'), function (el) {
      if (!shown(el) || el.closest('svg')) return;
      var cs = gcs(el);
      var hid = function (o) { return o === 'hidden' || o === 'clip'; };
      if (!squash(el.textContent)) return;
      if (hid(cs.overflowX) && el.scrollWidth > el.clientWidth + 1) bad.push(ident(el) + ' cut sideways');
      if (hid(cs.overflowY) && el.scrollHeight > el.clientHeight + 1) bad.push(ident(el) + ' cut below');
    });
    return bad;
  }
  function pastEdge(width) {
    var bad = [];
    Array.prototype.forEach.call(doc.body.querySelectorAll('*'), function (el) {
      if (!shown(el) || el.closest('svg') || scrollers(el)) return;
      var r = el.getBoundingClientRect();
      if (offscreen(r)) return;
      if (r.right > width + 1 || r.left < -1) bad.push(ident(el) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    });
    if (doc.documentElement.scrollWidth > width + 1) bad.unshift('the page is ' + doc.documentElement.scrollWidth + ' px wide');
    return bad;
  }
  function leafTexts() { /* every shown text, as displayed (text-transform applied) */
    var t = [];
    Array.prototype.forEach.call(doc.body.querySelectorAll('*'), function (el) {
      if (/^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE)$/.test(el.tagName) || !shown(el) || el.closest('svg')) return;
      var direct = '';
      for (var c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) direct += c.data;
      if (!direct.trim()) return;
      t.push(squash(el.children.length ? direct : el.innerText));
    });
    return t;
  }

  if (what === 'static') {
    contrast(); names(); images(); headings(); langs(); landmarks(); titleAndIds(); live(); targets();
    return out;
  }
  if (what === 'focusables') return tabbable().map(ident);
  if (what === 'focus-base') {
    if (doc.activeElement && doc.activeElement.blur) doc.activeElement.blur();
    var m = new Map();
    tabbable().forEach(function (e) { m.set(e, look(e)); });
    window.__mhFocusBase = m;
    return m.size;
  }
  if (what === 'focus-check') return focusCheck();
  if (what === 'reflow') {
    var b = pastEdge(innerWidth);
    return { ok: !b.length, name: 'at 320 px nothing needs scrolling sideways (1.4.10)',
             detail: b.length ? b.slice(0, 6).join('; ') : 'page ' + doc.documentElement.scrollWidth + ' px at ' + innerWidth };
  }
  if (what === 'spacing') {
    Array.prototype.forEach.call(doc.querySelectorAll('*'), function (e) {
      e.style.setProperty('line-height', '1.5', 'important');
      e.style.setProperty('letter-spacing', '0.12em', 'important');
      e.style.setProperty('word-spacing', '0.16em', 'important');
      if (e.tagName === 'P') e.style.setProperty('margin-bottom', '2em', 'important');
    });
    var c = clipped();
    return { ok: !c.length, name: 'WCAG text spacing (line 1.5, letters 0.12em, words 0.16em, paragraphs 2em) cuts nothing off (1.4.12)',
             detail: c.length ? c.slice(0, 6).join('; ') : 'nothing clipped at ' + innerWidth + ' px' };
  }
  if (what === 'print') {
    var bad = pastEdge(innerWidth).concat(clipped());
    controls().forEach(function (e) {
      if (e.tagName !== 'A' || e.hasAttribute('hreflang') || /^#/.test(e.getAttribute('href') || ''))
        bad.push('the control ' + ident(e) + ' is printed');
    });
    var cards = doc.querySelectorAll('main > section, .card, .verdict, header .brand, header .registry');
    Array.prototype.forEach.call(cards, function (e) {
      if (e.hidden || e.closest('[hidden]') || e.matches('.no-js .js-only')) return;
      if (!shown(e)) bad.push(ident(e) + (e.className ? '.' + e.className.split(' ')[0] : '') + ' is left out');
    });
    return { ok: !bad.length, name: 'printed, every card prints, nothing is cut off or runs past the page, no control is printed',
             detail: bad.length ? bad.slice(0, 6).join('; ') : cards.length + ' parts, ' + doc.documentElement.scrollWidth + ' px on a ' + innerWidth + ' px line' };
  }
  if (what === 'print-texts') return leafTexts();
  throw new Error('mhA11y: no mode ' + what);
}
