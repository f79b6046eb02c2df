// EventLoop: one epoll instance and the callbacks of the fds it watches. The daemon's single
// thread runs it; every model change happens inside one of its callbacks.
//
// A callback may watch/unwatch any fd, including its own; an fd unwatched during a round is
// not called later in that round.
//
// Thread safety: confined to the thread that calls run(), except stop(), which any thread or a
// signal handler's consequence may call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

class EventLoop {
 public:
  using Callback = std::function<void(std::uint32_t events)>;

  EventLoop();
  Status init();

  // EPOLLIN/EPOLLOUT/...; replaces an existing watch of `fd`.
  Status watch(int fd, std::uint32_t events, Callback callback);
  Status modify(int fd, std::uint32_t events);
  void unwatch(int fd);

  // Runs until stop(). `after_round` runs after each round of callbacks.
  Status run(const std::function<void()>& after_round = {});
  void stop() { stopping_ = true; }
  // Makes the next round's wait return at once, with what is ready or nothing: `after_round`
  // has more to do in steps between the callbacks (freeing a dropped holder's requests).
  void poll_again() { poll_again_ = true; }

 private:
  struct Watch {
    Callback callback;
    std::uint64_t generation;
  };
  UniqueFd epoll_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
  bool poll_again_ = false;
};

}  // namespace perfqos::daemon
