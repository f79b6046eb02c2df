// EventQueue: notifications received while the client waited for something else, kept for
// perfqos_next_event(). Bounded: when full the oldest is dropped and the drop is reported with
// the next event handed out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "protocol/messages.h"

namespace perfqos::clientlib {

class EventQueue {
 public:
  explicit EventQueue(std::size_t capacity) : capacity_(capacity) {}

  void push(protocol::Notification event) {
    if (events_.size() == capacity_) {
      events_.pop_front();
      ++dropped_;
    }
    events_.push_back(std::move(event));
  }

  bool empty() const { return events_.empty(); }
  std::size_t size() const { return events_.size(); }

  struct Next {
    protocol::Notification event;
    std::uint32_t dropped;  // events dropped since the previous pop
  };
  std::optional<Next> pop() {
    if (events_.empty()) return std::nullopt;
    Next next{std::move(events_.front()), dropped_};
    events_.pop_front();
    dropped_ = 0;
    return next;
  }

 private:
  std::size_t capacity_;
  std::deque<protocol::Notification> events_;
  std::uint32_t dropped_ = 0;
};

}  // namespace perfqos::clientlib
