/* many_opens NODE COUNT THREADS: COUNT open file descriptions of a class node at once, opened
 * and written by THREADS threads concurrently (descriptor i writes 1000 + i), then all closed
 * concurrently. Raises RLIMIT_NOFILE as needed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>

#include "probe.h"

static const char* node;
static int count, threads;
static int* fds;

static void* open_share(void* arg) {
  long t = (long)arg;
  for (int i = (int)t; i < count; i += threads) {
    fds[i] = open(node, O_RDWR);
    if (fds[i] < 0 || write_s32(fds[i], 1000 + i) != 0) {
      fprintf(stderr, "descriptor %d: %s\n", i, strerror(errno));
      exit(1);
    }
  }
  return NULL;
}

static void* close_share(void* arg) {
  long t = (long)arg;
  for (int i = (int)t; i < count; i += threads) CHECK(close(fds[i]) == 0);
  return NULL;
}

static void run(void* (*share)(void*)) {
  pthread_t ids[64];
  for (long t = 0; t < threads; ++t) CHECK(pthread_create(&ids[t], NULL, share, (void*)t) == 0);
  for (int t = 0; t < threads; ++t) CHECK(pthread_join(ids[t], NULL) == 0);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s NODE COUNT THREADS\n", argv[0]);
    return 2;
  }
  node = argv[1];
  count = atoi(argv[2]);
  threads = atoi(argv[3]);
  CHECK(count > 0 && threads > 0 && threads <= 64);
  struct rlimit files;
  CHECK(getrlimit(RLIMIT_NOFILE, &files) == 0);
  rlim_t want = (rlim_t)count + 64;
  if (files.rlim_cur < want) {
    files.rlim_cur = want;
    if (files.rlim_max < want) files.rlim_max = want;
    CHECK(setrlimit(RLIMIT_NOFILE, &files) == 0);
  }
  fds = calloc((size_t)count, sizeof *fds);
  CHECK(fds != NULL);
  run(open_share);
  CHECK_EQ(read_s32(fds[0]), 1000); /* the smallest latency wins */
  sync_point("all-open");
  run(close_share);
  sync_point("all-closed");
  free(fds);
  return 0;
}
