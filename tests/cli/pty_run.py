#!/usr/bin/env python3
"""pty_run.py - run a command on a pseudo-terminal and answer its PIN prompts.

Usage: pty_run.py ANSWER... -- COMMAND [ARG...]

Each ANSWER is typed (with a newline) after the next "PIN for ..." prompt
appears on the terminal, the way a person would: mohur flushes input typed
ahead of a prompt. Everything the command wrote to the terminal is copied to
standard output; the exit code is the command's. Gives up after 20 s.

With PTY_RUN_LIMITS=FILE set, the command's /proc/PID/limits is copied to
FILE when its first prompt appears (tests check that a process holding a
PIN cannot dump core).
"""
import os
import pty
import select
import sys
import time

PROMPT = b"PIN for "


def main() -> int:
    args = sys.argv[1:]
    if "--" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    cut = args.index("--")
    answers, cmd = args[:cut], args[cut + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    seen = b""
    typed = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if typed < len(answers) and seen.count(PROMPT) > typed:
            snoop = os.environ.get("PTY_RUN_LIMITS")
            if snoop and typed == 0:
                with open(f"/proc/{pid}/limits", "rb") as src, open(snoop, "wb") as dst:
                    dst.write(src.read())
            os.write(fd, answers[typed].encode() + b"\n")
            typed += 1
            continue
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the command closed the terminal (it exited)
            break
        if not data:
            break
        seen += data
    else:
        os.kill(pid, 9)
        print("pty_run: timed out", file=sys.stderr)
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(seen)
    sys.stdout.flush()
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
