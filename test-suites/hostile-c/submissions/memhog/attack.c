/* Hostile: mallocs and touches 1 MiB at a time until the 128 MB cgroup is exhausted. The OOM
 * killer's SIGKILL makes it memory_limit (the cgroup's oom_kill counter grew), not a crash. */
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (;;) {
    char *p = malloc(1 << 20);
    if (p) memset(p, 0x5a, 1 << 20);
  }
}
