// LogThrottle: at most one log line per interval for an event that may repeat without bound
// (connections refused in a storm), each line carrying how many events it stands for, so a
// storm costs a few lines, never one per event.
//
// Thread safety: none; confined to one thread (the daemon's loop).
#pragma once

#include <chrono>
#include <cstdint>

namespace perfqos::daemon {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}

  // Counts one event. True when a line is due now: the first event, or the first one an
  // interval after the last line; `*count` is then the events since that line, this one included.
  bool note(Clock::time_point now, std::uint64_t* count) {
    ++pending_;
    if (logged_ && now - last_ < interval_) return false;
    logged_ = true;
    last_ = now;
    *count = pending_;
    pending_ = 0;
    return true;
  }

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  bool logged_ = false;
  std::uint64_t pending_ = 0;
};

}  // namespace perfqos::daemon
