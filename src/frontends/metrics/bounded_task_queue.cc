#include "frontends/metrics/bounded_task_queue.h"

namespace perfqos::metrics {

BoundedTaskQueue::BoundedTaskQueue(std::size_t workers, std::size_t capacity)
    : capacity_(capacity) {
  threads_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

BoundedTaskQueue::~BoundedTaskQueue() {
  shutdown();
}

void BoundedTaskQueue::enqueue(std::function<void()> fn) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    has_room_.wait(lock, [this] { return stopping_ || jobs_.size() < capacity_; });
    if (!stopping_) {
      jobs_.push_back(std::move(fn));
      has_job_.notify_one();
      return;
    }
  }
  fn();  // after shutdown: the job finds the server stopped and closes its connection
}

void BoundedTaskQueue::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  has_job_.notify_all();
  has_room_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void BoundedTaskQueue::work() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      has_job_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left
      fn = std::move(jobs_.front());
      jobs_.pop_front();
      has_room_.notify_one();
    }
    fn();
  }
}

}  // namespace perfqos::metrics
