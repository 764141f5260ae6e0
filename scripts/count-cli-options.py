#!/usr/bin/env python3
"""count-cli-options.py REV: the lines of option parsing and help text in host/cli at a
git revision (docs/architecture.md, "The CLI as a table"): struct option tables,
getopt_long loops, *_help strings and *_HELP macros; option rows, specs and the
parser (opt.c, opt.h); the getopt_long calls."""
import re, subprocess, sys
rev = sys.argv[1]
files = subprocess.run(['git', 'ls-tree', '--name-only', rev, 'host/cli/'], capture_output=True, text=True).stdout.split()
files = [f for f in files if f.endswith(('.c', '.h'))]
def block(lines, i, end_pat):
    j = i
    while not re.search(end_pat, lines[j]): j += 1
    return j - i + 1
tot = dict(tables=0, loops=0, help=0, rows=0, specs=0, parser=0, total=0, getopt=0)
for f in files:
    src = subprocess.run(['git', 'show', '%s:%s' % (rev, f)], capture_output=True, text=True).stdout
    L = src.split('\n')
    tot['total'] += len(L) - 1
    tot['getopt'] += len(re.findall(r'getopt_long\(', src))
    if f.endswith(('/opt.c', '/opt.h')):
        tot['parser'] += len(L) - 1
        continue
    i = 0
    while i < len(L):
        l = L[i]
        if re.search(r'struct option \w+\[\] = \{', l):
            n = block(L, i, r'\};'); tot['tables'] += n; i += n; continue
        if re.search(r'while \(\(ch = getopt_long', l):
            ind = len(l) - len(l.lstrip())
            j = i + 1
            while not (L[j].startswith(' ' * ind + '}') and len(L[j]) - len(L[j].lstrip()) == ind): j += 1
            tot['loops'] += j - i + 1; i = j + 1; continue
        if re.search(r'static const char \w+_help\[\] =', l) or re.match(r'#define \w+_HELP\b', l):
            j = i
            if l.startswith('#define'):
                while L[j].rstrip().endswith('\\'): j += 1
            else:
                while not L[j].rstrip().endswith(';'): j += 1
            tot['help'] += j - i + 1; i = j + 1; continue
        if re.search(r'struct mh_cli_opt \w+\[\] = \{', l):
            n = block(L, i, r'\}\};|^\};'); tot['rows'] += n; i += n; continue
        if re.search(r'struct mh_cli_spec \w+ = \{', l):
            n = block(L, i, r'^\};'); tot['specs'] += n; i += n; continue
        i += 1
print(rev, tot)
