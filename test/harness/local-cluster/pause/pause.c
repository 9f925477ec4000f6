/* Minimal Kubernetes pause: PID 1 of a Pod sandbox. Sleeps until SIGTERM/SIGINT, reaps zombies.
 * Built by test/harness/local-cluster/node-images.ts with `gcc -Os -static -s` into a FROM scratch image. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(int s) {
  (void)s;
  _exit(0);
}

static void reap(int s) {
  (void)s;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction a = {0};
  a.sa_handler = die;
  sigaction(SIGTERM, &a, NULL);
  sigaction(SIGINT, &a, NULL);
  a.sa_handler = reap;
  a.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &a, NULL);
  for (;;) pause();
}
