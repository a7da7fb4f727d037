# Hostile: leaves processes behind that try to outlive the test: a double-forked daemon in its own
# session, a nohup'ed shell loop, and a child that ignores SIGTERM and SIGHUP. Each keeps
# appending to a file and, every 20 ms, writes "INJECTED" into the stdout of every process it did
# not know when it started (the later tests' processes). The test itself prints "blocked" and
# exits at once (passed); the runner must kill the leftovers when the step ends, so that the
# aftermath test sees no stray process and no injected output.
import os
import signal
import subprocess
import sys
import time

# This test's own stdout pipe: injecting there (into a sibling) would only spoil our own output.
own_stdout = os.fstat(1).st_ino


def haunt(tag):
    known = set(os.listdir("/proc"))
    while True:
        try:
            with open(f"/sandbox/{tag}.log", "a") as log:
                log.write(f"{tag} {time.time()}\n")
        except OSError:
            pass
        for entry in os.listdir("/proc"):
            if entry.isdigit() and entry not in known:
                try:
                    if os.stat(f"/proc/{entry}/fd/1").st_ino == own_stdout:
                        continue
                    fd = os.open(f"/proc/{entry}/fd/1", os.O_WRONLY | os.O_NONBLOCK)
                    os.write(fd, b"INJECTED\n")
                    os.close(fd)
                except OSError:
                    pass
        time.sleep(0.02)


# Double fork + setsid: a daemon, reparented to PID 1, in a session of its own.
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        devnull = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        haunt("daemon")
    os._exit(0)

# A child that ignores the polite signals, in its own process group.
if os.fork() == 0:
    os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    haunt("stubborn")

# nohup'ed shell loop in a new session, detached from our pipes.
subprocess.Popen(["nohup", "sh", "-c", "while :; do date >> /sandbox/nohup.log; sleep 0.02; done"],
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 start_new_session=True)
time.sleep(0.1)  # let them all get going
print("blocked")
