// perfqosctl monitor: every change of effective values, as text or JSON lines.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace perfqos::tools {
namespace {

// Now in local time, and its milliseconds as three digits ("042").
std::string local_now(std::tm* tm) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  localtime_r(&t, tm);
  return std::to_string(1000 + ms.count()).substr(1);
}

std::string now_text() {
  std::tm tm;
  const std::string ms = local_now(&tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return std::string(buf) + "." + ms;
}

// Now as RFC 3339 with milliseconds and the local zone: 2026-12-02T12:43:17.123+00:00.
std::string rfc3339_now() {
  std::tm tm;
  const std::string ms = local_now(&tm);
  char date[40];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  const long offset_min = tm.tm_gmtoff / 60;
  const long abs_min = offset_min < 0 ? -offset_min : offset_min;
  char zone[40];
  std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", offset_min < 0 ? '-' : '+', abs_min / 60,
                abs_min % 60);
  return std::string(date) + "." + ms + zone;
}

constexpr const char* kActions[] = {"add", "update", "remove"};

// " (by pid 4242 (arecord), request 3 added, reason "recording")"; "" when the daemon did not say.
std::string cause_text(const perfqos_event_cause& c) {
  if (!c.known) return "";
  static constexpr const char* kDone[] = {"added", "changed", "removed"};
  std::string text = std::string(" (by ") + kHolderKinds[c.holder_kind & 3] + " pid " +
                     std::to_string(c.pid) + " (" + c.comm + "), request " +
                     std::to_string(c.request_id) + " " + kDone[c.action % 3];
  if (c.reason[0] != '\0') text += std::string(", reason \"") + c.reason + "\"";
  return text + ")";
}

Json json_cause(const perfqos_event_cause& c) {
  if (!c.known) return nullptr;
  return Json{{"holder", kHolderKinds[c.holder_kind & 3]},
              {"pid", c.pid},
              {"uid", c.uid},
              {"comm", c.comm},
              {"request_id", c.request_id},
              {"action", kActions[c.action % 3]},
              {"app_id", c.app_id},
              {"reason", c.reason}};
}

}  // namespace

int cmd_monitor(const Options& o, const std::vector<std::string>& devices) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  KnobUnits units;
  if (int rc = knob_units(c, &units)) return rc;
  // Notifications come in the connection's version: version 3 says which request caused them.
  int version = 0;
  if (perfqos_hello(c.get(), &version, nullptr) != 0) {
    return fail(std::string("hello: ") + perfqos_last_error(c.get()));
  }
  if (client::Status s = c.subscribe(devices); !s.ok()) {
    for (const std::string& d : devices) {  // which one the daemon does not know
      perfqos_device_info info;
      if (c.describe(d, &info).code() == ENODEV) return fail(no_device(c, d, s.message()));
    }
    return fail(s.message());
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  for (;;) {
    perfqos_event ev;
    perfqos_event_cause cause;
    if (client::Status s = c.next_event(&ev, &cause, -1); !s.ok()) {
      return fail("lost perfqosd: " + s.message());
    }
    const KnobValues knob = units.of(ev.device, ev.knob);
    if (o.json) {
      Json j{{"time", rfc3339_now()}, {"device", ev.device}, {"knob", ev.knob}};
      if (ev.new_value.is_range) {
        j["old_min"] = ev.old_value.min;
        j["old_max"] = ev.old_value.max;
        j["new_min"] = ev.new_value.min;
        j["new_max"] = ev.new_value.max;
      } else {
        j["old"] = ev.old_value.value;
        j["new"] = ev.new_value.value;
      }
      j["unit"] = knob.unit;
      j["dropped"] = ev.dropped;
      j["cause"] = json_cause(cause);
      print_json(j);
    } else {
      if (ev.dropped) std::printf("(%u events dropped)\n", ev.dropped);
      std::printf("%s %s.%s %s -> %s%s\n", now_text().c_str(), ev.device, ev.knob,
                  show_effective(knob, ev.old_value, true).c_str(),
                  show_effective(knob, ev.new_value, true).c_str(), cause_text(cause).c_str());
    }
  }
}

}  // namespace perfqos::tools
