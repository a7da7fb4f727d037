# Hostile: allocates (and touches) 4 MiB more every round until the 128 MB cgroup runs out. The
# kernel's OOM killer ends it with SIGKILL: memory_limit, told apart from a crash by the cgroup's
# oom_kill counter.
chunks = []
while True:
    chunks.append(b"\x01" * (4 << 20))
