#include "frontends/dbus/bus_connection.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/errno_status.h"

namespace perfqos::dbus {

BusConnection::BusConnection(daemon::EventLoop& loop, const daemon::Logger& log)
    : loop_(loop), log_(log) {}

BusConnection::~BusConnection() {
  if (attached_) {
    loop_.unwatch(fd_);
    loop_.unwatch(timer_.get());
  }
  if (bus_ != nullptr) {
    (void)sd_bus_flush(bus_);
    sd_bus_flush_close_unref(bus_);
  }
}

Status BusConnection::open(std::uint64_t call_timeout_usec) {
  if (int r = sd_bus_open_system(&bus_); r < 0) {
    bus_ = nullptr;
    return errno_status(-r, "connecting to the system bus");
  }
  (void)sd_bus_set_method_call_timeout(bus_, call_timeout_usec);
  // The Hello round trip: a bus that accepts the socket but does not answer fails here.
  const char* unique = nullptr;
  if (int r = sd_bus_get_unique_name(bus_, &unique); r < 0) {
    sd_bus_flush_close_unref(bus_);
    bus_ = nullptr;
    return errno_status(-r, "connecting to the system bus");
  }
  return Status::Ok();
}

Status BusConnection::attach(std::function<void()> on_lost) {
  on_lost_ = std::move(on_lost);
  fd_ = sd_bus_get_fd(bus_);
  if (fd_ < 0) return errno_status(-fd_, "the system bus fd");
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) return errno_status(errno, "timerfd_create");
  if (Status s = loop_.watch(fd_, EPOLLIN, [this](std::uint32_t) { dispatch(); }); !s.ok()) {
    return s;
  }
  if (Status s = loop_.watch(timer_.get(), EPOLLIN,
                             [this](std::uint32_t) {
                               std::uint64_t n;
                               (void)!::read(timer_.get(), &n, sizeof n);
                               armed_ = UINT64_MAX;
                               dispatch();
                             });
      !s.ok()) {
    loop_.unwatch(fd_);
    return s;
  }
  attached_ = true;
  events_ = EPOLLIN;
  dispatch();
  return Status::Ok();
}

void BusConnection::dispatch() {
  if (!attached_) return;
  for (std::size_t i = 0; i < kMessagesPerDispatch; ++i) {
    const int r = sd_bus_process(bus_, nullptr);
    if (r < 0) {
      lost(-r);
      return;
    }
    if (r == 0) break;
  }
  prepare();
}

void BusConnection::prepare() {
  if (!attached_) return;
  const int e = sd_bus_get_events(bus_);
  if (e < 0) {
    lost(-e);
    return;
  }
  const std::uint32_t events = static_cast<std::uint32_t>(e);
  if (events != events_) {
    events_ = events;
    (void)loop_.modify(fd_, events);
  }
  std::uint64_t until = UINT64_MAX;
  if (sd_bus_get_timeout(bus_, &until) < 0) until = UINT64_MAX;
  // 0 means "messages are queued: dispatch now"; an absolute time in the past fires at once.
  if (until == 0) until = 1;
  if (until == armed_) return;
  armed_ = until;
  itimerspec spec{};
  if (until != UINT64_MAX) {
    spec.it_value.tv_sec = static_cast<time_t>(until / 1000000);
    spec.it_value.tv_nsec = static_cast<long>(until % 1000000) * 1000;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  (void)::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void BusConnection::lost(int error) {
  log_.warning(std::string("the system bus connection was lost (") + std::strerror(error) +
               "): serving without D-Bus");
  loop_.unwatch(fd_);
  loop_.unwatch(timer_.get());
  attached_ = false;
  if (on_lost_) {
    auto f = std::move(on_lost_);
    f();
  }
}

}  // namespace perfqos::dbus
