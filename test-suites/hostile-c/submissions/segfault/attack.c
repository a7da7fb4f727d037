/* A plain crash, for contrast with memhog: SIGSEGV is runtime_error, never memory_limit. */
#include <stdio.h>

int main(void) {
  volatile int *p = NULL;
  puts("about to crash");
  fflush(stdout);
  *p = 42;
  return 0;
}
