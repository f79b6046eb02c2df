/* latency_tool MICROSECONDS [NODE]: written the way latency-sensitive programs use the kernel's
 * /dev/cpu_dma_latency (audio servers, trading and robotics loops, cyclictest): open it
 * O_RDWR, write the bound as a 4-byte s32, keep the descriptor open while working, close.
 * It names /dev/cpu_dma_latency (or NODE, a kernel path such as /dev/cpu_wakeup_latency) and
 * nothing else; the test bind-mounts perfqosd's node there.
 * "Working" lasts until a line arrives on stdin. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s MICROSECONDS [NODE]\n", argv[0]);
    return 2;
  }
  const char* node = argc == 3 ? argv[2] : "/dev/cpu_dma_latency";
  int32_t latency = (int32_t)strtol(argv[1], NULL, 10);
  int fd = open(node, O_RDWR);
  if (fd < 0) {
    perror(node);
    return 1;
  }
  if (write(fd, &latency, sizeof latency) != (ssize_t)sizeof latency) {
    perror(node);
    return 1;
  }
  int32_t now = 0;
  if (read(fd, &now, sizeof now) != (ssize_t)sizeof now || now > latency) {
    fprintf(stderr, "the latency bound in force is %d, not <= %d\n", now, latency);
    return 1;
  }
  printf("holding %d\n", now);
  fflush(stdout);
  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) return 1;
  close(fd);
  return 0;
}
