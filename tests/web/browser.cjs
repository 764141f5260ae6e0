/* browser.cjs - the verification page in Debian's chromium (puppeteer-core),
   against web_testd on loopback. Every check prints "ok N - ..." and any
   failure ends the run with a non-zero exit; the browser is closed (and
   killed) however it ends. Usage: node browser.cjs cases.json */
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const cat = {};
for (const l of ['az', 'ru', 'en']) {
  cat[l] = JSON.parse(fs.readFileSync(path.join(cases.i18n, l + '.json'), 'utf8'));
}
let n = 0;
function ok(cond, what) {
  if (!cond) throw new Error('FAILED: ' + what);
  console.log('ok ' + (++n) + ' - ' + what);
}
const origin = new URL(cases.base).origin;
const originNoCrl = new URL(cases.base_nocrl).origin;

async function watch(page, log) {
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn' || m.type() === 'warning') log.console.push(m.text()); });
  page.on('pageerror', (e) => log.console.push('pageerror: ' + e.message));
  page.on('request', (r) => log.requests.push({ url: r.url(), method: r.method(), body: r.postData() || (r.hasPostData && r.hasPostData()) }));
}
function newLog() { return { console: [], requests: [] }; }

async function main() {
  const browser = await puppeteer.launch({
    executablePath: cases.chromium,
    headless: true,
    userDataDir: cases.profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  fs.writeFileSync(cases.pidfile, String(browser.process().pid));
  try {
    await run(browser);
  } finally {
    await browser.close().catch(() => {});
    try { process.kill(browser.process().pid, 'SIGKILL'); } catch (e) { /* gone */ }
  }
}

const verdicts = ['valid', 'revoked', 'voided', 'unknown', 'forged', 'revunknown', 'wronghost'];
const receiptCheck = { valid: 'ok', revoked: 'ok', voided: 'ok', unknown: 'ok', forged: 'nokey', revunknown: 'ok', wronghost: 'ok' };

async function open(browser, url, log, width) {
  const page = await browser.newPage();
  await page.setViewport({ width: width || 360, height: 780, deviceScaleFactor: 1 });
  await watch(page, log);
  const resp = await page.goto(url, { waitUntil: 'networkidle0' });
  return { page, resp };
}

async function run(browser) {
  /* ---- every language x every verdict ---- */
  for (const lang of ['az', 'ru', 'en']) {
    for (const v of verdicts) {
      const base = v === 'revunknown' ? cases.base_nocrl : cases.base;
      const p = v === 'revunknown' ? cases.paths.valid : cases.paths[v];
      const log = newLog();
      const { page, resp } = await open(browser, base + p + '?lang=' + lang, log);
      const h = resp.headers();
      ok(h['content-security-policy'] && /script-src 'self'/.test(h['content-security-policy']) &&
        !/unsafe/.test(h['content-security-policy']), `${lang}/${v}: a strict CSP header`);
      const got = await page.$eval('#verdict', (e) => e.getAttribute('data-verdict'));
      ok(got === v, `${lang}/${v}: the verdict is ${v} (got ${got})`);
      const title = await page.$eval('#verdict-title', (e) => e.textContent);
      ok(title === cat[lang].msg['verdict.' + v + '.title'], `${lang}/${v}: the verdict reads "${title}"`);
      ok(await page.$eval('html', (e) => e.lang) === lang, `${lang}/${v}: <html lang="${lang}">`);
      await page.waitForFunction(() => document.documentElement.getAttribute('data-receipt-check'), { timeout: 10000 });
      const rc = await page.$eval('html', (e) => e.getAttribute('data-receipt-check'));
      ok(rc === receiptCheck[v], `${lang}/${v}: the browser's own receipt check says ${rc}`);
      if (v === 'valid' || v === 'revoked' || v === 'revunknown') {
        const fields = await page.$eval('#fields', (e) => e.textContent);
        const num = v === 'revoked' ? '2024/18' : '2024/17';
        ok(fields.includes(num), `${lang}/${v}: the paper's number ${num} is shown`);
        const date = { az: '2 may 2024', ru: '2 мая 2024 г.', en: '2 May 2024' }[lang];
        if (v !== 'revoked') ok(fields.includes(date), `${lang}/${v}: the date is written "${date}"`);
        ok(fields.includes(v === 'revoked' ? 'Vəkalətnamə' : 'Etibarnamə'), `${lang}/${v}: the title as printed`);
      }
      if (v === 'valid') {
        await page.waitForFunction(() => document.documentElement.getAttribute('data-proof-check'), { timeout: 10000 });
        ok(await page.$eval('html', (e) => e.getAttribute('data-proof-check')) === 'ok',
          `${lang}/valid: the browser checked the inclusion proof and the signed checkpoint`);
        ok((await page.$eval('#ledger', (e) => e.className)) === 'ok', `${lang}/valid: the server proved the entry`);
      }
      if (v === 'revoked') {
        const t = await page.$eval('#verdict-text', (e) => e.textContent);
        ok(t.includes(cat[lang].msg['reason.4']), `${lang}/revoked: the reason is given`);
      }
      if (v === 'wronghost') {
        const t = await page.$eval('#verdict-text', (e) => e.textContent);
        ok(t.includes('verify.elsewhere.example') && t.includes('verify.mohur.test'),
          `${lang}/wronghost: both hosts are named`);
      }
      const shot = path.join(cases.artifacts, `verdict-${v}-${lang}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      ok(fs.statSync(shot).size > 5000, `${lang}/${v}: screenshot ${path.basename(shot)}`);
      const own = v === 'revunknown' ? originNoCrl : origin;
      const foreign = log.requests.filter((r) => !r.url.startsWith(own + '/'));
      ok(foreign.length === 0, `${lang}/${v}: no request leaves the origin (${foreign.map((r) => r.url).join(' ')})`);
      ok(log.console.length === 0, `${lang}/${v}: the console is clean (${log.console.join(' | ')})`);
      await page.close();
    }
  }

  /* ---- Accept-Language and the remembered choice ---- */
  {
    const ctx = await browser.createBrowserContext(); /* no cookie from the pages above */
    const page = await ctx.newPage();
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'ru-RU,ru;q=0.9,en;q=0.5' });
    await page.goto(cases.base + cases.paths.valid, { waitUntil: 'networkidle0' });
    ok(await page.$eval('html', (e) => e.lang) === 'ru', 'Accept-Language ru-RU gives the Russian page');
    await page.goto(cases.base + cases.paths.valid + '?lang=en', { waitUntil: 'networkidle0' });
    await page.goto(cases.base + cases.paths.valid, { waitUntil: 'networkidle0' });
    ok(await page.$eval('html', (e) => e.lang) === 'en', 'the language chosen on the page is remembered (cookie)');
    const cookies = await page.cookies();
    ok(cookies.length === 1 && cookies[0].name === 'mh_lang', 'the only cookie is the language choice');
    await ctx.close();
  }

  /* ---- the local file check ---- */
  {
    const log = newLog();
    const { page } = await open(browser, cases.base + cases.paths.valid + '?lang=en', log);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-receipt-check'));
    const before = log.requests.length;
    const input = await page.$('#file');
    const tries = [['signed', 'ok'], ['original', 'ok'], ['altered', 'bad'], ['other', 'bad']];
    for (const [f, want] of tries) {
      await page.evaluate(() => document.documentElement.removeAttribute('data-file-check'));
      await input.uploadFile(cases.files[f]);
      await page.waitForFunction(() => document.documentElement.getAttribute('data-file-check'), { timeout: 10000 });
      const got = await page.$eval('html', (e) => e.getAttribute('data-file-check'));
      ok(got === want, `the local file check: the ${f} PDF is ${want}`);
      const text = await page.$eval('#file-result', (e) => e.textContent);
      ok(text.length > 10, `the result is said in words: "${text.slice(0, 60)}..."`);
    }
    ok(log.requests.length === before, 'checking files sent no request at all');
    ok(log.requests.every((r) => r.method === 'GET' && !r.body), 'no request of the page carries a body');
    await page.screenshot({ path: path.join(cases.artifacts, 'file-check-en.png'), fullPage: true });
    ok(log.console.length === 0, 'the console stayed clean: ' + log.console.join(' | '));
    await page.close();
  }

  /* ---- the receipt check in the browser with a flipped bit ---- */
  {
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    const real = await fetch(cases.base + cases.paths.valid + '?lang=en');
    let html = await real.text();
    const m = /"receipt":"([A-Za-z0-9+/=]+)"/.exec(html);
    ok(!!m, 'the page carries the receipt for the browser to check');
    const bytes = Buffer.from(m[1], 'base64');
    bytes[bytes.length - 10] ^= 0x01; /* one bit of the signature */
    html = html.replace(m[1], bytes.toString('base64'));
    const hdrs = {};
    real.headers.forEach((v, k) => { hdrs[k] = v; });
    page.on('request', (r) => {
      if (r.url().includes('/V/')) r.respond({ status: 200, headers: hdrs, body: html });
      else r.continue();
    });
    await page.goto(cases.base + cases.paths.valid + '?lang=en', { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => document.documentElement.getAttribute('data-receipt-check'));
    ok(await page.$eval('html', (e) => e.getAttribute('data-receipt-check')) === 'sig',
      'a flipped bit in the receipt: the browser finds the signature wrong, whatever the server said');
    ok((await page.$eval('#chk-sig', (e) => e.className)) === 'bad', 'and says so on the page');
    await page.close();
  }

  /* ---- keyboard only ---- */
  {
    const log = newLog();
    const { page } = await open(browser, cases.base + cases.paths.valid + '?lang=az', log);
    const seen = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      seen.push(await page.evaluate(() => {
        const e = document.activeElement;
        const href = e.getAttribute('href') || '';
        return e.id || (href.includes('?') ? href.slice(href.indexOf('?')) : href) || e.tagName;
      }));
    }
    ok(seen[0] === '#verdict', 'Tab first reaches the skip link (' + seen.join(', ') + ')');
    ok(seen.some((s) => s.endsWith('lang=ru')), 'the language links are reachable by Tab');
    ok(seen.includes('file'), 'the file picker is reachable by Tab');
    ok(seen.includes('print'), 'the print button is reachable by Tab');
    await page.focus('.skip');
    await page.keyboard.press('Enter');
    ok(await page.evaluate(() => document.activeElement.id) === 'verdict', 'the skip link moves focus to the verdict');
    await page.focus('a[hreflang=ru]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    ok(await page.$eval('html', (e) => e.lang) === 'ru', 'Enter on a language link switches the page');
    await page.close();
  }

  /* ---- accessibility: axe-core, WCAG 2.2 A and AA ---- */
  const axe = fs.readFileSync(cases.axe, 'utf8');
  for (const [v, lang, width] of [['valid', 'az', 360], ['forged', 'ru', 360], ['revoked', 'en', 1024], ['wronghost', 'az', 360]]) {
    const page = await browser.newPage();
    await page.setBypassCSP(true); /* to inject axe; the page's own CSP is checked above */
    await page.setViewport({ width, height: 800 });
    await page.goto(cases.base + cases.paths[v] + '?lang=' + lang, { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => document.documentElement.getAttribute('data-receipt-check'));
    await page.addScriptTag({ content: axe });
    const res = await page.evaluate(() => window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    }));
    const bad = res.violations.map((x) => x.id + ': ' + x.nodes.map((nd) => nd.target.join(' ')).join(', '));
    ok(bad.length === 0, `axe-core finds no WCAG 2.2 AA violation on ${v}/${lang} at ${width}px (${bad.join(' | ')})`);
    ok(res.passes.length > 15, `axe-core ran ${res.passes.length} passing rules`);
    await page.close();
  }

  /* ---- the printed page ---- */
  {
    const page = await browser.newPage();
    await page.goto(cases.base + cases.paths.valid + '?lang=en', { waitUntil: 'networkidle0' });
    await page.emulateMediaType('print');
    const hidden = await page.$eval('#drop', (e) => getComputedStyle(e).display);
    ok(hidden === 'none', 'printed, the page leaves out the file picker');
    const pdf = await page.pdf({ format: 'A4' });
    fs.writeFileSync(path.join(cases.artifacts, 'printout-en.pdf'), pdf);
    ok(pdf.length > 5000, 'the page prints (printout-en.pdf)');
    await page.close();
  }

  /* ---- done when: the diploma's QR, read by zbarimg, in three languages ---- */
  for (const lang of ['az', 'ru', 'en']) {
    const log = newLog();
    const { page } = await open(browser, cases.base + cases.paths.diploma + '?lang=' + lang, log);
    ok(await page.$eval('#verdict', (e) => e.getAttribute('data-verdict')) === 'valid',
      `the diploma's scanned QR is valid in ${lang}`);
    const fields = await page.$eval('#fields', (e) => e.textContent);
    ok(fields.includes('Məmmədova Şəbnəm Əli qızı') && fields.includes('D-2026-001'),
      `the diploma's name and number are shown in ${lang}`);
    await page.screenshot({ path: path.join(cases.artifacts, `diploma-${lang}.png`), fullPage: true });
    await page.close();
  }

  /* ---- the offline verifier (file://, no network) ---- */
  {
    const log = newLog();
    const page = await browser.newPage();
    await page.setViewport({ width: 360, height: 780 });
    await watch(page, log);
    await page.goto('file://' + cases.offline, { waitUntil: 'load' });
    for (const [u, want] of [[cases.urls.valid, 'valid'], [cases.urls.valid.replace('VERIFY.MOHUR.TEST', 'VERIFY-MOHUR.EVIL.EXAMPLE'), 'wronghost'], [cases.urls.forged, 'forged'], ['HTTPS://X/V/AAAA', 'invalid']]) {
      await page.$eval('#qr-text', (e, t) => { e.value = t; }, u);
      await page.click('#check');
      await page.waitForFunction((w) => document.getElementById('verdict').getAttribute('data-verdict') === w, { timeout: 10000 }, want)
        .catch(() => {});
      ok(await page.$eval('#verdict', (e) => e.getAttribute('data-verdict')) === want, `offline: the text of a ${want} receipt`);
    }
    await page.$eval('#qr-text', (e, t) => { e.value = t; }, cases.urls.valid);
    await page.click('#check');
    const input = await page.$('#file');
    await input.uploadFile(cases.files.signed);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-file-check'), { timeout: 10000 });
    ok(await page.$eval('html', (e) => e.getAttribute('data-file-check')) === 'ok', 'offline: the signed PDF is the document');
    await page.evaluate(() => document.documentElement.removeAttribute('data-file-check'));
    await input.uploadFile(cases.files.altered);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-file-check'), { timeout: 10000 });
    ok(await page.$eval('html', (e) => e.getAttribute('data-file-check')) === 'bad', 'offline: the altered PDF is not');
    await page.$eval('#verdict', (e) => e.setAttribute('data-verdict', ''));
    /* our own decoder, not the browser's BarcodeDetector, reads the picture */
    await page.evaluate(() => { delete window.BarcodeDetector; });
    await (await page.$('#qr-image')).uploadFile(cases.files.qrpng);
    await page.waitForFunction(() => document.getElementById('verdict').getAttribute('data-verdict'), { timeout: 20000 });
    const fromImage = await page.$eval('#verdict', (e) => e.getAttribute('data-verdict'));
    ok(fromImage === 'valid', `offline: the diploma page's picture (150 dpi) is read and valid (${fromImage})`);
    await page.click('button[data-lang=ru]');
    ok(await page.$eval('html', (e) => e.lang) === 'ru', 'offline: the language can be switched');
    await page.screenshot({ path: path.join(cases.artifacts, 'offline-ru.png'), fullPage: true });
    ok(log.requests.every((r) => r.url.startsWith('file://') || r.url.startsWith('data:') || r.url.startsWith('blob:')),
      'offline: no request leaves the file');
    ok(log.console.length === 0, 'offline: the console is clean (' + log.console.join(' | ') + ')');
    await page.close();
  }
  console.log(`browser: ${n} passed, 0 failed`);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
