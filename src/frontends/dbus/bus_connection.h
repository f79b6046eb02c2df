// BusConnection: perfqosd's connection to the system message bus (sd-bus), driven by the
// daemon's own event loop: the bus fd is watched there and sd-bus's timeouts come from a timerfd
// watched there. No thread of its own, so a method call is answered on the thread that owns
// the model, with no hand-off.
//
// Fairness: one dispatch handles at most kMessagesPerDispatch messages, so a caller flooding
// the bus cannot keep the loop from the socket, FUSE and timers; what is left is dispatched in
// the next round (the timer is armed to fire at once).
//
// Thread safety: confined to the loop thread.
#pragma once

#include <systemd/sd-bus.h>

#include <cstddef>
#include <functional>
#include <string>

#include "daemon/event_loop.h"
#include "util/log.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::dbus {

class BusConnection {
 public:
  static constexpr std::size_t kMessagesPerDispatch = 64;

  // REQUIRES: loop and log outlive the connection.
  BusConnection(daemon::EventLoop& loop, const daemon::Logger& log);
  ~BusConnection();  // unwatches, flushes what is queued and closes
  BusConnection(const BusConnection&) = delete;
  BusConnection& operator=(const BusConnection&) = delete;

  // Connects to the system bus: $DBUS_SYSTEM_BUS_ADDRESS when set, else the default socket.
  // Method calls perfqosd makes (the bus daemon's GetConnectionCredentials) time out after
  // `call_timeout_usec`. Errno of the failure (ENOENT, ECONNREFUSED: no bus here).
  Status open(std::uint64_t call_timeout_usec);
  // Starts watching the bus in the loop. `on_lost` runs (once) if the bus goes away.
  Status attach(std::function<void()> on_lost);
  // Re-arms the fd's events and the timer: after this thread queued messages outside a bus
  // callback (a signal emitted because a socket client changed an effective value). Cheap;
  // the daemon calls it after every loop round.
  void prepare();

  sd_bus* bus() const { return bus_; }
  bool connected() const { return bus_ != nullptr && attached_; }

 private:
  void dispatch();
  void lost(int error);

  daemon::EventLoop& loop_;
  const daemon::Logger& log_;
  sd_bus* bus_ = nullptr;
  UniqueFd timer_;
  int fd_ = -1;
  bool attached_ = false;
  std::uint32_t events_ = 0;
  std::uint64_t armed_ = UINT64_MAX;
  std::function<void()> on_lost_;
};

}  // namespace perfqos::dbus
