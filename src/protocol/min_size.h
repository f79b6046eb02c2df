// MinSize: a layout visitor that counts the fewest bytes an encoding of a type can take (every
// string and list empty). The decoder uses it to refuse a list count that the remaining bytes
// cannot hold before it allocates anything for that list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/field_rules.h"
#include "protocol/limits.h"

namespace perfqos::protocol {

class MinSize {
 public:
  std::size_t bytes = 0;

  void u8(const char*, const std::uint8_t&) { bytes += 1; }
  void u16(const char*, const std::uint16_t&) { bytes += 2; }
  void u32(const char*, const std::uint32_t&) { bytes += 4; }
  void i32(const char*, const std::int32_t&) { bytes += 4; }
  void boolean(const char*, const bool&) { bytes += 1; }
  template <class E>
  void enumeration(const char*, const E&, E) {
    bytes += 1;
  }
  void str(const char*, const std::string&, std::size_t, Charset = Charset::kText) { bytes += 2; }
  void names(const char*, const std::vector<std::string>&, std::size_t, std::size_t, Charset) {
    bytes += 2;
  }
  template <class T>
  void nested(const char*, const T& item) {
    layout(*this, item);
  }
  template <class T>
  void list(const char*, const std::vector<T>&, std::size_t) {
    bytes += 2;
  }
  void require(bool, const char*, const char*) {}
  bool failed() const { return false; }
  // The oldest version: its encodings are the smallest, which keeps list counts a safe bound.
  std::uint8_t version() const { return kMinVersion; }
};

template <class T>
std::size_t min_encoded_size() {
  static const std::size_t size = [] {
    MinSize counter;
    const T empty{};
    layout(counter, empty);
    return counter.bytes;
  }();
  return size;
}

template <>
inline std::size_t min_encoded_size<std::string>() {
  return 2;
}

}  // namespace perfqos::protocol
