#include "policy/toml_guard.h"

namespace perfqos::daemon {

int non_ascii_line(std::string_view text) {
  enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  In in = In::kCode;
  int line = 1;
  // Consumes `s` at text[i] (i is then on its last byte).
  const auto take = [&](std::size_t& i, std::string_view s) {
    if (text.substr(i, s.size()) != s) return false;
    i += s.size() - 1;
    return true;
  };
  // Consumes the closing delimiter of a multi-line string at text[i], and the one or two quotes
  // before it that belong to the string ("""a""""" is a"").
  const auto close_multi = [&](std::size_t& i, char quote) {
    if (!take(i, quote == '"' ? "\"\"\"" : "'''")) return false;
    for (int extra = 0; extra < 2 && i + 1 < text.size() && text[i + 1] == quote; ++extra) ++i;
    return true;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80 && in != In::kComment) return line;
    if (c == '\n') {
      ++line;
      if (in != In::kMultiBasic && in != In::kMultiLiteral) in = In::kCode;
      continue;
    }
    switch (in) {
      case In::kCode:
        if (c == '#') {
          in = In::kComment;
        } else if (take(i, "\"\"\"")) {
          in = In::kMultiBasic;
        } else if (c == '"') {
          in = In::kBasic;
        } else if (take(i, "'''")) {
          in = In::kMultiLiteral;
        } else if (c == '\'') {
          in = In::kLiteral;
        }
        break;
      case In::kComment:
        break;
      case In::kBasic:
      case In::kMultiBasic:
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
          ++i;  // the escaped byte: it cannot end the string
          if (static_cast<unsigned char>(text[i]) >= 0x80) return line;
        } else if (in == In::kBasic ? c == '"' : close_multi(i, '"')) {
          in = In::kCode;
        }
        break;
      case In::kLiteral:
      case In::kMultiLiteral:
        if (in == In::kLiteral ? c == '\'' : close_multi(i, '\'')) in = In::kCode;
        break;
    }
  }
  return 0;
}

}  // namespace perfqos::daemon
