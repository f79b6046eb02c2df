#include "daemon/systemd_notifier.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/errno_status.h"

namespace perfqos::daemon {

namespace {

void notify(std::string_view state, std::string_view status) {
  std::string text(state);
  if (!text.empty()) text += '\n';
  text += "STATUS=";
  text += status;
  ::sd_notify(0, text.c_str());
}

}  // namespace

SystemdNotifier::~SystemdNotifier() {
  if (loop_ != nullptr && timer_) loop_->unwatch(timer_.get());
}

Status SystemdNotifier::start_watchdog(EventLoop& loop) {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return Status::Ok();
  timer_ = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_) return errno_status(errno, "watchdog timerfd");
  // Half the interval, as sd_watchdog_enabled(3) advises: one late round is not a restart.
  const std::uint64_t half = usec / 2 > 0 ? usec / 2 : 1;
  itimerspec spec{};
  spec.it_interval.tv_sec = static_cast<time_t>(half / 1000000);
  spec.it_interval.tv_nsec = static_cast<long>(half % 1000000) * 1000;
  spec.it_value = spec.it_interval;
  if (::timerfd_settime(timer_.get(), 0, &spec, nullptr) != 0) {
    return errno_status(errno, "watchdog timer");
  }
  const int fd = timer_.get();
  if (Status s = loop.watch(fd, EPOLLIN,
                            [fd](std::uint32_t) {
                              std::uint64_t expirations;
                              (void)!::read(fd, &expirations, sizeof expirations);
                              ::sd_notify(0, "WATCHDOG=1");
                            });
      !s.ok()) {
    return s;
  }
  loop_ = &loop;
  watchdog_usec_ = usec;
  ::sd_notify(0, "WATCHDOG=1");
  return Status::Ok();
}

void SystemdNotifier::ready(std::string_view status) const {
  notify("READY=1", status);
}

void SystemdNotifier::status(std::string_view status) const {
  notify("", status);
}

void SystemdNotifier::stopping(std::string_view status) const {
  notify("STOPPING=1", status);
}

}  // namespace perfqos::daemon
