/* Hostile: pins memory that outlives the process. System V shared memory segments are not freed
 * when their creator exits: it creates and touches 1 MiB segments until the cgroup's OOM killer
 * stops it (memory_limit). Left alone, ~125 MB of the container's 128 MB stay pinned and the
 * next tests have no memory; the runner must remove them after the step, so that the aftermath
 * test runs normally and sees no segment. */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void) {
  size_t chunk = 1 << 20, total = 0;
  for (;;) {
    int id = shmget(IPC_PRIVATE, chunk, IPC_CREAT | 0600);
    if (id < 0) {
      perror("shmget");
      break;
    }
    char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) {
      perror("shmat");
      break;
    }
    memset(p, 1, chunk);
    shmdt(p);
    total += chunk;
    if (total % (16u << 20) == 0) printf("%zu MiB pinned\n", total >> 20);
    fflush(stdout);
  }
  /* Only reached when shmget failed before the memory ran out: the escape is the pinning. */
  printf("ESCAPED: stopped at %zu MiB without an OOM kill\n", total >> 20);
  return 0;
}
