# Hostile: looks for credentials in its environment and in the runner's. The grader holds the
# database and broker URLs (with passwords) in GRADEQ_* variables; none of that may reach student
# code. The step's environment is exactly PATH, HOME, TMPDIR and LANG (plus what the shell adds);
# the runner's own environment (/proc/1/environ) is unreadable. Prints "blocked" when no
# credential was found, "ESCAPED: ..." otherwise.
import os
import re
import sys

escaped = []
expected = {"PATH", "HOME", "TMPDIR", "LANG", "PWD", "OLDPWD", "SHLVL", "_"}
suspicious = re.compile(r"GRADEQ|PASS|SECRET|TOKEN|KEY|AMQP|DATABASE|POSTGRES|PG|RABBIT|AWS|CRED|AUTH", re.I)
print(f"environment: {sorted(os.environ)}", file=sys.stderr)
for key, value in os.environ.items():
    if key not in expected:
        escaped.append(f"unexpected variable {key}")
    if suspicious.search(key) or suspicious.search(value) or "://" in value or "@" in value:
        escaped.append(f"suspicious variable {key}")
try:
    with open("/proc/1/environ", "rb") as f:
        runner_env = f.read()
    escaped.append("the runner's environment is readable")
    if re.search(rb"GRADEQ|PASSWORD|://", runner_env):
        escaped.append("the runner's environment holds credentials")
except OSError as e:
    print(f"/proc/1/environ: {e.strerror}", file=sys.stderr)
# Files where credentials tend to live.
for path in ["/root/.pgpass", "/.pgpass", "/sandbox/.pgpass", "/etc/gradeq", "/run/secrets",
             "/root/.docker/config.json", "/root/.aws/credentials"]:
    if os.path.exists(path):
        escaped.append(f"{path} exists")
print("\n".join(f"ESCAPED: {e}" for e in escaped) if escaped else "blocked")
