# Hostile: forks children that sleep forever until fork() fails. The container's pids limit (128)
# must stop it well before 1000 processes; the runner must kill the sleepers when the step ends
# (the aftermath test counts the processes left).
import os
import signal
import sys

children = 0
try:
    while children < 1000:
        pid = os.fork()
        if pid == 0:
            while True:
                signal.pause()
        children += 1
except OSError as e:
    print(f"fork failed after {children} children: {e}", file=sys.stderr)
if children >= 1000:
    print(f"ESCAPED: forked {children} processes")
else:
    print("blocked")
