# Hostile: tries to become root. setuid/setgid calls, the setuid-root programs of the image (su,
# mount, passwd...), sudo, a new user namespace, chroot. With --user 65534, --cap-drop ALL and
# no-new-privileges every attempt must fail, and a setuid-root program must run with the
# caller's uid. Prints "blocked" when all failed, "ESCAPED: ..." otherwise.
import ctypes
import os
import select
import shutil
import subprocess
import sys
import time

escaped = []


def note(what, outcome):
    print(f"{what}: {outcome}", file=sys.stderr)


def must_fail(what, fn):
    try:
        fn()
    except OSError as e:
        note(what, f"failed ({e.strerror})")
        return
    note(what, "WORKED")
    escaped.append(what)


must_fail("setuid(0)", lambda: os.setuid(0))
must_fail("setgid(0)", lambda: os.setgid(0))
must_fail("setresuid(0,0,0)", lambda: os.setresuid(0, 0, 0))
must_fail("setgroups([0])", lambda: os.setgroups([0]))
must_fail("chroot /tmp", lambda: os.chroot("/tmp"))

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
for flags, name in [(CLONE_NEWUSER, "unshare(CLONE_NEWUSER)"), (CLONE_NEWNS, "unshare(CLONE_NEWNS)")]:
    if libc.unshare(flags) == 0:
        escaped.append(name)
        note(name, "WORKED")
    else:
        note(name, f"failed ({os.strerror(ctypes.get_errno())})")

status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
for key, want in [("CapEff", "0000000000000000"), ("CapPrm", "0000000000000000"),
                  ("CapBnd", "0000000000000000"), ("CapAmb", "0000000000000000"), ("NoNewPrivs", "1")]:
    note(key, status[key].strip())
    if status[key].strip() != want:
        escaped.append(f"{key} is {status[key].strip()}")
if os.geteuid() == 0 or os.getuid() == 0:
    escaped.append("running as root")

if shutil.which("sudo"):
    r = subprocess.run(["sudo", "-n", "id", "-u"], capture_output=True, text=True)
    note("sudo -n id -u", f"exit {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}")
    if r.returncode == 0:
        escaped.append("sudo")
else:
    note("sudo", "not installed")

# su is setuid root: while it waits for the password, its effective uid shows in /proc.
su = subprocess.Popen(["su", "root", "-c", "id -u"], stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
prompt = b""
until = time.monotonic() + 0.5
while b"Password" not in prompt and time.monotonic() < until:
    if select.select([su.stderr], [], [], 0.05)[0]:
        chunk = os.read(su.stderr.fileno(), 256)
        if not chunk:
            break
        prompt += chunk
uids = "?"
if b"Password" not in prompt:  # then su may not even have started: the check proves nothing
    escaped.append(f"inconclusive: su never asked for a password ({prompt!r})")
try:
    with open(f"/proc/{su.pid}/status") as f:
        uids = next(l for l in f if l.startswith("Uid:")).split()[1:]
except (OSError, StopIteration):
    pass
su.kill()
su.wait()
note("su's uids (real, effective, saved, fs) while it asks for the password", uids)
if "0" in uids:
    escaped.append(f"su ran with uids {uids}")

# The other setuid-root programs: each must refuse, as the unprivileged caller it runs as.
for argv in [["mount", "-t", "tmpfs", "none", "/mnt"], ["umount", "/sandbox"],
             ["chsh", "-s", "/bin/sh"]]:
    if not shutil.which(argv[0]):
        continue
    try:
        r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=0.4)
    except subprocess.TimeoutExpired:
        note(" ".join(argv), "timed out")
        continue
    note(" ".join(argv), f"exit {r.returncode}: {r.stderr.strip()[:120]}")
    if r.returncode == 0:
        escaped.append(" ".join(argv))

print("\n".join(f"ESCAPED: {e}" for e in escaped) if escaped else "blocked")
