#include "protocol/field_writer.h"

namespace perfqos::protocol {

void FieldWriter::put(std::uint32_t v, int bytes) {
  if (failed()) return;
  for (int i = 0; i < bytes; ++i) out_->push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void FieldWriter::str(const char* field, const std::string& s, std::size_t max_bytes,
                      Charset charset) {
  if (failed()) return;
  if (auto reason = check_string(s, max_bytes, charset)) {
    fail(EINVAL, "field '" + name(field) + "' " + *reason);
    return;
  }
  put(static_cast<std::uint32_t>(s.size()), 2);
  out_->insert(out_->end(), s.begin(), s.end());
}

void FieldWriter::names(const char* field, const std::vector<std::string>& v, std::size_t max_count,
                        std::size_t max_bytes, Charset charset) {
  if (!count(field, v.size(), max_count)) return;
  for (std::size_t i = 0; i < v.size() && !failed(); ++i) {
    str((std::string(field) + "[" + std::to_string(i) + "]").c_str(), v[i], max_bytes, charset);
  }
}

bool FieldWriter::count(const char* field, std::size_t n, std::size_t max_count) {
  if (failed()) return false;
  if (n > max_count) {
    fail(EINVAL, "field '" + name(field) + "' has " + std::to_string(n) +
                     " entries, more than the maximum " + std::to_string(max_count));
    return false;
  }
  put(static_cast<std::uint32_t>(n), 2);
  return true;
}

void FieldWriter::bad_enum(const char* field, unsigned value, unsigned last) {
  fail(EINVAL, "field '" + name(field) + "' has invalid value " + std::to_string(value) +
                   " (allowed 0.." + std::to_string(last) + ")");
}

}  // namespace perfqos::protocol
