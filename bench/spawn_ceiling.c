// The machine's ceiling for per-batch handlers: how many times a second two threads can
// posix_spawn HANDLER, write it a batch-sized input and wait for it, with nothing else running.
// bench/per_batch.sh prints it beside flareq's figure. Usage: spawn_ceiling HANDLER [spawns]
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;
static const char* handler;
static int per_thread;

static void* spawn_many(void* unused) {
  (void)unused;
  static char batch[12000];  // about 100 small messages as a batch document
  for (int i = 0; i < per_thread; i++) {
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) exit(1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    pid_t pid;
    char* argv[] = {(char*)handler, NULL};
    if (posix_spawn(&pid, handler, &actions, NULL, argv, environ) != 0) exit(1);
    close(in[0]);
    if (write(in[1], batch, sizeof batch) < 0) exit(1);
    close(in[1]);
    waitpid(pid, NULL, 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  handler = argv[1];
  int spawns = argc > 2 ? atoi(argv[2]) : 500;
  per_thread = spawns / 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, spawn_many, NULL);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.0f", 2 * per_thread / secs);
  return 0;
}
