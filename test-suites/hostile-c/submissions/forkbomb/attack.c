/* Hostile: the classic fork bomb. Every process forks forever; the pids limit (128) makes fork
 * fail, the wall clock (1 s) ends the test: time_limit. The runner kills them all, forks the next
 * test despite the full pids table, and the aftermath test sees no survivor. */
#include <unistd.h>

int main(void) {
  for (;;) fork();
}
