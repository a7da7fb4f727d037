# Hostile: tries to kill the runner (PID 1) with every catchable and uncatchable signal, then
# kills every process it can see, then kill(-1, SIGKILL). PID 1 of a PID namespace ignores
# signals it has no handler for when they come from inside the namespace, so the runner must
# survive and deliver its report. The last kill takes the step's own shell with it: the test
# ends killed by SIGKILL (runtime_error, not memory_limit); the aftermath test must run normally.
import os
import signal
import sys

me = os.getpid()
for sig in [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
            signal.SIGUSR2, signal.SIGALRM, signal.SIGSEGV, signal.SIGABRT, signal.SIGXCPU,
            signal.SIGSTOP, signal.SIGKILL]:
    try:
        os.kill(1, sig)
        print(f"kill(1, {sig.name}): sent", file=sys.stderr)
    except OSError as e:
        print(f"kill(1, {sig.name}): {e.strerror}", file=sys.stderr)
with open("/proc/1/stat") as f:
    state = f.read().rsplit(")", 1)[1].split()[0]
print(f"PID 1 is alive, state {state}", file=sys.stderr)
print("blocked" if state in ("S", "R") else f"ESCAPED: PID 1 is in state {state}", flush=True)
sys.stderr.flush()

for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) not in (1, me):
        try:
            os.kill(int(entry), signal.SIGKILL)
        except OSError:
            pass
os.kill(-1, signal.SIGKILL)
print("survived kill(-1)", file=sys.stderr)
