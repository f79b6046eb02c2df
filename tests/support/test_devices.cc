#include "support/test_devices.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "model/device_specs.h"

namespace perfqos::daemon {

namespace {
bool parse_int(std::string_view text, std::int32_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}
}  // namespace

Status parse_test_perf_device(const std::string& text, DeviceSpec* out) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const Status bad = Status::Error(
      EINVAL, "--test-perf-device '" + text + "': expected NAME:UNIT:MIN:MAX, UNIT normal or kbps");
  if (parts.size() != 4) return bad;
  PerfUnit unit;
  if (parts[1] == "normal") {
    unit = PerfUnit::kNormal;
  } else if (parts[1] == "kbps") {
    unit = PerfUnit::kKbps;
  } else {
    return bad;
  }
  std::int32_t min = 0;
  std::int32_t max = 0;
  if (!parse_int(parts[2], &min) || !parse_int(parts[3], &max)) return bad;
  return perf_device_spec(parts[0], unit, min, max, out);
}

void TestPerfDevices::stop() {
  if (signal_fd_) loop_->unwatch(signal_fd_.get());
  signal_fd_.reset();
}

Status TestPerfDevices::start(Broker& broker, EventLoop& loop, const Logger& log) {
  broker_ = &broker;
  loop_ = &loop;
  log_ = &log;
  for (const std::string& text : spec_texts_) {
    DeviceSpec spec;
    if (Status s = parse_test_perf_device(text, &spec); !s.ok()) return s;
    specs_.push_back(std::move(spec));
  }
  if (specs_.empty()) return Status::Ok();
  toggle();
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  if (::sigprocmask(SIG_BLOCK, &usr1, nullptr) != 0) {
    return Status::Error(errno, std::string("sigprocmask: ") + std::strerror(errno));
  }
  signal_fd_.reset(::signalfd(-1, &usr1, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) return Status::Error(errno, std::string("signalfd: ") + std::strerror(errno));
  return loop_->watch(signal_fd_.get(), EPOLLIN, [this](std::uint32_t) {
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) toggle();
  });
}

void TestPerfDevices::toggle() {
  for (const DeviceSpec& spec : specs_) {
    Status s = registered_ ? broker_->unregister_device(spec.name) : broker_->register_device(spec);
    log_->info(std::string("test perf device ") + spec.name +
               (registered_ ? " unregistered" : " registered") +
               (s.ok() ? "" : ": " + s.message()));
  }
  registered_ = !registered_;
}

}  // namespace perfqos::daemon
