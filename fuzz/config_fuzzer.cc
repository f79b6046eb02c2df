// libFuzzer target: perfqosd's TOML config parser (src/policy/config.h).
//
// Input: the text of one config file. Properties:
//   - parse_config() never crashes, whatever the bytes (toml++ included: in fuzz mode it is
//     compiled into the target, instrumented and sanitized);
//   - an error has a nonzero code and a message "fuzz.toml:LINE: ..." naming a line of the text;
//   - a config that parses holds only what the header allows, every [[device]] registers in a
//     broker (a config with any error is rejected whole, so nothing may fail later), and each
//     origin names a line of the text;
//   - parsing the same text again into the same Config adds to it: with a [[device]] in it, that
//     is an error ("defined twice"), without one it succeeds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "model/broker.h"
#include "model/knob.h"
#include "policy/config.h"

namespace {

using perfqos::Status;
using perfqos::daemon::Config;

constexpr const char* kFile = "fuzz.toml";

// The line of "fuzz.toml:LINE" at the start of `text`, or 0.
long line_named(const std::string& text) {
  const std::string prefix = std::string(kFile) + ":";
  if (text.rfind(prefix, 0) != 0) return 0;
  std::size_t i = prefix.size();
  long line = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && line < 1000000000; ++i) {
    line = line * 10 + (text[i] - '0');
  }
  return i == prefix.size() ? 0 : line;
}

bool names_a_line(const std::string& text, long lines) {
  const long line = line_named(text);
  return line >= 1 && line <= lines;
}

bool absolute(const std::optional<std::string>& path) {
  return !path || (!path->empty() && (*path)[0] == '/');
}

bool knob_or_pattern(const std::string& knob) {
  perfqos::KnobId id;
  perfqos::RangeEnd end;
  return knob == "*" || knob == "range" || perfqos::parse_knob_name(knob, &id, &end);
}

void check_config(const Config& c, long lines) {
  FUZZ_CHECK(absolute(c.daemon.socket) && absolute(c.daemon.state_dir) && absolute(c.daemon.mount));
  if (c.daemon.log_level) {
    const std::string& l = *c.daemon.log_level;
    FUZZ_CHECK(l == "error" || l == "warning" || l == "info" || l == "debug");
  }
  perfqos::Broker broker;
  for (const perfqos::DeviceSpec& spec : c.devices) {
    const Status s = broker.register_device(spec);
    FUZZ_CHECK_MSG(s.ok(), s.message());
  }
  for (const perfqos::Grant& g : c.grants) {
    FUZZ_CHECK(!g.uids.empty() || !g.gids.empty() || !g.cgroups.empty());
    FUZZ_CHECK(std::all_of(g.cgroups.begin(), g.cgroups.end(), [](const std::string& glob) {
      return !glob.empty() && glob[0] == '/';
    }));
    FUZZ_CHECK(knob_or_pattern(g.knob));
    FUZZ_CHECK(-1 <= g.min && g.min <= g.max);
    FUZZ_CHECK_MSG(names_a_line(g.origin, lines), g.origin);
  }
  for (const perfqos::CgroupLimit& l : c.cgroup_limits) {
    FUZZ_CHECK(!l.cgroup.empty() && l.cgroup[0] == '/');
    FUZZ_CHECK(knob_or_pattern(l.knob));
    FUZZ_CHECK(l.floor || l.cap);
    FUZZ_CHECK(!l.floor || *l.floor >= 0);
    FUZZ_CHECK(!l.cap || *l.cap >= 0);
    FUZZ_CHECK(!l.floor || !l.cap || *l.floor <= *l.cap);
    FUZZ_CHECK_MSG(names_a_line(l.origin, lines), l.origin);
  }
  for (const perfqos::daemon::BindingConfig& b : c.bindings) {
    FUZZ_CHECK(!b.cgroup.empty() && b.cgroup[0] == '/' && b.cgroup.find("..") == std::string::npos);
    perfqos::KnobId id;
    perfqos::RangeEnd end;
    FUZZ_CHECK(b.knob.empty() || perfqos::parse_knob_name(b.knob, &id, &end));
    FUZZ_CHECK(b.value >= -1);
    FUZZ_CHECK_MSG(names_a_line(b.origin, lines), b.origin);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const long lines = 1 + static_cast<long>(std::count(text.begin(), text.end(), '\n'));
  Config config;
  const Status s = perfqos::daemon::parse_config(text, kFile, &config);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() != 0);
    FUZZ_CHECK_MSG(names_a_line(s.message(), lines), s.message());
    return 0;
  }
  check_config(config, lines);

  const Status again = perfqos::daemon::parse_config(text, kFile, &config);
  FUZZ_CHECK_MSG(again.ok() == config.devices.empty(), again.message());
  return 0;
}
