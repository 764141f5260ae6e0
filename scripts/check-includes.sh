#!/usr/bin/env bash
# The include rule (docs/architecture.md, "What may include what"): every
# #include in the tree is checked against the layering
#     common <- hsm, pki <- host services <- front ends (host/cli, host/daemon)
# with pki's sub-libraries as their CMake dependencies say, and fails the
# build when one goes against it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'EOF'
import os, re, subprocess, sys

files = subprocess.check_output(['git', 'ls-files', '*.c', '*.h', '*.cc'], text=True).split()
# untracked files being added count too (git ls-files -o without ignored)
files += [f for f in subprocess.check_output(
    ['git', 'ls-files', '-o', '--exclude-standard', '*.c', '*.h', '*.cc'], text=True).split()]
files = sorted(set(f for f in files if os.path.exists(f)))

# pki's sub-libraries and what each may use (pki/CMakeLists.txt, mh_pki_part)
PKI_DEPS = {'asn1': [], 'sig': ['asn1'], 'x509': ['sig', 'asn1'], 'cms': ['x509', 'sig', 'asn1'],
            'ca': ['x509', 'sig', 'asn1'], 'tlog': ['sig', 'asn1']}
# the firmware compiles the transparency-log formats and the verifier only
FW_PKI = {'tlog', 'sig', 'asn1'}
# a PKCS#11 header: hsm/, and its two peers (the fault-injecting module
# and the raw loop of the signing benchmark)
P11_OK = ('hsm/', 'tests/p11fault/', 'bench/sign_bench.c')
# libraries of the host only: never in common/, hsm/, pki/ or the firmware
HOST_LIBS = ('lmdb.h', 'jansson.h', 'curl/', 'microhttpd.h', 'qpdf/', 'hpdf', 'qrencode.h',
             'png.h', 'systemd/', 'seccomp.h', 'cmocka.h')

def module(path):
    p = path.split('/')
    if p[0] == 'common':
        return 'common'
    if p[0] == 'hsm':
        return 'hsm'
    if p[0] == 'pki':
        return 'pki:' + p[1] if len(p) > 2 else 'pki'
    if p[0] == 'host':
        # the two front ends: the mohur CLI and the mohurd daemon
        if p[1] in ('cli', 'daemon'):
            return p[1]
        return 'host:' + p[1]
    if p[0] in ('firmware', 'tests', 'bench', 'packaging', 'kinds', 'scripts'):
        return p[0]
    return 'other'

# where each project header lives (names are unique in the tree)
owner = {}
for f in files:
    if f.endswith('.h'):
        owner.setdefault(os.path.basename(f), []).append(f)

def public(h):
    """a module's public header: mh_*.h (pki: its section headers too)"""
    b = os.path.basename(h)
    return b.startswith('mh_') or b.startswith('pki_') or b.startswith('common_')

def allowed(src, hdr):
    """None when src may include the project header hdr, else why not"""
    m, hm = module(src), module(hdr)
    hb = os.path.basename(hdr)
    if m == hm:
        return None
    if m in ('tests', 'bench'):
        return None  # the tests and benchmarks reach everything, as peers
    if hm in ('tests', 'bench'):
        return 'only tests and benchmarks include test headers'
    if not public(hdr):
        return '%s is internal to %s' % (hb, hm)
    if m == 'common':
        return 'common/ is the floor: it includes nothing of the project above it'
    if m == 'hsm':
        return None if hm == 'common' else 'hsm/ includes common/ only (never pki/ or host/)'
    if m.startswith('pki'):
        if hm == 'common':
            return None
        if hm == 'hsm':
            return 'pki/ never includes hsm/: it signs through mh_signer (common/)'
        if hm == 'pki':
            return None if hb == 'pki_base.h' or m == 'pki' else \
                'a pki sub-library includes its own section headers and its dependencies\', not mh_pki.h'
        if hm.startswith('pki:') and m == 'pki':
            return None  # mh_pki.h, the users' one header, includes every section
        if hm.startswith('pki:') and m.startswith('pki:'):
            part, dep = m[4:], hm[4:]
            return None if dep in PKI_DEPS[part] else \
                'pki/%s may use %s only (pki/CMakeLists.txt), not pki/%s' % (
                    part, ', '.join(PKI_DEPS[part]) or 'nothing else of pki', dep)
        return 'pki/ includes common/ and pki/ only'
    if m == 'firmware':
        if hm == 'common' or hm == 'pki' and hb == 'pki_base.h':
            return None
        if hm.startswith('pki:') and hm[4:] in FW_PKI:
            return None
        return 'the firmware uses common/ and pki/%s only' % ', pki/'.join(sorted(FW_PKI))
    if m.startswith('host:') or m in ('cli', 'daemon'):
        if hm in ('common', 'hsm', 'pki') or hm.startswith('pki:') or hm.startswith('host:'):
            return None
        return 'host/ includes common/, hsm/, pki/ and host/ services only (never a front end)'
    return None

errors, warnings = [], []
inc_re = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
for f in files:
    m = module(f)
    try:
        lines = open(f, encoding='utf-8', errors='replace').read().split('\n')
    except OSError:
        continue
    for n, line in enumerate(lines, 1):
        r = inc_re.match(line)
        if not r:
            continue
        kind, name = r.groups()
        where = '%s:%d: #include %s%s%s' % (f, n, kind, name, '"' if kind == '"' else '>')
        base = os.path.basename(name)
        if 'pkcs11' in name and not f.startswith(P11_OK):
            errors.append(where + ': only hsm/ includes the PKCS#11 header')
            continue
        if kind == '<':
            if m in ('common', 'hsm', 'firmware') or m.startswith('pki'):
                if any(name.startswith(l) or name == l for l in HOST_LIBS):
                    errors.append(where + ': a library of the host only, not of %s' % m)
            if m == 'daemon' and name.startswith('mbedtls/'):
                errors.append(where + ': no mbedTLS header in mohurd (a front end: it calls '
                              'services, and signs through mh_signer)')
            if m == 'cli' and name.startswith('mbedtls/'):
                errors.append(where + ': no mbedTLS header in host/cli (a front end: it calls '
                              'services; keys and PEM files through host/keys, hashes through '
                              'host/hash)')
            continue
        # a project header: resolve it relative to the file, else by name
        rel = os.path.normpath(os.path.join(os.path.dirname(f), name))
        if os.path.exists(rel) and rel in files:
            hdr = rel
        elif base in owner and len(owner[base]) == 1:
            hdr = owner[base][0]
        elif base in owner:
            hdr = next((h for h in owner[base] if os.path.dirname(h) == os.path.dirname(f)),
                       owner[base][0])
        else:
            continue  # a generated or third-party header (mbedtls/check_config.h)
        why = allowed(f, hdr)
        if why:
            errors.append(where + ': ' + why)

for w in warnings:
    print('warning: ' + w, file=sys.stderr)
for e in errors:
    print(e, file=sys.stderr)
if '--count' in sys.argv:
    print('%d errors, %d warnings' % (len(errors), len(warnings)))
if errors:
    print('includes: %d against the rule (docs/architecture.md, "What may include what")'
          % len(errors), file=sys.stderr)
    sys.exit(1)
print('includes: the rule holds (%d files)' % len(files))
EOF
