// FieldPath: the dotted name of the field being encoded or decoded ("devices[2].knobs[0].unit"),
// plus the first error met. Shared by FieldWriter and FieldReader so their messages match.
#pragma once

#include <cstddef>
#include <string>

#include "protocol/codec_status.h"

namespace perfqos::protocol {

class FieldPath {
 public:
  bool failed() const { return !status_.ok(); }
  const CodecStatus& status() const { return status_; }

  // The full name of `field` under the current prefix.
  std::string name(const char* field) const {
    return prefix_.empty() ? std::string(field) : prefix_ + "." + field;
  }
  // Keeps only the first error: later ones are consequences of it.
  void fail(int code, std::string message) {
    if (status_.ok()) status_ = CodecStatus::Error(code, std::move(message));
  }

  // Enters a nested struct or list element for the lifetime of the returned scope.
  class Scope {
   public:
    Scope(FieldPath& path, const std::string& part) : path_(path), saved_(path.prefix_.size()) {
      if (!path_.prefix_.empty() && part[0] != '[') path_.prefix_ += '.';
      path_.prefix_ += part;
    }
    ~Scope() { path_.prefix_.resize(saved_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    FieldPath& path_;
    std::size_t saved_;
  };

 private:
  std::string prefix_;
  CodecStatus status_;
};

}  // namespace perfqos::protocol
