// NotifierQueue: delivers "old -> new" changes to subscribers exactly once each, in order, with
// no lock held during a callback.
//
// The owner calls post() while still holding its own lock, so changes are queued in the order
// they happened; the thread that finds no delivery under way becomes the deliverer and, after
// releasing the owner's lock, calls deliver(), which drains the queue until it is empty. A
// callback that changes the list again only queues its change; the running delivery picks it
// up, so callbacks never recurse.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/result.h"

namespace perfqos::detail {

template <typename V>
class NotifierQueue {
 public:
  using Callback = std::function<void(V, V)>;

  std::uint64_t subscribe(Callback callback) {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<Subscribers>(*subscribers_);
    const std::uint64_t id = next_id_++;
    next->emplace_back(id, std::move(callback));
    subscribers_ = std::move(next);
    count_.store(subscribers_->size(), std::memory_order_relaxed);
    return id;
  }

  bool unsubscribe(std::uint64_t id) {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<Subscribers>();
    for (const auto& entry : *subscribers_) {
      if (entry.first != id) next->push_back(entry);
    }
    if (next->size() == subscribers_->size()) return false;
    subscribers_ = std::move(next);
    count_.store(subscribers_->size(), std::memory_order_relaxed);
    return true;
  }

  // Called with the owner's lock held. Returns true when the caller must call deliver() after
  // releasing that lock.
  bool post(V old_value, V new_value) {
    // Unlocked fast path: with nobody listening a change costs no lock. A subscriber racing with
    // this change may or may not see it, as if it had subscribed just after.
    if (count_.load(std::memory_order_relaxed) == 0) return false;
    std::lock_guard lock(mu_);
    if (subscribers_->empty()) return false;
    pending_.emplace_back(old_value, new_value);
    if (delivering_) return false;
    delivering_ = true;
    return true;
  }

  // Called without the owner's lock, only by the thread post() chose.
  void deliver() noexcept {
    std::vector<std::pair<V, V>> batch;
    for (;;) {
      std::shared_ptr<const Subscribers> subscribers;
      {
        std::lock_guard lock(mu_);
        if (pending_.empty()) {
          delivering_ = false;
          pending_.swap(batch);  // hand the buffer back: the next change allocates nothing
          return;
        }
        batch.swap(pending_);
        subscribers = subscribers_;
      }
      for (const auto& [old_value, new_value] : batch) {
        for (const auto& entry : *subscribers) entry.second(old_value, new_value);
      }
      batch.clear();
    }
  }

 private:
  using Subscribers = std::vector<std::pair<std::uint64_t, Callback>>;

  std::mutex mu_;
  std::shared_ptr<const Subscribers> subscribers_ = std::make_shared<Subscribers>();
  std::vector<std::pair<V, V>> pending_;
  bool delivering_ = false;
  std::uint64_t next_id_ = 1;
  std::atomic<std::size_t> count_{0};
};

}  // namespace perfqos::detail

namespace perfqos::detail {

// The one way an owner changes its requests: under `mu`, mutate and compute the aggregate; when
// it differs from the value last published (`published`, which under `mu` is the aggregate
// before the change), publish it and queue the notification; then, unlocked, deliver if chosen.
// Returns Changed or Unchanged.
template <typename V, typename Published, typename Aggregate, typename Mutate, typename Publish>
Result apply_change(std::mutex& mu, NotifierQueue<V>& notifiers, Published&& published,
                    Aggregate&& aggregate, Mutate&& mutate, Publish&& publish) {
  bool must_deliver = false;
  {
    std::lock_guard lock(mu);
    const V old_value = published();
    mutate();
    const V new_value = aggregate();
    if (old_value == new_value) return Result::Unchanged();
    publish(new_value);
    must_deliver = notifiers.post(old_value, new_value);
  }
  if (must_deliver) notifiers.deliver();
  return Result::Changed();
}

}  // namespace perfqos::detail
