/* Hostile: a classic daemon (fork, setsid, fork, close everything, ignore SIGHUP/SIGTERM) that
 * keeps appending to a file in the work dir and writes "INJECTED" into the stdout of every process
 * born after it (the later tests), through /proc/PID/fd/1. The test prints "blocked" and exits
 * (passed); the daemon must be killed with its step, so the aftermath test is clean. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void haunt(void) {
  pid_t born_after = getpid();
  for (;;) {
    int log = open("/sandbox/daemon.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      (void)!write(log, "still here\n", 11);
      close(log);
    }
    DIR *proc = opendir("/proc");
    struct dirent *e;
    while (proc && (e = readdir(proc)) != NULL) {
      pid_t pid = (pid_t)atoi(e->d_name);
      if (pid <= born_after) continue;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/fd/1", (int)pid);
      int fd = open(path, O_WRONLY | O_NONBLOCK);
      if (fd >= 0) {
        (void)!write(fd, "INJECTED\n", 9);
        close(fd);
      }
    }
    if (proc) closedir(proc);
    usleep(10000);
  }
}

int main(void) {
  if (fork() == 0) {
    setsid();
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    if (fork() == 0) {
      for (int fd = 0; fd < 1024; ++fd) close(fd);
      haunt();
    }
    _exit(0);
  }
  usleep(50000);
  puts("blocked");
  return 0;
}
