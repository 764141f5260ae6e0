#!/usr/bin/env python3
"""Functions longer than a limit, counted with braces.

    scripts/count-long-functions.py [--rev REV] [--min N] [--list] [PATH...]

Counts the C functions under PATH (default: host/) at git revision REV
(default: the working tree) whose definition, from the line with its name to
its closing brace, is longer than N lines (default 150). clang-format puts a
function's braces alone at column 0 (.clang-format), so a definition is a
'{' line at column 0 up to the next '}' line at column 0, and its name
starts after the previous blank line, ';', '}' or comment. Prints the count,
with --list each function as FILE:LINE NAME LINES, longest first.
"""
import argparse
import re
import subprocess
import sys


def files_at(rev, paths):
    if rev:
        out = subprocess.check_output(['git', 'ls-tree', '-r', '--name-only', rev, '--'] + paths,
                                      text=True)
    else:
        out = subprocess.check_output(['git', 'ls-files', '--'] + paths, text=True)
    return [f for f in out.split() if f.endswith(('.c', '.cc'))]


def text_at(rev, path):
    if rev:
        return subprocess.check_output(['git', 'show', '%s:%s' % (rev, path)], text=True,
                                       errors='replace')
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


NAME = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*\(')


def functions(text):
    """(first line, name, length) of each function definition"""
    lines = text.split('\n')
    found = []
    i = 0
    while i < len(lines):
        if lines[i] == '{':
            start = i
            while start > 0:
                prev = lines[start - 1].rstrip()
                if (not prev or prev.endswith((';', '}', '*/')) or prev.startswith('#')
                        or prev.startswith('//')):
                    break
                start -= 1
            end = i + 1
            while end < len(lines) and lines[end] != '}' and not lines[end].startswith('};'):
                end += 1
            head = ' '.join(lines[start:i])
            m = NAME.search(head)
            if m and '=' not in head.split('(')[0]:  # not an initialised array or struct
                found.append((start + 1, m.group(1), end - start + 1))
            i = end
        i += 1
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rev')
    ap.add_argument('--min', type=int, default=150)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('paths', nargs='*', default=['host/'])
    a = ap.parse_args()
    long_ones = []
    for f in files_at(a.rev, a.paths):
        for line, name, n in functions(text_at(a.rev, f)):
            if n > a.min:
                long_ones.append((n, f, line, name))
    long_ones.sort(key=lambda t: (-t[0], t[1]))
    print(len(long_ones))
    if a.list:
        for n, f, line, name in long_ones:
            print('%s:%d %s %d' % (f, line, name, n))
    return 0


if __name__ == '__main__':
    sys.exit(main())
