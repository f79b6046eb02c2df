// perfqosctl's subcommands, one cmd_*.cc each, over client.hpp. Each returns the process's
// exit status (0, kExitError, kExitUsage; run: the command's) after printing its output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/ctl_common.h"

namespace perfqos::tools {

int cmd_list(const Options& o);
int cmd_get(const Options& o, const std::string& device);
// Holds SPECs until a signal or --for elapses.
int cmd_hold(const Options& o, const std::vector<std::string>& specs, const std::string& for_text);
// Holds SPECs while `command` runs; exits with its status.
int cmd_run(Options o, const std::vector<std::string>& specs,
            const std::vector<std::string>& command);
int cmd_monitor(const Options& o, const std::vector<std::string>& devices);
int cmd_status(const Options& o, const std::string& device);
int cmd_bind(const Options& o, const std::string& cgroup, const std::vector<std::string>& texts);
int cmd_unbind(const Options& o, std::uint32_t id);
int cmd_rescan(const Options& o);
// Explains DEVICE[.KNOB] for the caller; with `value` ("" = none) judges a request of it.
// Exit 0 when explained, whatever the verdict.
int cmd_explain(const Options& o, const std::string& target, const std::string& value);
// The live view of `devices` (all when empty) until q, SIGINT or SIGTERM.
int cmd_top(const Options& o, const std::vector<std::string>& devices);
// Lists every cgroup binding, active or waiting.
int cmd_bindings(const Options& o);
// The bindings as `bindings` and `status` show them (cmd_bindings.cc).
Json json_bindings(const std::vector<perfqos_binding_info>& bindings, const KnobUnits& units);
void print_bindings(const std::vector<perfqos_binding_info>& bindings, const KnobUnits& units);

}  // namespace perfqos::tools
