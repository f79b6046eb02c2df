// FieldWriter: the encoding visitor of layout.h. Appends each field little-endian to a byte
// vector and checks every limit; the first violation sticks and makes the rest no-ops.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/field_path.h"
#include "protocol/field_rules.h"

namespace perfqos::protocol {

class FieldWriter : public FieldPath {
 public:
  explicit FieldWriter(std::vector<std::uint8_t>* out) : out_(out) {}

  void u8(const char*, const std::uint8_t& v) { put(v, 1); }
  void u16(const char*, const std::uint16_t& v) { put(v, 2); }
  void u32(const char*, const std::uint32_t& v) { put(v, 4); }
  void i32(const char*, const std::int32_t& v) { put(static_cast<std::uint32_t>(v), 4); }
  void boolean(const char*, const bool& v) { put(v ? 1u : 0u, 1); }
  template <class E>
  void enumeration(const char* field, const E& v, E last) {
    if (static_cast<std::uint8_t>(v) > static_cast<std::uint8_t>(last)) {
      bad_enum(field, static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(last));
    }
    put(static_cast<std::uint8_t>(v), 1);
  }
  void str(const char* field, const std::string& s, std::size_t max_bytes,
           Charset charset = Charset::kText);
  void names(const char* field, const std::vector<std::string>& v, std::size_t max_count,
             std::size_t max_bytes, Charset charset);
  template <class T>
  void nested(const char* field, const T& item) {
    Scope scope(*this, field);
    layout(*this, item);
  }
  template <class T>
  void list(const char* field, const std::vector<T>& items, std::size_t max_count) {
    if (!count(field, items.size(), max_count)) return;
    for (std::size_t i = 0; i < items.size() && !failed(); ++i) {
      Scope scope(*this, field, i);
      layout(*this, items[i]);
    }
  }
  void require(bool ok, const char* field, const char* reason) {
    if (!ok) fail(EINVAL, "field '" + name(field) + "' " + reason);
  }

 private:
  void put(std::uint32_t v, int bytes);
  bool count(const char* field, std::size_t n, std::size_t max_count);
  void bad_enum(const char* field, unsigned value, unsigned last);

  std::vector<std::uint8_t>* out_;
};

}  // namespace perfqos::protocol
