/* Hostile to the verdict logic: a program that SIGKILLs itself looks like the OOM killer's work.
 * The oom_kill counter did not move, so it is runtime_error (killed by SIGKILL), not
 * memory_limit. */
#include <signal.h>
#include <unistd.h>

int main(void) {
  kill(getpid(), SIGKILL);
  return 0;
}
