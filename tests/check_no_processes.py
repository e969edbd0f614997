#!/usr/bin/env python3
"""Fails when a process started by the test suite is still running, and ends it.

Run by CTest after every test that starts flareq or a handler (the fixture
"flareq_processes"). A process counts as the suite's when its command line names the flareq
binary under test, a handler under tests/ or examples/, or the Worker host and its workerd under worker/, or when it runs in one of the suite's
temporary folders. Usage: check_no_processes.py FLAREQ_BINARY SOURCE_DIR
"""
import os
import signal
import sys
import time


def suites_processes(binary, source):
    me = os.getpid()
    markers = [binary, os.path.join(source, "tests"), os.path.join(source, "examples"), os.path.join(source, "worker")]
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) in (me, os.getppid()):
            continue
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue  # gone, or a kernel thread
        if "check_no_processes.py" in cmdline or not cmdline:
            continue
        temporary = ("/flareq-it-", "/flareq-test-", "/flareq-package-test.", "/flareq-deb-test.", "/flareq-arm64-test.")
        if any(m in cmdline for m in markers + list(temporary)) or any(t in cwd for t in temporary):
            found.append((int(pid), cmdline.strip(), cwd))
    return found


def main():
    binary, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    # A process that is still ending (a workerd whose host got its parent-death signal a
    # moment ago) is not left behind: look again for up to 3 s before judging.
    left = suites_processes(binary, source)
    for _ in range(30):
        if not left:
            break
        time.sleep(0.1)
        left = suites_processes(binary, source)
    for pid, cmdline, cwd in left:
        print(f"left running: pid {pid}: {cmdline} (in {cwd})")
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    print(f"{0 if left else 1} passed, {1 if left else 0} failed")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
