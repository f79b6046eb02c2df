#include "frontends/metrics/exposition.h"

#include <cstdio>

namespace perfqos::metrics {

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one (overlong
// forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_help(std::string_view help, std::string* out) {
  for (char c : help) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

}  // namespace

void append_label_value(std::string_view value, std::string* out) {
  while (!value.empty()) {
    const char c = value[0];
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (const std::size_t n = utf8_sequence(value); n > 0) {
      out->append(value.substr(0, n));
      value.remove_prefix(n);
      continue;
    } else {
      *out += "\xEF\xBF\xBD";  // U+FFFD for the byte that starts no valid sequence
    }
    value.remove_prefix(1);
  }
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  append_help(help, &text_);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void Exposition::head(std::string_view name, std::initializer_list<Label> labels) {
  text_ += name;
  if (labels.size() == 0) {
    text_ += ' ';
    return;
  }
  char sep = '{';
  for (const Label& l : labels) {
    text_ += sep;
    text_ += l.first;
    text_ += "=\"";
    append_label_value(l.second, &text_);
    text_ += '"';
    sep = ',';
  }
  text_ += "} ";
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels,
                        std::int64_t value) {
  head(name, labels);
  text_ += std::to_string(value);
  text_ += '\n';
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels,
                        std::uint64_t value) {
  head(name, labels);
  text_ += std::to_string(value);
  text_ += '\n';
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels, double value) {
  head(name, labels);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  text_ += buf;
  text_ += '\n';
}

}  // namespace perfqos::metrics
