#include "daemon/loop_executor.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "util/errno_status.h"

namespace perfqos::daemon {

namespace {
// How long a caller polls for the result before it sleeps: a loop round that only runs one
// task takes a few microseconds, and a sleep/wake pair costs about as much again. Bounded by
// time, not by a count of pause instructions, whose cost varies twentyfold across CPUs: a
// longer spin takes the core from the loop thread itself when callers outnumber cores.
constexpr auto kSpin = std::chrono::microseconds(5);
}  // namespace

LoopExecutor::LoopExecutor(EventLoop& loop) : loop_(loop) {}

LoopExecutor::~LoopExecutor() {
  if (started_) shutdown();
}

Status LoopExecutor::start() {
  event_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event_fd_) return errno_status(errno, "eventfd");
  loop_thread_ = std::this_thread::get_id();
  if (Status s = loop_.watch(event_fd_.get(), EPOLLIN, [this](std::uint32_t) { run_queued(); });
      !s.ok()) {
    return s;
  }
  started_ = true;
  return Status::Ok();
}

Status LoopExecutor::submit(Task& task) {
  if (on_loop_thread()) return task.run(task.fn);
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return Status::Error(ESHUTDOWN, "perfqosd is shutting down");
    wake = queue_.empty();
    queue_.push_back(&task);
  }
  if (wake) {
    const std::uint64_t one = 1;
    // Cannot fail short of a counter overflow; EAGAIN would mean a wake-up is pending anyway.
    (void)!::write(event_fd_.get(), &one, sizeof one);
  }
  const auto spin_until = std::chrono::steady_clock::now() + kSpin;
  while (!task.done.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < spin_until) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  // Always take the task's mutex, even when the spin saw `done`: complete() touches the task
  // until it unlocks, and the task dies when this function returns.
  std::unique_lock<std::mutex> lock(task.mutex);
  task.done_cv.wait(lock, [&task] { return task.done.load(std::memory_order_acquire); });
  return std::move(task.result);
}

void LoopExecutor::complete(Task& task, Status result) {
  std::lock_guard<std::mutex> lock(task.mutex);
  task.result = std::move(result);
  task.done.store(true, std::memory_order_release);
  task.done_cv.notify_one();
}

void LoopExecutor::run_queued() {
  std::uint64_t count;
  (void)!::read(event_fd_.get(), &count, sizeof count);
  std::deque<Task*> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(queue_);
  }
  for (Task* task : batch) complete(*task, task->run(task->fn));
}

void LoopExecutor::shutdown() {
  std::deque<Task*> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    batch.swap(queue_);
  }
  for (Task* task : batch) complete(*task, task->run(task->fn));
  if (started_) loop_.unwatch(event_fd_.get());
}

}  // namespace perfqos::daemon
