/* class_node_probe SCENARIO NODE [PERF_NODE]: the kernel's PM QoS class-node ABI on a perfqosd
 * FUSE node, with real open/write/read/close. NODE is cpu_dma_latency (valid requests
 * 0..2000000000, -1 = default 2000000000), or cpu_wakeup_latency for the scenario "wakeup"
 * (Linux 6.19: default S32_MAX, every negative write EINVAL). See probe.h for the sync points. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "probe.h"

#define DEFAULT_LATENCY 2000000000

/* Writes `text` and checks the errno, then that the value in force is `want`. */
static void text_case(int fd, const char* text, size_t size, int want_err, int32_t want) {
  int err = write_bytes(fd, text, size);
  if (err != want_err) {
    fprintf(stderr, "write of \"%.*s\" (%zu bytes): got %s, want %s\n", (int)size, text, size,
            strerror(err), strerror(want_err));
    exit(1);
  }
  int32_t now = read_s32(fd);
  if (now != want) {
    fprintf(stderr, "after \"%.*s\": value %d, want %d\n", (int)size, text, now, want);
    exit(1);
  }
}
#define TEXT(fd, literal, err, want) text_case(fd, literal, sizeof(literal) - 1, err, want)

static void binary(const char* node) {
  int fd = open(node, O_RDWR);
  CHECK(fd >= 0);
  CHECK_EQ(read_s32(fd), DEFAULT_LATENCY); /* the open is a request at the default */
  sync_point("opened");
  CHECK_ERR(write_s32(fd, 100), 0);
  CHECK_EQ(read_s32(fd), 100);
  sync_point("set-100");
  CHECK_ERR(write_s32(fd, -1), 0);
  CHECK_EQ(read_s32(fd), DEFAULT_LATENCY);
  CHECK_ERR(write_s32(fd, 0), 0);
  CHECK_EQ(read_s32(fd), 0);
  CHECK_ERR(write_s32(fd, -2), EINVAL);
  CHECK_ERR(write_s32(fd, INT32_MIN), EINVAL);
  CHECK_ERR(write_s32(fd, DEFAULT_LATENCY + 1), EINVAL);
  CHECK_EQ(read_s32(fd), 0); /* refused writes change nothing */
  CHECK_ERR(write_s32(fd, DEFAULT_LATENCY), 0);
  CHECK_ERR(write_s32(fd, 55), 0);
  /* read(2) as the kernel's: writes do not move the read position, so after all these writes
   * a read gives the 4 bytes, then a read at the end gives 0. */
  int32_t v = 0;
  CHECK_EQ(read(fd, &v, sizeof v), 4);
  CHECK_EQ(v, 55);
  CHECK_EQ(read(fd, &v, sizeof v), 0);
  CHECK_ERR(write_s32(fd, 56), 0);
  CHECK_EQ(read(fd, &v, sizeof v), 0); /* still at the end */
  CHECK_EQ(read_s32(fd), 56);
  CHECK(close(fd) == 0);
  sync_point("closed");
}

static void text(const char* node) {
  int fd = open(node, O_RDWR);
  CHECK(fd >= 0);
  TEXT(fd, "100", 0, 256);   /* hexadecimal, as the kernel */
  TEXT(fd, "0x10\n", 0, 16); /* "0x10" alone is 4 bytes: binary */
  TEXT(fd, "ff\n", 0, 255);
  TEXT(fd, "0XfF\n", 0, 255);
  TEXT(fd, "+a", 0, 10);
  TEXT(fd, "-1", 0, DEFAULT_LATENCY);
  TEXT(fd, "5", 0, 5);
  TEXT(fd, "-1\n", 0, DEFAULT_LATENCY);
  TEXT(fd, "77359400", 0, DEFAULT_LATENCY); /* the top of the class's range */
  TEXT(fd, "1c\0zzz", 0, 28);               /* a NUL ends the text */
  TEXT(fd, "abc\n", 0, 0x0a636261);         /* exactly 4 bytes: binary, whatever it looks like */
  TEXT(fd, "0000000000000000000000000000000007", 0, 7);       /* 34 bytes: the longest text */
  TEXT(fd, "00000000000000000000000000000000007", EINVAL, 7); /* 35 bytes */
  TEXT(fd, "zz", EINVAL, 7);
  TEXT(fd, "-2", EINVAL, 7);
  TEXT(fd, "-0x10", EINVAL, 7);
  TEXT(fd, "0x", EINVAL, 7);
  TEXT(fd, "\n", EINVAL, 7);
  TEXT(fd, "12 ", EINVAL, 7);
  TEXT(fd, "1\n\n", EINVAL, 7);
  TEXT(fd, "0x0x1", EINVAL, 7);
  TEXT(fd, "77359401", EINVAL, 7); /* above the class's range */
  TEXT(fd, "7fffffff", EINVAL, 7);
  TEXT(fd, "80000000", ERANGE, 7); /* not an s32: the kernel's kstrtos32 says ERANGE */
  TEXT(fd, "fffffffffffffffff", ERANGE, 7);
  TEXT(fd, "1234\n", 0, 0x1234);
  sync_point("text-done");
  CHECK(close(fd) == 0);
  sync_point("closed");
}

/* argv: the value another holder keeps on the node. */
static void readonly(const char* node, int32_t held) {
  int fd = open(node, O_RDONLY);
  CHECK(fd >= 0);
  int32_t v = 0;
  CHECK_EQ(read(fd, &v, sizeof v), 4);
  CHECK_EQ(v, held);
  CHECK_EQ(read(fd, &v, sizeof v), 0);
  char two[2];
  CHECK_EQ(pread(fd, two, sizeof two, 2), 2); /* bytes 2..3 */
  CHECK(memcmp(two, (char*)&v + 2, 2) == 0);
  CHECK_EQ(pread(fd, two, sizeof two, 4), 0);
  CHECK_ERR(write_s32(fd, 10), EBADF);
  sync_point("opened-ro"); /* no request of ours */
  CHECK(close(fd) == 0);
}

static void dup_shares(const char* node) {
  int fd = open(node, O_RDWR);
  CHECK(fd >= 0);
  CHECK_ERR(write_s32(fd, 70), 0);
  int other = dup(fd);
  CHECK(other >= 0);
  CHECK(close(fd) == 0);
  sync_point("original-closed"); /* the request lives on in the duplicate */
  CHECK_ERR(write_s32(other, 71), 0);
  sync_point("set-71");
  CHECK(close(other) == 0);
  sync_point("closed");
}

static void fork_shares(const char* node) {
  int fd = open(node, O_RDWR);
  CHECK(fd >= 0);
  CHECK_ERR(write_s32(fd, 80), 0);
  int go[2];
  CHECK(pipe(go) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(2);
    if (write_s32(fd, 81) != 0) _exit(3);
    if (read_s32(fd) != 81) _exit(4);
    _exit(close(fd) == 0 ? 0 : 5);
  }
  close(go[0]);
  CHECK(close(fd) == 0);
  sync_point("parent-closed"); /* the child still holds the open file */
  CHECK(write(go[1], "g", 1) == 1);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  sync_point("child-exited");
}

static void send_fd(int sock, int fd) {
  char byte = 'f';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  CHECK(sendmsg(sock, &msg, 0) == 1);
}

static int receive_fd(int sock) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  if (recvmsg(sock, &msg, 0) != 1) return -1;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static void scm_rights(const char* node) {
  int pair[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    close(pair[0]);
    int fd = receive_fd(pair[1]);
    if (fd < 0) _exit(2);
    if (write_s32(fd, 90) != 0) _exit(3);
    if (write(pair[1], "r", 1) != 1) _exit(4);
    char c;
    if (read(pair[1], &c, 1) != 1) _exit(5);
    _exit(close(fd) == 0 ? 0 : 6);
  }
  close(pair[1]);
  int fd = open(node, O_RDWR);
  CHECK(fd >= 0);
  send_fd(pair[0], fd);
  CHECK(close(fd) == 0);
  char c;
  CHECK(read(pair[0], &c, 1) == 1);
  sync_point("passed"); /* only the receiver holds it now, at 90 */
  CHECK(write(pair[0], "g", 1) == 1);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  sync_point("receiver-exited");
}

/* Drops to uid/gid 65534 with one descriptor opened (and a request placed) as root. */
static void unprivileged(const char* node, const char* perf_node) {
  int rooted = open(node, O_RDWR);
  CHECK(rooted >= 0);
  CHECK_ERR(write_s32(rooted, 40), 0);
  CHECK(setgroups(0, NULL) == 0);
  CHECK(setgid(65534) == 0);
  CHECK(setuid(65534) == 0);
  CHECK(open(node, O_RDWR) < 0 && errno == EACCES);
  CHECK(open(node, O_WRONLY) < 0 && errno == EACCES);
  CHECK(access(node, W_OK) != 0 && errno == EACCES);
  CHECK(access(node, R_OK) == 0);
  int ro = open(node, O_RDONLY);
  CHECK(ro >= 0);
  CHECK_EQ(read_s32(ro), 40);
  /* A descriptor from root carries no rights: the caller is checked on every write. */
  CHECK_ERR(write_s32(rooted, 41), EACCES);
  CHECK_EQ(read_s32(ro), 40);
  int perf = open(perf_node, O_RDONLY);
  CHECK(perf >= 0);
  struct perf_qos_ioctl_arg arg;
  memset(&arg, 0, sizeof arg);
  CHECK_ERR(perf_ioctl(perf, PERF_QOS_IOC_GET_LIMITS, &arg), 0);
  CHECK_EQ(arg.limit_max, 900);
  CHECK_EQ(perf_get(perf, PERF_QOS_IOC_GET_EFFECTIVE_MIN), 100);
  CHECK_ERR(perf_set(perf, PERF_QOS_IOC_SET_MIN, 300), EACCES);
  CHECK_ERR(perf_set(perf, PERF_QOS_IOC_SET_MAX, 300), EACCES);
  CHECK_ERR(perf_ioctl(perf, PERF_QOS_IOC_GET_MIN, &arg), ENODATA);
  char summary[128];
  CHECK(read(perf, summary, sizeof summary) > 0);
  sync_point("unprivileged-done");
  close(perf);
  close(ro);
  close(rooted);
}

/* /dev/cpu_wakeup_latency's ABI: the open is a request at S32_MAX (no constraint), a 4-byte
 * write is an s32, other text is hexadecimal, and every negative value, -1 included, is EINVAL. */
static void wakeup(const char* node) {
  int fd = open(node, O_RDWR);
  CHECK(fd >= 0);
  CHECK_EQ(read_s32(fd), INT32_MAX);
  CHECK_ERR(write_s32(fd, 150), 0);
  CHECK_EQ(read_s32(fd), 150);
  sync_point("set-150");
  CHECK_ERR(write_s32(fd, -1), EINVAL);
  CHECK_ERR(write_s32(fd, -2), EINVAL);
  CHECK_EQ(read_s32(fd), 150); /* refused writes change nothing */
  CHECK_ERR(write_s32(fd, INT32_MAX), 0);
  CHECK_EQ(read_s32(fd), INT32_MAX);
  TEXT(fd, "-1\n", EINVAL, INT32_MAX);
  TEXT(fd, "7fffffff\n", 0, INT32_MAX); /* the top of the class's range */
  TEXT(fd, "80000000", ERANGE, INT32_MAX);
  TEXT(fd, "zz", EINVAL, INT32_MAX);
  TEXT(fd, "c8\n", 0, 200); /* hexadecimal, as the kernel */
  sync_point("text-200");
  CHECK(close(fd) == 0);
  sync_point("closed");
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SCENARIO NODE [ARG]\n", argv[0]);
    return 2;
  }
  const char* scenario = argv[1];
  const char* node = argv[2];
  if (strcmp(scenario, "binary") == 0) {
    binary(node);
  } else if (strcmp(scenario, "text") == 0) {
    text(node);
  } else if (strcmp(scenario, "wakeup") == 0) {
    wakeup(node);
  } else if (strcmp(scenario, "readonly") == 0 && argc == 4) {
    readonly(node, (int32_t)strtol(argv[3], NULL, 10));
  } else if (strcmp(scenario, "dup") == 0) {
    dup_shares(node);
  } else if (strcmp(scenario, "fork") == 0) {
    fork_shares(node);
  } else if (strcmp(scenario, "scm_rights") == 0) {
    scm_rights(node);
  } else if (strcmp(scenario, "unprivileged") == 0 && argc == 4) {
    unprivileged(node, argv[3]);
  } else {
    fprintf(stderr, "%s: unknown scenario %s\n", argv[0], scenario);
    return 2;
  }
  return 0;
}
