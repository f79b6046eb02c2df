// CodecStatus: success, or an errno with a message that names the offending field
// ("frame truncated in field 'device'", "field 'comm' longer than 15 bytes (20)").
//
// Codes: EBADMSG malformed frame, EMSGSIZE frame over kMaxFrameSize, EPROTONOSUPPORT unsupported
// version, EINVAL a message that cannot be encoded (a field over its limit).
//
// Thread safety: a value.
#pragma once

#include <string>
#include <utility>

namespace perfqos::protocol {

class [[nodiscard]] CodecStatus {
 public:
  CodecStatus() = default;  // ok
  static CodecStatus Ok() { return CodecStatus(); }
  // REQUIRES: code > 0.
  static CodecStatus Error(int code, std::string message) {
    return CodecStatus(code, std::move(message));
  }

  bool ok() const { return code_ == 0; }
  int code() const { return code_; }  // 0 or a positive errno
  const std::string& message() const { return message_; }

 private:
  CodecStatus(int code, std::string message) : code_(code), message_(std::move(message)) {}
  int code_ = 0;
  std::string message_;
};

}  // namespace perfqos::protocol
