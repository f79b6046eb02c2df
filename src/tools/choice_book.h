// ChoiceBook: the words of the daemon's named knobs (epp, profile), for reading and showing
// their values. Fetched at most once per command (one LIST), and only when a device described
// to the command has a knob of unit "choice", so commands on other knobs cost nothing more and
// work with daemons that speak protocol version 2.
//
// Thread safety: one thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "perfqos/client.hpp"
#include "tools/value_input.h"

namespace perfqos::tools {

class ChoiceBook {
 public:
  // Fetches the words from `c` when one of `devices` has a named knob and they are not known yet.
  client::Status load(client::Client& c, const std::vector<perfqos_device_info>& devices);
  client::Status load(client::Client& c, const perfqos_device_info& device);

  // KnobValues::of(knob) with the knob's words when it is a named knob.
  KnobValues values(const std::string& device, const perfqos_knob_info& knob) const;
  // The words of device.knob ("policy0", "epp"); empty when unknown.
  std::vector<std::string> words(const std::string& device, const std::string& knob) const;

 private:
  bool loaded_ = false;
  std::map<std::string, std::vector<std::string>> words_;  // "device.knob" -> words
};

}  // namespace perfqos::tools
