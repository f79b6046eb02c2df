// BoundedTaskQueue: the HTTP server's connection workers (cpp-httplib's TaskQueue) with a
// bounded backlog. httplib's own ThreadPool queues every accepted connection without limit; this
// one makes the accepting thread wait while `capacity` connections already wait for a worker, so
// at most workers + capacity + 1 (the one being handed over) connections are open at once and a
// flood waits in the kernel's listen backlog instead of growing the daemon. With the server's read,
// write and keep-alive timeouts, every connection leaves a worker within a bounded time, so the
// wait is bounded too.
//
// shutdown() lets the workers finish what is queued (httplib's jobs end at once once the server
// is stopped), then joins them. An enqueue() after it runs the job inline: the job sees the
// stopped server and closes its connection, so no socket is leaked.
//
// Thread safety: enqueue() from the accepting thread, shutdown() once from the thread that
// stops the server (httplib calls both from its listen thread).
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace perfqos::metrics {

class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  // REQUIRES: workers >= 1, capacity >= 1.
  BoundedTaskQueue(std::size_t workers, std::size_t capacity);
  ~BoundedTaskQueue() override;
  BoundedTaskQueue(const BoundedTaskQueue&) = delete;
  BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void work();

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable has_job_;
  std::condition_variable has_room_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace perfqos::metrics
