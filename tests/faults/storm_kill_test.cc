// 1,000 client processes SIGKILLed at once while they storm the daemon with updates (DESIGN §10):
// every request goes, the knob is back to its default, a bystander is served throughout, and the
// daemon holds no more descriptors than before. (daemon_test.cc kills 1,000 idle clients.)
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "faults/fault_support.h"
#include "support/daemon_process.h"

namespace perfqos {
namespace {

using testing::Children;
using testing::Client;
using testing::DaemonProcess;
using testing::eventually;
using testing::kLatencyDefault;
using testing::Pipe;
using testing::Shared;

constexpr int kHolders = 1000;
// Each holder's storm is bounded; the kill comes once the holders together sent this many.
constexpr int kUpdatesPerHolder = 400;
constexpr int kUpdatesBeforeKill = 20000;

struct StormCounters {
  std::atomic<int> updates{0};
  std::atomic<int> failed{0};  // updates that failed before the kill
};

// A holder: its request on cpu_dma_latency, then, once `go` closes, updates between a value
// that sets the effective minimum and one that does not, so the backend writes on most of them.
int holder(const std::string& socket, int index, int ready, int go, StormCounters& counters) {
  perfqos_client* c = nullptr;
  std::uint32_t id = 0;
  const std::int32_t low = 100 + index, high = 1000000 + index;
  char ok = perfqos_connect(socket.c_str(), 5000, &c) == 0 &&
            perfqos_add(c, "cpu_dma_latency", nullptr, low, &id, nullptr) == 0;
  (void)!::write(ready, &ok, 1);
  char byte;
  while (::read(go, &byte, 1) > 0) {
  }
  for (int k = 0; ok && k < kUpdatesPerHolder; ++k) {
    if (perfqos_update(c, id, (k & 1) ? low : high, nullptr) != 0) {
      counters.failed.fetch_add(1);
      break;
    }
    counters.updates.fetch_add(1);
  }
  for (;;) ::pause();
}

TEST(StormKill, ThousandUpdatingClientsKilledAtOnceLeaveNothingBehind) {
  DaemonProcess daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.log();
  Client observer(daemon.socket()), bystander(daemon.socket());
  ASSERT_TRUE(observer.ok() && bystander.ok());
  std::uint32_t bystander_id = 0;
  ASSERT_EQ(perfqos_add(bystander.get(), "network_latency", nullptr, 500, &bystander_id, nullptr),
            0);
  const int baseline_fds = testing::fd_count(daemon.pid());
  ASSERT_GT(baseline_fds, 0);

  Shared<StormCounters> counters;
  Pipe ready, go;
  Children holders;
  pid_t group = 0;
  for (int i = 0; i < kHolders; ++i) {
    const pid_t pid = holders.spawn(
        [&, i] {
          ::close(go.write_end());
          return holder(daemon.socket(), i, ready.write_end(), go.read_end(), *counters);
        },
        group);
    ASSERT_GT(pid, 0) << "fork: " << std::strerror(errno);
    if (i == 0) group = pid;
  }
  for (int i = 0; i < kHolders; ++i) {
    char ok = 0;
    ASSERT_EQ(::read(ready.read_end(), &ok, 1), 1);
    ASSERT_TRUE(ok) << "holder could not connect and add: " << daemon.log();
  }
  EXPECT_EQ(observer.active("cpu_dma_latency"), static_cast<std::uint32_t>(kHolders));
  EXPECT_EQ(observer.effective("cpu_dma_latency"), 100);

  // The bystander updates its own request through the storm and the kill; every call must
  // succeed. Started after the forks: no child inherits a thread's locks.
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, bystander_rc{0};
  std::thread updates([&] {
    for (int k = 0; k < 1000000 && !stop.load(); ++k) {
      const int rc = perfqos_update(bystander.get(), bystander_id, 500 + (k & 1), nullptr);
      if (rc != 0) {
        bystander_rc = rc;
        return;
      }
      served.fetch_add(1);
    }
  });
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } joiner{stop, updates};

  go.close_write();
  EXPECT_TRUE(eventually([&] { return counters->updates.load() >= kUpdatesBeforeKill; },
                         std::chrono::seconds(60)))
      << counters->updates.load() << " updates";
  const int served_at_kill = served.load();
  ASSERT_EQ(::killpg(group, SIGKILL), 0);
  // Mid-storm: the holders had not finished (nor failed) when they died.
  EXPECT_LT(counters->updates.load(), kHolders * kUpdatesPerHolder);
  EXPECT_EQ(counters->failed.load(), 0);

  EXPECT_TRUE(
      eventually([&] { return observer.active("cpu_dma_latency") == 0; }, std::chrono::seconds(30)))
      << observer.active("cpu_dma_latency") << " requests left";
  EXPECT_EQ(observer.effective("cpu_dma_latency"), kLatencyDefault);
  EXPECT_EQ(observer.holders(), 1u);  // the bystander's
  EXPECT_TRUE(eventually([&] { return testing::fd_count(daemon.pid()) == baseline_fds; },
                         std::chrono::seconds(10)))
      << testing::fd_count(daemon.pid()) << " descriptors open, " << baseline_fds << " before";
  // The bystander got answers after the kill too, and never an error.
  EXPECT_TRUE(eventually([&] { return served.load() > served_at_kill + 100; }));
  stop = true;
  updates.join();
  EXPECT_EQ(bystander_rc.load(), 0) << bystander.error();
  EXPECT_EQ(observer.effective("network_latency"), 500 + ((served.load() - 1) & 1));

  const std::vector<int> codes = holders.wait_all();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 128 + SIGKILL), kHolders);
}

}  // namespace
}  // namespace perfqos
