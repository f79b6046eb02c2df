// perfqosctl's shared pieces: the options every subcommand reads, how it reaches the daemon,
// and the error texts that name devices and knobs (with "did you mean"). Each subcommand is one
// cmd_*.cc over client.hpp (commands.h); perfqosctl.cc wires them to CLI11.
//
// Errors: functions returning int print "perfqosctl: MESSAGE" on stderr and return the exit
// status (kExitError), or 0 on success. Thread safety: single-threaded, like perfqosctl.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "perfqos/client.hpp"
#include "tools/choice_book.h"
#include "tools/request_spec.h"
#include "tools/value_input.h"

namespace perfqos::tools {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;  // CLI11's parse errors, a missing command after `run --`

using client::Client;
using Json = nlohmann::ordered_json;  // keys in the order written, as the output always had

struct Options {
  std::string socket;  // "" = $PERFQOS_SOCKET or the default
  int timeout_ms = PERFQOS_DEFAULT_TIMEOUT_MS;
  bool json = false;
  bool quiet = false;         // hold, run: nothing on stderr but errors
  bool transient = false;     // bind: ends when the cgroup empties after being populated
  client::Client::Note note;  // hold, run, bind --transient: --reason, --app-id
  std::optional<int> uclamp_min, uclamp_max;  // run: the command's utilization clamps, 0..1024
  std::string profile;  // hold, run: a profile held over D-Bus (profile_hold.h) besides SPECs
  std::string cpus_of;  // hold, run, bind: the cgroup whose CPUs `cpus.KNOB=V` SPECs go on
};

// Prints "perfqosctl: MESSAGE" on stderr; returns kExitError.
int fail(const std::string& message);

// One JSON value per line; strings that are not UTF-8 (a comm) are repaired, not fatal.
void print_json(const Json& j);

// The socket perfqosctl tries: --socket, else $PERFQOS_SOCKET, else the default.
std::string socket_path(const Options& o);

// Connects `c`; on failure says how to start a daemon or name its socket.
int connect(const Options& o, Client* c);

// The daemon's "no device 'NAME'" with the nearest device names, or how to list them.
std::string no_device(Client& c, const std::string& name, const std::string& message);

// A failure about `device`: ENODEV gets the nearest device names.
int fail_on(Client& c, const std::string& device, const client::Status& s);

// "a, b, c".
std::string joined(const std::vector<std::string>& v);

// "DEVICE has no knob 'KNOB': did you mean K? (DEVICE has K1, K2)".
std::string no_knob(const perfqos_device_info& d, const std::string& knob);

// "min", "max", "sum", "flags", "range".
const char* list_type_name(perfqos_list_type t);

// The valid requests of a knob in words, in its unit.
// `v`: the knob's values (a named knob's words).
std::string allowed_text(const perfqos_knob_info& k, const KnobValues& v);

// The units of the knobs of every device, to show values of status and monitor.
class KnobUnits {
 public:
  void add(const perfqos_device_info& d, const ChoiceBook& book);
  // `knob` as the daemon names it ("range" for both ends). Unknown knobs: no unit.
  KnobValues of(const std::string& device, const char* knob) const;

 private:
  std::map<std::string, KnobValues> knobs_;
};

// The units of every device's knobs (one LIST), for status and monitor.
int knob_units(Client& c, KnobUnits* units);

inline constexpr const char* kHolderKinds[] = {"connection", "fuse", "cgroup", "internal"};

// "min", "max" or "" for PERFQOS_END_NONE.
const char* end_name(perfqos_end end);

// A SPEC resolved against the daemon's description of its device.
struct ResolvedSpec {
  RequestSpec spec;  // device "cpus": on the CPUs of the --cpus-of cgroup
  std::string knob;  // the knob name to send ("" = the device's only knob)
  KnobValues values;
  std::int32_t value = 0;
  std::string target() const { return spec.device + (knob.empty() ? "" : "." + knob); }
};

// Parses and resolves every SPEC of `texts` (DESCRIBE per device) into `out`. `cpus.KNOB=V`
// needs `cpus_of` (--cpus-of), and `cpus_of` needs such a SPEC; its value is read as the
// knob of the daemon's CPUs.
int resolve_specs(Client& c, const std::vector<std::string>& texts, std::vector<ResolvedSpec>* out,
                  const std::string& cpus_of = {});

}  // namespace perfqos::tools
