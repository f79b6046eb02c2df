// errno_text and errno_status: the one way an errno is spelled in a message, "EACCES
// (Permission denied)", and the one way a failed system call becomes a Status, "WHAT: " and
// that ("open /run/perfqos/perfqosd.lock: EACCES (Permission denied)").
#pragma once

#include <string>

#include "util/status.h"

namespace perfqos {

// "EINVAL (Invalid argument)"; "errno 4242 (Unknown error 4242)" for a code glibc cannot name.
std::string errno_text(int code);

// REQUIRES: code > 0 (the errno the call left).
Status errno_status(int code, const std::string& what);

}  // namespace perfqos
