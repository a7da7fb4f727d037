/* Hostile: goes after the runner's report from C. Scans every descriptor number for one it
 * inherited (the runner's stdout would do), ptraces PID 1, reads and writes its memory with
 * process_vm_readv/writev and /proc/1/mem, opens /proc/1/fd/1. Every attempt must fail: prints
 * "blocked", or "ESCAPED: ..." for each that worked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

static int escaped = 0;

int main(void) {
  const char fake[] =
      "{\"schema\":\"gradeq.report/v1\",\"build\":null,\"tests\":[],\"runner_error\":\"\"}\n";
  struct rlimit nofile;
  getrlimit(RLIMIT_NOFILE, &nofile);
  long max = nofile.rlim_cur > 65536 ? 65536 : (long)nofile.rlim_cur;
  int found = 0;
  for (long fd = 3; fd < max; ++fd) {
    if (fcntl((int)fd, F_GETFD) != -1) {
      ++found;
      if (write((int)fd, fake, sizeof fake - 1) > 0) {
        printf("ESCAPED: wrote a report to inherited descriptor %ld\n", fd);
        escaped = 1;
      }
    }
  }
  fprintf(stderr, "descriptors beyond 0/1/2 among the first %ld: %d\n", max, found);

  const char *targets[] = {"/proc/1/fd/0", "/proc/1/fd/1", "/proc/1/fd/2", "/proc/1/mem"};
  for (int i = 0; i < 4; ++i) {
    int fd = open(targets[i], O_WRONLY | O_NONBLOCK);
    if (fd >= 0) {
      printf("ESCAPED: opened %s for writing\n", targets[i]);
      escaped = 1;
      close(fd);
    } else {
      fprintf(stderr, "open %s: %s\n", targets[i], strerror(errno));
    }
  }

  if (ptrace(PTRACE_ATTACH, 1, NULL, NULL) == 0) {
    printf("ESCAPED: ptrace attached to PID 1\n");
    escaped = 1;
  } else {
    fprintf(stderr, "ptrace(PTRACE_ATTACH, 1): %s\n", strerror(errno));
  }
  if (ptrace(PTRACE_SEIZE, 1, NULL, NULL) == 0) {
    printf("ESCAPED: ptrace seized PID 1\n");
    escaped = 1;
  } else {
    fprintf(stderr, "ptrace(PTRACE_SEIZE, 1): %s\n", strerror(errno));
  }

  /* Denied is EPERM (or ENOSYS from seccomp); EFAULT would mean the permission check passed. */
  char buf[64];
  struct iovec local = {buf, sizeof buf};
  struct iovec remote = {(void *)0x400000, sizeof buf};
  for (int w = 0; w < 2; ++w) {
    const char *name = w ? "process_vm_writev(1)" : "process_vm_readv(1)";
    ssize_t n = w ? process_vm_writev(1, &local, 1, &remote, 1, 0)
                  : process_vm_readv(1, &local, 1, &remote, 1, 0);
    if (n >= 0 || (errno != EPERM && errno != ENOSYS && errno != EACCES)) {
      printf("ESCAPED: %s was allowed (%s)\n", name, n >= 0 ? "it worked" : strerror(errno));
      escaped = 1;
    } else {
      fprintf(stderr, "%s: %s\n", name, strerror(errno));
    }
  }

  if (!escaped) puts("blocked");
  return 0;
}
