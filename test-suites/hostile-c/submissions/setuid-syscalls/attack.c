/* Hostile: the privilege system calls, straight from C: setuid/setresuid/setgid/setgroups, raising
 * capabilities (capset, ambient), new user/mount namespaces, mount, chroot, and exec of a
 * setuid-root program (mount) whose effective uid must stay ours under no-new-privileges.
 * Prints "blocked" when every attempt failed, "ESCAPED: ..." for each that worked. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int escaped = 0;

static void check(const char *what, int rc) {
  if (rc == 0) {
    printf("ESCAPED: %s\n", what);
    escaped = 1;
  } else {
    fprintf(stderr, "%s: failed (%s)\n", what, strerror(errno));
  }
}

int main(void) {
  gid_t root_group = 0;
  check("setuid(0)", setuid(0));
  check("setresuid(0,0,0)", setresuid(0, 0, 0));
  check("setgid(0)", setgid(0));
  check("setgroups({0})", setgroups(1, &root_group));
  check("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
  check("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
  check("mount tmpfs on /mnt", mount("none", "/mnt", "tmpfs", 0, NULL));
  check("chroot(/tmp)", chroot("/tmp"));
  check("prctl(PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN)",
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0));
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0xff, sizeof data);
  check("capset(all)", (int)syscall(SYS_capset, &header, data));
  int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  fprintf(stderr, "no_new_privs: %d\n", nnp);
  if (nnp != 1) {
    printf("ESCAPED: no_new_privs is not set\n");
    escaped = 1;
  }

  /* A setuid-root program: under no-new-privileges exec does not raise the effective uid, so
   * mount runs as us and refuses. */
  int out[2];
  if (pipe(out) == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      dup2(out[1], 2);
      dup2(out[1], 1);
      execl("/usr/bin/mount", "mount", "-t", "tmpfs", "none", "/mnt", (char *)NULL);
      _exit(127);
    }
    close(out[1]);
    char buf[512] = {0};
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    (void)n;
    int status = 0;
    waitpid(pid, &status, 0);
    fprintf(stderr, "setuid-root mount: exit %d: %s", WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      printf("ESCAPED: setuid-root mount worked\n");
      escaped = 1;
    }
  }
  if (geteuid() == 0 || getuid() == 0) {
    printf("ESCAPED: running as root\n");
    escaped = 1;
  }
  if (!escaped) puts("blocked");
  return 0;
}
