# Hostile: hunts for the staff's expected outputs. The hidden test "secret" expects a line that
# appears nowhere in the container's inputs (its command prints it in two pieces). Expected
# outputs never enter the container, so it must not be found in any file, in the environment, in
# any process's command line or environment, or in the runner's memory; nor may any staff file
# (spec.yaml, grades.yaml, expected/) be lying around. Prints "blocked" when nothing was found.
import os
import sys

# Built at run time, so that this file itself does not contain it.
secret = "-".join(["staff", "secret", "4f7a"]).encode()
escaped = []


def note(what, outcome):
    print(f"{what}: {outcome}", file=sys.stderr)


me = str(os.getpid())
files = 0
for top in ["/"]:
    for root, dirs, names in os.walk(top):
        if root == "/":
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for name in names:
            path = os.path.join(root, name)
            if name in ("spec.yaml", "grades.yaml") or (root.endswith("/expected") and name.endswith(".out")):
                escaped.append(f"staff file {path}")
            if root == "/usr" or root.startswith("/usr/"):
                continue  # the image's own programs and libraries: names only, to stay fast
            try:
                if not os.path.isfile(path) or os.path.islink(path) or os.path.getsize(path) > (4 << 20):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            files += 1
            if secret in data and path != os.path.abspath(__file__):
                escaped.append(f"the expected output is in {path}")
note("files read", files)

if any(secret in (k + "=" + v).encode() for k, v in os.environ.items()):
    escaped.append("the expected output is in the environment")
for entry in os.listdir("/proc"):
    if not entry.isdigit() or entry == me:
        continue
    for what in ("cmdline", "environ", "mem"):
        try:
            with open(f"/proc/{entry}/{what}", "rb") as f:
                data = f.read(1 << 20)
        except OSError as e:
            note(f"/proc/{entry}/{what}", f"failed ({e.strerror})")
            continue
        if secret in data:
            escaped.append(f"the expected output is in /proc/{entry}/{what}")

print("\n".join(f"ESCAPED: {e}" for e in escaped) if escaped else "blocked")
