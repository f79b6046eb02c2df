// Exposition: writes the Prometheus text exposition format, version 0.0.4: one `# HELP` and one
// `# TYPE` line per metric family, then its samples, `name{label="value",...} number`.
//
// Label values come from the system and from users (device names, cgroup paths), so they are
// escaped here, once: backslash, double quote and newline as \\, \" and \n, and a byte that is
// not part of valid UTF-8 as U+FFFD (the format is UTF-8). HELP text escapes backslash and
// newline. Metric and label names are the caller's constants and are not checked.
//
// Thread safety: a value; one writer per object.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace perfqos::metrics {

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

using Label = std::pair<std::string_view, std::string_view>;

class Exposition {
 public:
  // Starts a family. `type` is "counter", "gauge" or "untyped". Its samples follow at once.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::int64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
  // Written with millisecond precision (uptime, start time).
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);

  const std::string& text() const { return text_; }
  std::string take() { return std::move(text_); }

 private:
  void head(std::string_view name, std::initializer_list<Label> labels);
  std::string text_;
};

// The label-value escaping above, appended to `out`.
void append_label_value(std::string_view value, std::string* out);

}  // namespace perfqos::metrics
