// Opening the connection to perfqosd: which path, and a connect() bounded by a deadline.
#pragma once

#include <string>

#include "client/connection.h"

namespace perfqos::clientlib {

// path if not null, else $PERFQOS_SOCKET if set and not empty, else PERFQOS_DEFAULT_SOCKET.
std::string socket_path(const char* path);

// Connects a new SOCK_SEQPACKET socket to `path`; *fd receives it. A daemon whose listen
// backlog is full is retried until the deadline, then ETIMEDOUT.
Status connect_socket(const std::string& path, Clock::time_point deadline, int* fd);

}  // namespace perfqos::clientlib
