#include "util/errno_status.h"

#include <cstring>

namespace perfqos {

std::string errno_text(int code) {
  const char* name = strerrorname_np(code);
  return std::string(name ? name : "errno " + std::to_string(code)) + " (" + std::strerror(code) +
         ")";
}

Status errno_status(int code, const std::string& what) {
  return Status::Error(code, what + ": " + errno_text(code));
}

}  // namespace perfqos
