/* perf_qos_probe SCENARIO DIR: the perf QoS ioctl ABI (perfqos/perf_qos_ioctl.h) on perfqosd's
 * DIR/perf_qos nodes, with real open/ioctl/read/close. perfqosd runs with
 * --test-perf-device gpu:normal:100:900 and --test-perf-device nic:kbps:0:100000. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "probe.h"

static char gpu[512], nic[512], class_node[512];

static int open_node(const char* path, int flags) {
  int fd = open(path, flags);
  CHECK(fd >= 0);
  return fd;
}

static int get_err(int fd, unsigned long cmd) {
  struct perf_qos_ioctl_arg arg;
  memset(&arg, 0, sizeof arg);
  return perf_ioctl(fd, cmd, &arg);
}

/* Every RFC rule on one open file, then on two. */
static void rules(void) {
  int fd = open_node(gpu, O_RDWR);
  CHECK_ERR(get_err(fd, PERF_QOS_IOC_GET_MIN), ENODATA); /* nobody has a request */
  CHECK_ERR(get_err(fd, PERF_QOS_IOC_GET_MAX), ENODATA);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_EFFECTIVE_MIN), 100); /* empty: the hard limits */
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_EFFECTIVE_MAX), 900);

  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 300), 0);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MIN), 300);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_EFFECTIVE_MIN), 300);
  CHECK_ERR(get_err(fd, PERF_QOS_IOC_GET_MAX), ENODATA);
  sync_point("min-300");
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 300), EALREADY);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 99), EINVAL);  /* below limit_min */
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 901), EINVAL); /* above the range */
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MAX, 901), EINVAL); /* above limit_max */
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MAX, 99), EINVAL);  /* below the range */
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MAX, -1), EINVAL);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MIN), 300);     /* errors change nothing */
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 350), 0); /* changes this file's request */
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MIN), 350);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 100), 0); /* the hard limit removes it */
  CHECK_ERR(get_err(fd, PERF_QOS_IOC_GET_MIN), ENODATA);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 100), EINVAL); /* nothing left to remove */
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MAX, 900), EINVAL);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MAX, 600), 0);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MAX), 600);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MAX, 600), EALREADY);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 700), 0); /* floor above the cap: cap wins */
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_EFFECTIVE_MIN), 600);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_EFFECTIVE_MAX), 600);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 200), 0);

  /* A second open file is a second holder with its own min and max. */
  int other = open_node(gpu, O_RDONLY);
  CHECK_EQ(perf_get(other, PERF_QOS_IOC_GET_MIN), 200);     /* the device's, not the file's */
  CHECK_ERR(perf_set(other, PERF_QOS_IOC_SET_MIN, 200), 0); /* same value, another holder */
  CHECK_ERR(perf_set(other, PERF_QOS_IOC_SET_MIN, 500), 0);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MIN), 500);
  sync_point("two-files"); /* gpu: min 200 and 500, max 600 */

  char text[128];
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  CHECK(n > 0);
  text[n] = '\0';
  if (strcmp(text, "min 500 max 600 limits 100..900 unit normal\n") != 0) {
    fprintf(stderr, "summary: \"%s\"\n", text);
    exit(1);
  }
  CHECK_ERR(write_text(fd, "300"), EINVAL); /* perf nodes take no writes */

  CHECK(close(other) == 0);
  sync_point("other-closed"); /* gpu: min 200, max 600 */
  CHECK(close(fd) == 0);
  sync_point("closed");
}

/* What the header's command encodings do, and everything that is not one of them. */
static void encodings(void) {
  int fd = open_node(gpu, O_RDONLY);
  struct perf_qos_ioctl_arg arg;

  memset(&arg, 0x5a, sizeof arg);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_GET_LIMITS, &arg), 0);
  CHECK_EQ(arg.limit_min, 100);
  CHECK_EQ(arg.limit_max, 900);
  CHECK_EQ(arg.value, 0); /* fields the command does not name read 0 */
  CHECK_EQ(arg.unit, 0);
  memset(&arg, 0x5a, sizeof arg);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_GET_UNIT, &arg), 0);
  CHECK_EQ(arg.unit, PERF_QOS_UNIT_NORMAL);
  int kbps = open_node(nic, O_RDONLY);
  CHECK_ERR(perf_ioctl(kbps, PERF_QOS_IOC_GET_UNIT, &arg), 0);
  CHECK_EQ(arg.unit, PERF_QOS_UNIT_KBPS);
  CHECK_ERR(perf_ioctl(kbps, PERF_QOS_IOC_GET_LIMITS, &arg), 0);
  CHECK_EQ(arg.limit_max, 100000);
  close(kbps);

  /* The RFC's pointer-sized encodings: only sizeof(void*) bytes move. */
  CHECK_EQ(_IOC_SIZE(PERF_QOS_IOC_RFC_GET_LIMITS), sizeof(void*));
  memset(&arg, 0x5a, sizeof arg);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_RFC_GET_LIMITS, &arg), 0);
  CHECK_EQ(arg.limit_min, 100);
  CHECK_EQ(arg.value, 900);            /* limit_max travels in value */
  CHECK_EQ(arg.limit_max, 0x5a5a5a5a); /* untouched: past the pointer size */
  memset(&arg, 0x5a, sizeof arg);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_RFC_GET_UNIT, &arg), 0);
  CHECK_EQ(arg.value, PERF_QOS_UNIT_NORMAL);
  CHECK_EQ(arg.unit, 0x5a5a5a5a);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_RFC_SET_MIN, 400), 0);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_RFC_GET_MIN), 400);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MIN), 400);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_RFC_SET_MIN, 400), EALREADY);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_RFC_SET_MAX, 800), 0);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_RFC_GET_MAX), 800);
  memset(&arg, 0x5a, sizeof arg);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_RFC_GET_MAX, &arg), 0);
  CHECK_EQ(arg.limit_min, 0);          /* inside the pointer size, not named: 0 */
  CHECK_EQ(arg.limit_max, 0x5a5a5a5a); /* outside: untouched */
  sync_point("rfc-set");               /* gpu: min 400, max 800 */

  /* ENOTTY: another type, an unknown number, the wrong direction or size. */
  CHECK_ERR(get_err(fd, _IOR('Q', PERF_QOS_IOC_GET_MIN_CMD, struct perf_qos_ioctl_arg)), ENOTTY);
  CHECK_ERR(get_err(fd, _IOR('P', 8, struct perf_qos_ioctl_arg)), ENOTTY);
  CHECK_ERR(get_err(fd, _IOR('P', 255, struct perf_qos_ioctl_arg)), ENOTTY);
  CHECK_ERR(get_err(fd, _IOW('P', PERF_QOS_IOC_GET_MIN_CMD, struct perf_qos_ioctl_arg)), ENOTTY);
  CHECK_ERR(get_err(fd, _IOWR('P', PERF_QOS_IOC_GET_MIN_CMD, struct perf_qos_ioctl_arg)), ENOTTY);
  CHECK_ERR(get_err(fd, _IOR('P', PERF_QOS_IOC_SET_MIN_CMD, struct perf_qos_ioctl_arg)), ENOTTY);
  CHECK_ERR(get_err(fd, _IOWR('P', PERF_QOS_IOC_SET_MIN_CMD, struct perf_qos_ioctl_arg)), ENOTTY);
  CHECK_ERR(get_err(fd, _IO('P', PERF_QOS_IOC_SET_MIN_CMD)), ENOTTY);
  CHECK_ERR(get_err(fd, _IOW('P', PERF_QOS_IOC_SET_MIN_CMD, char[12])), ENOTTY);
  CHECK_ERR(get_err(fd, _IOR('P', PERF_QOS_IOC_GET_LIMITS_CMD, int)), ENOTTY); /* does not fit */
  CHECK_ERR(get_err(fd, _IOR('P', PERF_QOS_IOC_GET_LIMITS_CMD, char[32])), ENOTTY);
  CHECK_ERR(get_err(fd, _IOW('P', PERF_QOS_IOC_SET_MIN_CMD, char[2])), ENOTTY);
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MIN), 400); /* none of them changed anything */
  CHECK_EQ(perf_get(fd, PERF_QOS_IOC_GET_MAX), 800);

  /* A class node takes no ioctls. */
  int c = open_node(class_node, O_RDONLY);
  CHECK_ERR(get_err(c, PERF_QOS_IOC_GET_LIMITS), ENOTTY);
  close(c);
  CHECK(close(fd) == 0);
  sync_point("closed");
}

/* The device goes while the file is open, then comes back. */
static void vanish(void) {
  int fd = open_node(gpu, O_RDONLY);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 300), 0);
  sync_point("set"); /* the test unregisters gpu (SIGUSR1) */
  struct perf_qos_ioctl_arg arg;
  memset(&arg, 0, sizeof arg);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_GET_LIMITS, &arg), ENODEV);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_GET_EFFECTIVE_MIN, &arg), ENODEV);
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_GET_MIN, &arg), ENODEV);
  CHECK_ERR(perf_set(fd, PERF_QOS_IOC_SET_MIN, 400), ENODEV);
  char text[64];
  CHECK(read(fd, text, sizeof text) < 0 && errno == ENODEV);
  CHECK(open(gpu, O_RDONLY) < 0 && errno == ENOENT);
  struct stat st;
  CHECK(stat(gpu, &st) < 0 && errno == ENOENT);
  sync_point("gone"); /* the test registers gpu again */
  CHECK_ERR(perf_ioctl(fd, PERF_QOS_IOC_GET_LIMITS, &arg), ENODEV); /* still the old device */
  int again = open_node(gpu, O_RDONLY);
  CHECK_ERR(perf_ioctl(again, PERF_QOS_IOC_GET_MIN, &arg), ENODATA); /* its requests went */
  CHECK_ERR(perf_set(again, PERF_QOS_IOC_SET_MIN, 250), 0);
  CHECK_EQ(perf_get(again, PERF_QOS_IOC_GET_MIN), 250);
  sync_point("back");
  CHECK(close(fd) == 0);
  CHECK(close(again) == 0);
  sync_point("closed");
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SCENARIO DIR\n", argv[0]);
    return 2;
  }
  snprintf(gpu, sizeof gpu, "%s/perf_qos/gpu", argv[2]);
  snprintf(nic, sizeof nic, "%s/perf_qos/nic", argv[2]);
  snprintf(class_node, sizeof class_node, "%s/cpu_dma_latency", argv[2]);
  if (strcmp(argv[1], "rules") == 0) {
    rules();
  } else if (strcmp(argv[1], "encodings") == 0) {
    encodings();
  } else if (strcmp(argv[1], "vanish") == 0) {
    vanish();
  } else {
    fprintf(stderr, "%s: unknown scenario %s\n", argv[0], argv[1]);
    return 2;
  }
  return 0;
}
