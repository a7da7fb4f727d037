/* Hostile to the build: the compiler reads an endless "header". The build step's wall clock (or
 * the memory limit) stops gcc; every test is compile_error and the grader is unaffected. */
#include "/dev/zero"

int main(void) { return 0; }
