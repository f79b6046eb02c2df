// FieldReader: the decoding visitor of layout.h. Reads each field little-endian from a byte span,
// never past its end, and checks every limit before allocating; the first error sticks and makes
// the rest no-ops (fields then keep their defaults).
#pragma once

#include <cerrno>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocol/field_path.h"
#include "protocol/field_rules.h"
#include "protocol/min_size.h"

namespace perfqos::protocol {

class FieldReader : public FieldPath {
 public:
  explicit FieldReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }

  void u8(const char* field, std::uint8_t& v) { v = static_cast<std::uint8_t>(get(field, 1)); }
  void u16(const char* field, std::uint16_t& v) { v = static_cast<std::uint16_t>(get(field, 2)); }
  void u32(const char* field, std::uint32_t& v) { v = get(field, 4); }
  void i32(const char* field, std::int32_t& v) { v = static_cast<std::int32_t>(get(field, 4)); }
  void boolean(const char* field, bool& v) { v = small(field, 1) == 1; }
  template <class E>
  void enumeration(const char* field, E& v, E last) {
    v = static_cast<E>(small(field, static_cast<std::uint8_t>(last)));
  }
  void str(const char* field, std::string& s, std::size_t max_bytes,
           Charset charset = Charset::kText);
  void names(const char* field, std::vector<std::string>& v, std::size_t max_count,
             std::size_t max_bytes, Charset charset);
  template <class T>
  void nested(const char* field, T& item) {
    Scope scope(*this, field);
    layout(*this, item);
  }
  template <class T>
  void list(const char* field, std::vector<T>& items, std::size_t max_count) {
    std::size_t n = count(field, max_count, min_encoded_size<T>());
    items.resize(n);
    for (std::size_t i = 0; i < n && !failed(); ++i) {
      Scope scope(*this, field, i);
      layout(*this, items[i]);
    }
  }
  void require(bool ok, const char* field, const char* reason) {
    if (!ok && !failed()) fail(EBADMSG, "field '" + name(field) + "' " + reason);
  }

 private:
  std::uint32_t get(const char* field, int bytes);
  // A u8 that must lie in 0..last.
  std::uint8_t small(const char* field, std::uint8_t last);
  // A list count, checked against max_count and against what the remaining bytes can hold;
  // 0 after an error.
  std::size_t count(const char* field, std::size_t max_count, std::size_t min_element_size);

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace perfqos::protocol
