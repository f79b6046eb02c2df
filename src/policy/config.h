// Config: perfqosd's TOML configuration (DESIGN §8), read from a main file plus the *.toml files
// of the `conf.d` directory beside it, in name order; later files add grants, limits, devices
// and bindings, and override [daemon] and [quotas] keys one by one.
//
//   [daemon]                     socket, state_dir, mount (strings), log_level (error, warning,
//                                info, debug), metrics ("ADDR:PORT", util/inet_address.h);
//                                the command line wins over these
//   [quotas]                     the integers of struct Quotas by their names (>= 0,
//                                0 = unlimited), apply_to_root (bool, default false)
//   [[device]]                   an extra perf QoS device: name, unit (normal, kbps),
//                                limit_min, limit_max
//   [[grant]]                    users (names or uids), groups (names or gids), cgroups
//                                (globs): at least one; device (glob, required), knob (default
//                                "*"), min, max (default the whole int32 range >= 0)
//   [[cgroup]]                   per-cgroup caps and floors: path (glob), device (glob), knob
//                                (default "*"), floor and/or cap
//   [[container]]                what a container may have its runtime's hook bind
//                                (container_policy.h): device (glob, required), knob
//                                (default "*"), min, max (default 0..INT32_MAX, >= -1); none
//                                in any file: default_container_rules()
//   [[bind]]                     a cgroup-bound request: cgroup (absolute v2 path), device,
//                                knob (default: the device's only knob), value
//   [[profile]]                  a named set of requests (the D-Bus front end's profiles, the
//                                socket's PROFILE for perfqos-oci-hook):
//                                name ([a-z0-9_-], 1..32), requests (perfqosctl SPECs, at
//                                most 64), holders ("anyone": every local user may hold it;
//                                "granted", the default: each request needs a grant)
//
// Every error names file:line, the key, and the allowed values; a config with any error is
// rejected whole. Keys and values are ASCII: other text only in comments (config.cc says why).
// docs/config.md is the user documentation.
//
// Thread safety: functions of values; load_config() reads files and the user/group databases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/device.h"
#include "policy/policy.h"
#include "util/status.h"

namespace perfqos::daemon {

inline constexpr const char* kDefaultConfigPath = "/etc/perfqos/perfqosd.toml";

struct DaemonSettings {
  std::optional<std::string> socket;
  std::optional<std::string> state_dir;
  std::optional<std::string> mount;
  std::optional<std::string> log_level;
  std::optional<std::string> metrics;  // checked by parse_inet_address
};

struct BindingConfig {
  std::string cgroup;  // "/games.slice"
  std::string device;
  std::string knob;  // "" = the device's only knob
  std::int32_t value = -1;
  std::string reason;  // why it is held, as BIND's (at most 127 bytes of printable UTF-8)
  std::string app_id;  // which application holds it (at most 63 bytes); "" = not said
  std::string origin;  // "file:line"
  // "" or a cgroup: the request is placed on each of its CPUs (device "cpus", knob
  // resume_latency or flags) while `cgroup` is populated, following its cpuset.
  std::string cpus_of{};
};

struct ProfileConfig {
  std::string name;                   // "performance"
  std::vector<std::string> requests;  // SPECs: "cpu_dma_latency=50", "policy0.epp.min=performance"
  bool anyone = false;                // holders = "anyone"
  std::string origin;                 // "file:line"
};

struct Config {
  DaemonSettings daemon;
  std::vector<DeviceSpec> devices;
  std::vector<Grant> grants;
  std::vector<CgroupLimit> cgroup_limits;
  Quotas quotas;
  // nullopt: no file has a [[container]], and default_container_rules() apply.
  std::optional<std::vector<ContainerRule>> containers;
  std::vector<BindingConfig> bindings;
  // Later files replace a profile of the same name.
  std::vector<ProfileConfig> profiles;
  std::vector<std::string> files;  // what was read, in order

  Policy policy() const {
    return Policy(grants, cgroup_limits, quotas, containers.value_or(default_container_rules()));
  }
};

// Parses one file's text into `config` (adding to what is there). `file` names it in errors.
// Returns the first error; parsing goes on past it, one error per bad top-level key or
// [[table]] entry, and `errors` (if not null) gets every message in file order. After an error,
// `*config` holds whatever the good parts added: callers discard it.
Status parse_config(std::string_view text, const std::string& file, Config* config,
                    std::vector<std::string>* errors = nullptr);

// Reads `path` and then `dirname(path)/conf.d/*.toml` in name order. A missing `path` is an
// error only when `required`; without it, the result is the built-in default (no grants, no
// quotas). Returns the first error; with `errors`, every file is read and every error of all
// of them appended (perfqosd --check-config). On error `*config` is untouched.
// [[container]] entries of every file add up; only when none has one do the defaults apply.
Status load_config(const std::string& path, bool required, Config* config,
                   std::vector<std::string>* errors = nullptr);

}  // namespace perfqos::daemon
