#include "daemon/event_loop.h"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>

#include "util/errno_status.h"

namespace perfqos::daemon {

EventLoop::EventLoop() = default;

Status EventLoop::init() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return errno_status(errno, "epoll_create1");
  return Status::Ok();
}

Status EventLoop::watch(int fd, std::uint32_t events, Callback callback) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  const bool known = watches_.contains(fd);
  if (::epoll_ctl(epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
    return errno_status(errno, "epoll_ctl");
  }
  watches_[fd] = std::make_shared<Watch>(Watch{std::move(callback), ++generation_});
  return Status::Ok();
}

Status EventLoop::modify(int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return errno_status(errno, "epoll_ctl");
  }
  return Status::Ok();
}

void EventLoop::unwatch(int fd) {
  if (watches_.erase(fd) > 0) (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Status EventLoop::run(const std::function<void()>& after_round) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  while (!stopping_) {
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, poll_again_ ? 0 : -1);
    poll_again_ = false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "epoll_wait");
    }
    // The generation fence skips fds closed and reused by an earlier callback of this round.
    const std::uint64_t round_start = generation_;
    for (int i = 0; i < n && !stopping_; ++i) {
      auto it = watches_.find(events[i].data.fd);
      if (it == watches_.end() || it->second->generation > round_start) continue;
      std::shared_ptr<Watch> w = it->second;  // keeps the callback alive while it runs
      w->callback(events[i].events);
    }
    if (after_round) after_round();
  }
  return Status::Ok();
}

}  // namespace perfqos::daemon
