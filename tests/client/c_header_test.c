/* The public header compiles as C11 and the shared library links and answers from C. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "perfqos/client.h"

int main(void) {
  struct perfqos_client* client = NULL;
  int rc = perfqos_connect("/nonexistent-dir/perfqosd.sock", 200, &client);
  if (rc != -ENOENT || errno != ENOENT || client != NULL) {
    fprintf(stderr, "expected -ENOENT, got %d (%s)\n", rc, perfqos_last_error(NULL));
    return 1;
  }
  if (strstr(perfqos_last_error(NULL), "/nonexistent-dir/perfqosd.sock") == NULL) {
    fprintf(stderr, "message does not name the path: %s\n", perfqos_last_error(NULL));
    return 1;
  }
  return 0;
}
