/* The reference "attacker": attempts nothing, so nothing can have worked. */
#include <stdio.h>

int main(void) {
  puts("blocked");
  return 0;
}
