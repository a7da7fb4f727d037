# Hostile: looks for the way out to the host: the Docker socket, the host's files and mounts, the
# runner's view of the world through /proc/1, block devices, writable cgroup or kernel knobs.
# Every attempt must fail. Prints "blocked" when all did, "ESCAPED: ..." for each that worked.
import os
import stat
import sys

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


def read(path):
    with open(path, "rb") as f:
        f.read(64)


def open_for_write(path):  # opens, never writes: sysrq-trigger would act on the host
    os.close(os.open(path, os.O_WRONLY))


for sock in ["/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
             "/var/run/docker/containerd/containerd.sock"]:
    if os.path.lexists(sock):
        escaped.append(f"{sock} exists")
    note(sock, "present" if os.path.lexists(sock) else "absent")

must_fail("read /etc/shadow", lambda: read("/etc/shadow"))
must_fail("list /root", lambda: os.listdir("/root"))
must_fail("read /proc/1/environ", lambda: read("/proc/1/environ"))
must_fail("list /proc/1/fd", lambda: os.listdir("/proc/1/fd"))
must_fail("list /proc/1/root", lambda: os.listdir("/proc/1/root/"))
must_fail("list /proc/1/cwd", lambda: os.listdir("/proc/1/cwd/"))
must_fail("read /proc/1/mem", lambda: read("/proc/1/mem"))
must_fail("read /proc/kcore", lambda: read("/proc/kcore"))
must_fail("open /proc/sysrq-trigger for writing", lambda: open_for_write("/proc/sysrq-trigger"))
must_fail("open /proc/sys/kernel/core_pattern for writing",
          lambda: open_for_write("/proc/sys/kernel/core_pattern"))
must_fail("open memory.limit_in_bytes for writing",
          lambda: open_for_write("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
must_fail("open pids.max for writing", lambda: open_for_write("/sys/fs/cgroup/pids/pids.max"))

# The host's trees: the project, home directories.
for path in ["/work", "/home", "/srv", "/mnt", "/media", "/opt"]:
    if os.path.isdir(path) and os.listdir(path):
        escaped.append(f"{path} has {os.listdir(path)[:5]}")
        note(path, "not empty")

# No block or character device of the host beyond Docker's harmless set.
allowed = {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "console"}
for name in os.listdir("/dev"):
    mode = os.lstat(os.path.join("/dev", name)).st_mode
    if stat.S_ISBLK(mode) or (stat.S_ISCHR(mode) and name not in allowed):
        escaped.append(f"device /dev/{name}")

# Mounts: the image, kernel file systems, our tmpfs and Docker's three /etc files. A bind mount of
# any other host path would show here.
kernel_fs = {"overlay", "proc", "tmpfs", "devpts", "sysfs", "cgroup", "cgroup2", "mqueue"}
docker_files = {"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"}
with open("/proc/mounts") as f:
    for line in f:
        source, target, fstype = line.split()[:3]
        if fstype not in kernel_fs and target not in docker_files:
            escaped.append(f"mount {source} on {target} ({fstype})")
            note("mount", line.strip())

print("\n".join(f"ESCAPED: {e}" for e in escaped) if escaped else "blocked")
