// LoopExecutor: runs work handed over by other threads (the metrics HTTP workers) on the
// daemon's loop thread, the one thread that owns the model (DESIGN §2), and hands the result back.
//
//   call(f)   runs `f` (a callable returning Status) on the loop thread and blocks the calling
//             thread until it has run; returns what `f` returned. Called on the loop thread
//             itself, it runs `f` inline. The loop thread never waits for a caller.
//
// Mechanism: a mutex-protected queue of tasks that live on their callers' stacks, and an eventfd
// watched by the EventLoop; posting to an empty queue writes the eventfd, and the loop's callback
// runs every queued task in posting order. A caller first spins briefly (the loop usually
// answers within microseconds), then sleeps on a condition variable.
//
// Shutdown (no deadlock by construction): shutdown() is called on the loop thread once the loop
// has stopped (or from its last round). It runs every task posted before it, inline, then
// refuses later ones: call() returns ESHUTDOWN without running `f`. So a caller blocked in call()
// always returns, and a worker that calls after shutdown gets an error it can pass on.
//
// Thread safety: call() from any thread; start() and shutdown() on the loop thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>

#include "daemon/event_loop.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

class LoopExecutor {
 public:
  // REQUIRES: `loop` outlives the executor.
  explicit LoopExecutor(EventLoop& loop);
  // Calls shutdown() if start() was called and shutdown() was not.
  ~LoopExecutor();
  LoopExecutor(const LoopExecutor&) = delete;
  LoopExecutor& operator=(const LoopExecutor&) = delete;

  // Creates the eventfd and watches it. REQUIRES: on the loop thread, before call() is used.
  Status start();

  // Runs `f` on the loop thread; returns its Status, or ESHUTDOWN once shutdown() has begun.
  // `f` must not throw.
  template <typename F>
  Status call(F&& f) {
    static_assert(std::is_convertible_v<std::invoke_result_t<F&>, Status>,
                  "LoopExecutor::call needs a callable returning Status");
    using Fn = std::remove_reference_t<F>;
    Task task;
    task.fn = const_cast<void*>(static_cast<const void*>(&f));
    task.run = [](void* fn) -> Status { return (*static_cast<Fn*>(fn))(); };
    return submit(task);
  }

  // Runs what was posted, refuses what comes later, stops watching. Idempotent.
  // REQUIRES: on the loop thread.
  void shutdown();

  bool on_loop_thread() const { return std::this_thread::get_id() == loop_thread_; }

 private:
  struct Task {
    Status (*run)(void*) = nullptr;
    void* fn = nullptr;
    Status result;
    std::mutex mutex;
    std::condition_variable done_cv;
    std::atomic<bool> done{false};
  };

  Status submit(Task& task);
  void run_queued();
  static void complete(Task& task, Status result);

  EventLoop& loop_;
  UniqueFd event_fd_;
  std::thread::id loop_thread_;
  std::mutex mutex_;
  std::deque<Task*> queue_;  // guarded by mutex_
  bool closed_ = false;      // guarded by mutex_
  bool started_ = false;
};

}  // namespace perfqos::daemon
