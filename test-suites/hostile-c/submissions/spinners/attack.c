/* Hostile to the wall clock: 120 processes that only burn CPU, so that the runner (which must
 * wake up to enforce the 1 s limit) competes with all of them for the container's 0.5 CPU. The
 * test must still end at about 1 s: time_limit, and a duration close to it. */
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 120; ++i) {
    if (fork() == 0) break;
  }
  for (;;) {
  }
}
