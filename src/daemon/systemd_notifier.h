// SystemdNotifier: what perfqosd tells its service manager through sd_notify(3): READY=1 with a
// STATUS= line once the socket is served, STATUS= lines on reload, STOPPING=1, and WATCHDOG=1
// from the event loop when the unit sets WatchdogSec= (so a stuck loop gets the service
// restarted). Without $NOTIFY_SOCKET every call does nothing.
//
// Thread safety: loop thread only (the watchdog timer is one of the loop's fds).
#pragma once

#include <cstdint>
#include <string_view>

#include "daemon/event_loop.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

class SystemdNotifier {
 public:
  SystemdNotifier() = default;
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // REQUIRES: `loop` outlives this notifier. If systemd asked for a watchdog ($WATCHDOG_USEC
  // for this pid), sends WATCHDOG=1 from `loop` every half interval, so that only a loop that
  // runs keeps the service alive. Errors: what timerfd_create or the loop's watch failed with.
  Status start_watchdog(EventLoop& loop);

  void ready(std::string_view status) const;  // READY=1 and STATUS=status
  void status(std::string_view status) const;
  void stopping(std::string_view status) const;  // STOPPING=1 and STATUS=status

  // The watchdog interval systemd asked for, in microseconds; 0 without one.
  std::uint64_t watchdog_usec() const { return watchdog_usec_; }

 private:
  EventLoop* loop_ = nullptr;
  UniqueFd timer_;
  std::uint64_t watchdog_usec_ = 0;
};

}  // namespace perfqos::daemon
