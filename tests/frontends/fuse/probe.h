/* Helpers shared by the FUSE test programs: checks that print where they failed, and the sync
 * points by which the driving GoogleTest (fuse_tree_test.cc) inspects perfqosd mid-way.
 *
 * Protocol: at a sync point the program prints its name on a line of stdout and waits for a line
 * on stdin; the test checks what perfqosd holds, then sends "\n". Failures go to stderr, and the
 * program exits 1. */
#ifndef PERFQOS_TESTS_FUSE_PROBE_H
#define PERFQOS_TESTS_FUSE_PROBE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "perfqos/perf_qos_ioctl.h"

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__, __LINE__, #cond, \
              errno, strerror(errno));                                                       \
      exit(1);                                                                               \
    }                                                                                        \
  } while (0)

/* `expr` (a call returning 0 or an errno) must give `want`. */
#define CHECK_ERR(expr, want)                                                                    \
  do {                                                                                           \
    int got_ = (expr);                                                                           \
    if (got_ != (want)) {                                                                        \
      fprintf(stderr, "%s:%d: %s: got %d (%s), want %d (%s)\n", __FILE__, __LINE__, #expr, got_, \
              strerror(got_), (want), strerror(want));                                           \
      exit(1);                                                                                   \
    }                                                                                            \
  } while (0)

#define CHECK_EQ(a, b)                                                                        \
  do {                                                                                        \
    long long a_ = (long long)(a), b_ = (long long)(b);                                       \
    if (a_ != b_) {                                                                           \
      fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, #b, a_, b_); \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

static inline void sync_point(const char* name) {
  char line[64];
  printf("%s\n", name);
  fflush(stdout);
  if (fgets(line, sizeof line, stdin) == NULL) {
    fprintf(stderr, "sync point %s: the test went away\n", name);
    exit(1);
  }
}

/* write(2) of exactly `size` bytes: 0, or the errno. */
static inline int write_bytes(int fd, const void* data, size_t size) {
  ssize_t n = write(fd, data, size);
  if (n < 0) return errno;
  return n == (ssize_t)size ? 0 : EIO;
}

static inline int write_s32(int fd, int32_t value) {
  return write_bytes(fd, &value, sizeof value);
}

static inline int write_text(int fd, const char* text) {
  return write_bytes(fd, text, strlen(text));
}

/* The 4-byte value a class node reads at offset 0. */
static inline int32_t read_s32(int fd) {
  int32_t value = 0;
  ssize_t n = pread(fd, &value, sizeof value, 0);
  if (n != (ssize_t)sizeof value) {
    fprintf(stderr, "read_s32: got %zd bytes (errno %d: %s)\n", n, errno, strerror(errno));
    exit(1);
  }
  return value;
}

/* ioctl(2) with a perf_qos_ioctl_arg: 0, or the errno. */
static inline int perf_ioctl(int fd, unsigned long cmd, struct perf_qos_ioctl_arg* arg) {
  return ioctl(fd, cmd, arg) == 0 ? 0 : errno;
}

static inline int perf_set(int fd, unsigned long cmd, int value) {
  struct perf_qos_ioctl_arg arg;
  memset(&arg, 0, sizeof arg);
  arg.value = value;
  return perf_ioctl(fd, cmd, &arg);
}

/* A GET's value field; exits on error. */
static inline int perf_get(int fd, unsigned long cmd) {
  struct perf_qos_ioctl_arg arg;
  memset(&arg, 0x5a, sizeof arg);
  int err = perf_ioctl(fd, cmd, &arg);
  if (err != 0) {
    fprintf(stderr, "perf_get(0x%lx): %s\n", cmd, strerror(err));
    exit(1);
  }
  return arg.value;
}

#endif /* PERFQOS_TESTS_FUSE_PROBE_H */
