# Hostile: writes 1 MiB blocks everywhere it can until the writes fail. The root file system is
# read-only; the only writable places are size-limited tmpfs mounts: /sandbox and /tmp (16 MiB
# each) and Docker's /dev/shm (64 MiB). Prints "blocked" when every place stopped within its
# bound, "ESCAPED: ..." otherwise.
import errno
import os
import sys

MIB = 1 << 20
block = b"\xa5" * MIB
# place -> the most it may take (MiB); 0: not writable at all
places = {"/sandbox": 16, "/tmp": 16, "/dev/shm": 64, "/": 0, "/var/tmp": 0, "/run/lock": 0,
          "/dev": 0, "/home": 0, "/usr/local/bin": 0, "/etc": 0}
escaped = []
for place, bound in places.items():
    written = 0
    try:
        with open(os.path.join(place, "fill.bin"), "wb", buffering=0) as f:
            while written <= bound + 8:
                f.write(block)
                written += 1
    except OSError as e:
        why = errno.errorcode.get(e.errno, str(e.errno))
    else:
        why = "no error"
    print(f"{place}: {written} MiB written, then {why}", file=sys.stderr)
    if written > bound:
        escaped.append(f"{place} took {written} MiB")
print("\n".join(f"ESCAPED: {e}" for e in escaped) if escaped else "blocked")
