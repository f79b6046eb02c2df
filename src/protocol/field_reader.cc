#include "protocol/field_reader.h"

namespace perfqos::protocol {

std::uint32_t FieldReader::get(const char* field, int bytes) {
  if (failed()) return 0;
  if (remaining() < static_cast<std::size_t>(bytes)) {
    fail(EBADMSG, "frame truncated in field '" + name(field) + "'");
    return 0;
  }
  std::uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint32_t>(bytes_[pos_ + i]) << (8 * i);
  pos_ += static_cast<std::size_t>(bytes);
  return v;
}

std::uint8_t FieldReader::small(const char* field, std::uint8_t last) {
  auto v = static_cast<std::uint8_t>(get(field, 1));
  if (!failed() && v > last) {
    fail(EBADMSG, "field '" + name(field) + "' has invalid value " + std::to_string(v) +
                      " (allowed 0.." + std::to_string(last) + ")");
    return 0;
  }
  return v;
}

void FieldReader::str(const char* field, std::string& s, std::size_t max_bytes, Charset charset) {
  std::size_t n = get(field, 2);
  if (failed()) return;
  if (n > max_bytes) {
    fail(EBADMSG, "field '" + name(field) + "' longer than " + std::to_string(max_bytes) +
                      " bytes (" + std::to_string(n) + ")");
    return;
  }
  if (n > remaining()) {
    fail(EBADMSG, "frame truncated in field '" + name(field) + "'");
    return;
  }
  std::string_view view(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
  if (auto reason = check_string(view, max_bytes, charset)) {
    fail(EBADMSG, "field '" + name(field) + "' " + *reason);
    return;
  }
  s.assign(view);
  pos_ += n;
}

void FieldReader::names(const char* field, std::vector<std::string>& v, std::size_t max_count,
                        std::size_t max_bytes, Charset charset) {
  std::size_t n = count(field, max_count, min_encoded_size<std::string>());
  v.resize(n);
  for (std::size_t i = 0; i < n && !failed(); ++i) {
    str((std::string(field) + "[" + std::to_string(i) + "]").c_str(), v[i], max_bytes, charset);
  }
}

std::size_t FieldReader::count(const char* field, std::size_t max_count,
                               std::size_t min_element_size) {
  std::size_t n = get(field, 2);
  if (failed()) return 0;
  if (n > max_count) {
    fail(EBADMSG, "field '" + name(field) + "' count " + std::to_string(n) +
                      " exceeds the maximum " + std::to_string(max_count));
    return 0;
  }
  if (n * min_element_size > remaining()) {
    fail(EBADMSG, "field '" + name(field) + "' count " + std::to_string(n) + " needs at least " +
                      std::to_string(n * min_element_size) + " bytes, " +
                      std::to_string(remaining()) + " remain");
    return 0;
  }
  return n;
}

}  // namespace perfqos::protocol
