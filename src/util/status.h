// Status: success, or an errno with a message that names the field and the allowed range
// ("cpu0.resume_latency: value -5 out of range: allowed 0..2147483647 or -1").
//
// The model and everything above it report errors with a Status; nothing throws across an API.
//
// Thread safety: a Status is a value; distinct objects may be used from distinct threads.
#pragma once

#include <string>
#include <utility>

namespace perfqos {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  // REQUIRES: code > 0 (a positive errno).
  static Status Error(int code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == 0; }
  int code() const { return code_; }  // 0 or a positive errno
  const std::string& message() const { return message_; }

 private:
  Status(int code, std::string message) : code_(code), message_(std::move(message)) {}
  int code_ = 0;
  std::string message_;
};

}  // namespace perfqos
