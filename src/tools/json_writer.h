// JsonWriter: just enough JSON for perfqosctl's --json output (objects, arrays, strings,
// integers, booleans), written as one line per top-level value.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace perfqos::tools {

class JsonWriter {
 public:
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    comma();
    quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view v) {
    comma();
    quote(v);
    return *this;
  }
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(std::int64_t v) {
    comma();
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& value(bool v) {
    comma();
    out_ += v ? "true" : "false";
    return *this;
  }
  template <typename T>
  JsonWriter& field(std::string_view k, T v) {
    key(k);
    if constexpr (std::is_same_v<T, bool>) {
      return value(v);
    } else if constexpr (std::is_integral_v<T>) {
      return value(static_cast<std::int64_t>(v));
    } else {
      return value(std::string_view(v));
    }
  }

  const std::string& str() const { return out_; }
  void print(std::FILE* out) {
    std::fprintf(out, "%s\n", out_.c_str());
    std::fflush(out);
    out_.clear();
    first_ = true;
  }

 private:
  JsonWriter& open(char c) {
    comma();
    out_ += c;
    first_ = true;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  void quote(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace perfqos::tools
