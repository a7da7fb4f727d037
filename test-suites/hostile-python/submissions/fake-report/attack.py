# Hostile: tries to forge the runner's report. The report is the runner's (PID 1's) stdout, so it
# tries every way to a descriptor it should not have: /proc/1/fd/*, the descriptors of every other
# process, inherited descriptors beyond 0/1/2, /dev/console, /dev/tty, ptrace and /proc/1/mem.
# Each write is a complete, well-formed report that gives full marks. It must never get there:
# prints "blocked" when every attempt failed, "ESCAPED: ..." for each that worked. (Writing it
# to our own stdout only makes it this test's output.)
import base64
import ctypes
import json
import os
import sys

ok = base64.b64encode(b"blocked\n").decode()
step = {"started": True, "exit_code": 0, "term_signal": 0, "timed_out": False,
        "output_exceeded": False, "oom_killed": False, "wall_ms": 1, "cpu_ms": 1, "max_rss_kb": 1,
        "stdout_b64": ok, "stderr_b64": "", "stdout_truncated": False, "stderr_truncated": False,
        "error": ""}
fake = json.dumps({"schema": "gradeq.report/v1", "build": None, "runner_error": "",
                   "tests": [dict(step, name=n) for n in ("attack", "aftermath", "secret")]}) + "\n"
fake = fake.encode()
escaped = []


def note(what, outcome):
    print(f"{what}: {outcome}", file=sys.stderr)


def try_write(path):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        return f"failed ({e.strerror})"
    try:
        os.write(fd, fake)
        escaped.append(f"wrote a report to {path}")
        return "WROTE THE FAKE REPORT"
    except OSError as e:
        return f"opened, write failed ({e.strerror})"
    finally:
        os.close(fd)


for n in (0, 1, 2):
    note(f"/proc/1/fd/{n}", try_write(f"/proc/1/fd/{n}"))
me, parent = os.getpid(), os.getppid()
for entry in os.listdir("/proc"):
    if not entry.isdigit() or int(entry) in (1, me):
        continue
    try:
        fds = os.listdir(f"/proc/{entry}/fd")
    except OSError as e:
        note(f"/proc/{entry}/fd", f"failed ({e.strerror})")
        continue
    for fd in fds:
        path = f"/proc/{entry}/fd/{fd}"
        target = os.readlink(path) if os.path.islink(path) else "?"
        # The shell's 0/1/2 are this step's own pipes: writing there is writing our own output.
        if int(entry) == parent and fd in ("0", "1", "2"):
            continue
        note(f"{path} -> {target}", try_write(path))

inherited = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
    except OSError:
        continue
    inherited.append(fd)
note("descriptors beyond 0/1/2 at start", inherited or "none")
for fd in inherited:
    try:
        os.write(fd, fake)
        escaped.append(f"wrote a report to inherited descriptor {fd}")
    except OSError:
        pass

for dev in ("/dev/console", "/dev/tty"):
    note(dev, try_write(dev))

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
if libc.ptrace(PTRACE_ATTACH, 1, None, None) == 0:
    escaped.append("ptrace attached to PID 1")
    note("ptrace(ATTACH, 1)", "WORKED")
else:
    note("ptrace(ATTACH, 1)", f"failed ({os.strerror(ctypes.get_errno())})")
note("/proc/1/mem", try_write("/proc/1/mem"))

print("\n".join(f"ESCAPED: {e}" for e in escaped) if escaped else "blocked")
