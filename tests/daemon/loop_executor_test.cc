// LoopExecutor: work from other threads runs on the loop thread, in order, with its result
// handed back; nobody deadlocks at shutdown. Labelled `concurrency` so that it runs under TSan.
#include "daemon/loop_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

namespace perfqos::daemon {
namespace {

// A loop on its own thread, as the daemon's, with an executor started on it.
class LoopThread {
 public:
  LoopThread() : executor_(loop_) {
    EXPECT_TRUE(loop_.init().ok());
    std::atomic<bool> started{false};
    thread_ = std::thread([this, &started] {
      EXPECT_TRUE(executor_.start().ok());
      loop_thread_ = std::this_thread::get_id();
      started = true;
      (void)loop_.run();
      executor_.shutdown();  // as run_daemon: after the loop's last round
    });
    while (!started) std::this_thread::yield();
  }
  ~LoopThread() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    // stop() is for the loop's own thread: ask it through the executor.
    (void)executor_.call([this] {
      loop_.stop();
      return Status::Ok();
    });
    thread_.join();
  }
  LoopExecutor& executor() { return executor_; }
  std::thread::id loop_thread() const { return loop_thread_; }

 private:
  EventLoop loop_;
  LoopExecutor executor_;
  std::thread thread_;
  std::thread::id loop_thread_;
};

TEST(LoopExecutor, RunsOnTheLoopThreadAndReturnsTheResult) {
  LoopThread loop;
  std::thread::id ran_on;
  Status s = loop.executor().call([&] {
    ran_on = std::this_thread::get_id();
    return Status::Error(EALREADY, "already");
  });
  EXPECT_EQ(s.code(), EALREADY);
  EXPECT_EQ(s.message(), "already");
  EXPECT_EQ(ran_on, loop.loop_thread());
  int out = 0;
  EXPECT_TRUE(loop.executor()
                  .call([&] {
                    out = 42;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(out, 42);
}

TEST(LoopExecutor, ManyThreadsEachGetTheirOwnResultsAndTheLoopSerializesThem) {
  LoopThread loop;
  constexpr int kThreads = 8;
  constexpr int kCalls = 2000;
  long counter = 0;  // only ever touched on the loop thread: TSan checks the hand-over
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        int seen = -1;
        Status s = loop.executor().call([&] {
          ++counter;
          seen = t * kCalls + i;
          return Status::Ok();
        });
        if (!s.ok() || seen != t * kCalls + i) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  long total = 0;
  ASSERT_TRUE(loop.executor()
                  .call([&] {
                    total = counter;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(total, long{kThreads} * kCalls);
}

TEST(LoopExecutor, CallOnTheLoopThreadRunsInline) {
  LoopThread loop;
  bool inner_ran = false;
  Status s = loop.executor().call([&] {
    // Posting from the loop thread to itself must not wait for itself.
    return loop.executor().call([&] {
      inner_ran = true;
      return Status::Ok();
    });
  });
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(inner_ran);
}

TEST(LoopExecutor, AfterShutdownCallsFailWithEshutdownInsteadOfWaiting) {
  LoopThread loop;
  loop.stop();
  bool ran = false;
  Status s = loop.executor().call([&] {
    ran = true;
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), ESHUTDOWN);
  EXPECT_FALSE(ran);
}

TEST(LoopExecutor, ShutdownRunsWhatWasPostedAndReleasesEveryWaiter) {
  // The loop stops while callers keep posting: each call either runs (before shutdown, possibly
  // inline in shutdown) or fails with ESHUTDOWN; none hangs.
  for (int round = 0; round < 20; ++round) {
    LoopThread loop;
    std::atomic<int> ran{0}, refused{0}, other{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t) {
      callers.emplace_back([&] {
        for (int i = 0; i < 200; ++i) {
          Status s = loop.executor().call([&] {
            ++ran;
            return Status::Ok();
          });
          if (s.ok()) continue;
          (s.code() == ESHUTDOWN ? refused : other)++;
        }
      });
    }
    loop.stop();
    for (auto& c : callers) c.join();
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(ran.load() + refused.load(), 4 * 200 + 0);
  }
}

TEST(LoopExecutor, ShutdownWithoutALoopRunningRunsQueuedTasksInline) {
  EventLoop loop;
  ASSERT_TRUE(loop.init().ok());
  LoopExecutor executor(loop);
  ASSERT_TRUE(executor.start().ok());  // this thread is "the loop thread", but never runs it
  std::atomic<bool> ran{false};
  std::thread caller([&] {
    EXPECT_TRUE(executor
                    .call([&] {
                      ran = true;
                      return Status::Ok();
                    })
                    .ok());
  });
  // Let the caller queue its task (it blocks: no loop is running), then shut down.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  executor.shutdown();
  caller.join();
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace perfqos::daemon
