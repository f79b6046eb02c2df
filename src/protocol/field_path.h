// FieldPath: the dotted name of the field being encoded or decoded ("devices[2].knobs[0].unit"),
// plus the first error met. Shared by FieldWriter and FieldReader so their messages match.
//
// The path is kept as a stack of (field, index) parts and spelled out only when an error needs
// it, so that entering a nested struct or a list element costs no string work on the hot path.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "protocol/limits.h"
#include "util/status.h"

namespace perfqos::protocol {

class FieldPath {
 public:
  static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

  bool failed() const { return !status_.ok(); }
  // The protocol version of the frame being read or written; layouts add the fields of newer
  // versions only when it is new enough.
  std::uint8_t version() const { return version_; }
  void set_version(std::uint8_t version) { version_ = version; }
  const Status& status() const { return status_; }

  // The full name of `field` under the current path. Built by appending to one string only:
  // `"[" + std::to_string(i) + "]"` (operator+ on a literal and a temporary, which inserts at
  // the front) makes GCC 12 at -O3 report a bogus -Wrestrict overlap in char_traits (GCC
  // PR105329), and appending also saves the temporaries.
  std::string name(const char* field) const {
    std::string out;
    for (std::size_t i = 0; i < depth_ && i < kMaxDepth; ++i) {
      if (!out.empty()) out += '.';
      out += parts_[i].field;
      if (parts_[i].index != kNoIndex) {
        out += '[';
        out += std::to_string(parts_[i].index);
        out += ']';
      }
    }
    if (!out.empty()) out += '.';
    out += field;
    return out;
  }
  // Keeps only the first error: later ones are consequences of it.
  void fail(int code, std::string message) {
    if (status_.ok()) status_ = Status::Error(code, std::move(message));
  }

  // Enters a nested struct (or, with an index, a list element) for the scope's lifetime.
  // `field` must outlive the scope (the layouts pass string literals).
  class Scope {
   public:
    Scope(FieldPath& path, const char* field, std::size_t index = kNoIndex) : path_(path) {
      if (path_.depth_ < kMaxDepth) path_.parts_[path_.depth_] = Part{field, index};
      ++path_.depth_;
    }
    ~Scope() { --path_.depth_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    FieldPath& path_;
  };

 private:
  // Deeper than any message nests (a frame's lists of structs of structs); parts beyond it are
  // left out of error messages.
  static constexpr std::size_t kMaxDepth = 8;
  struct Part {
    const char* field = "";
    std::size_t index = kNoIndex;
  };
  std::array<Part, kMaxDepth> parts_{};
  std::size_t depth_ = 0;
  std::uint8_t version_ = kVersion;
  Status status_;
};

}  // namespace perfqos::protocol
