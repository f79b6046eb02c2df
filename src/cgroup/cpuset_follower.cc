#include "cgroup/cpuset_follower.h"

#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "tools/cpu_set_spec.h"
#include "util/errno_status.h"

namespace perfqos::daemon {

namespace {

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The list in `path`; false when it cannot be read or is not a CPU list.
bool read_cpu_list(const std::string& path, std::vector<int>* cpus) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  std::string list = text.str();
  while (!list.empty() && (list.back() == '\n' || list.back() == ' ')) list.pop_back();
  if (list.empty()) {  // the kernel writes an empty line for a cgroup with no CPUs
    cpus->clear();
    return true;
  }
  return tools::parse_cpu_list(list, cpus).ok();
}

}  // namespace

CpusetFollower::CpusetFollower(EventLoop& loop, const Logger& log, std::string root,
                               std::string mount, std::chrono::milliseconds period)
    : loop_(loop), log_(log), root_(std::move(root)), mount_(std::move(mount)), period_(period) {
  if (root_ == "/") root_.clear();
}

CpusetFollower::~CpusetFollower() {
  if (timer_) loop_.unwatch(timer_.get());
}

bool CpusetFollower::exists(const std::string& cgroup) const {
  return path_exists(mount_ + cgroup) || (!root_.empty() && path_exists(root_ + mount_ + cgroup));
}

std::vector<int> CpusetFollower::cpus_of(const std::string& cgroup) const {
  std::vector<int> cpus;
  const std::string base = root_ + mount_;
  if (!exists(cgroup)) return cpus;
  // The cgroup itself, then each ancestor up to the root cgroup.
  for (std::string at = cgroup;;) {
    const std::string path = base + at + "/cpuset.cpus.effective";
    if (path_exists(path)) {
      if (!read_cpu_list(path, &cpus)) {
        log_.debug(path + ": not a CPU list: read as no CPUs");
        cpus.clear();
      }
      return cpus;
    }
    if (at.empty() || at == "/") break;
    const std::size_t slash = at.rfind('/');
    at = slash == 0 || slash == std::string::npos ? "" : at.substr(0, slash);
  }
  const std::string online = root_ + "/sys/devices/system/cpu/online";
  if (!read_cpu_list(online, &cpus)) {
    log_.debug(online + ": not a CPU list: read as no CPUs");
    cpus.clear();
  }
  return cpus;
}

Status CpusetFollower::arm(bool on) {
  if (on == armed_) return Status::Ok();
  if (!timer_) {
    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer_) return errno_status(errno, "cpuset follower: timerfd_create");
    if (Status s = loop_.watch(timer_.get(), EPOLLIN, [this](std::uint32_t) { on_timer(); });
        !s.ok()) {
      timer_.reset();
      return s;
    }
  }
  itimerspec spec{};
  if (on) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(period_).count();
    spec.it_interval.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_interval.tv_nsec = static_cast<long>(ns % 1000000000);
    spec.it_value = spec.it_interval;
  }
  if (::timerfd_settime(timer_.get(), 0, &spec, nullptr) != 0) {
    return errno_status(errno, "cpuset follower: timerfd_settime");
  }
  armed_ = on;
  return Status::Ok();
}

Status CpusetFollower::follow(const std::string& cgroup, Listener listener, std::vector<int>* now,
                              std::uint64_t* id) {
  if (Status s = arm(true); !s.ok()) return s;
  const std::uint64_t fid = next_id_++;
  Follow& f = follows_[fid];
  f.cgroup = cgroup;
  f.cpus = cpus_of(cgroup);
  f.listener = std::move(listener);
  *now = f.cpus;
  *id = fid;
  return Status::Ok();
}

void CpusetFollower::unfollow(std::uint64_t id) {
  follows_.erase(id);
  if (follows_.empty()) (void)arm(false);
}

void CpusetFollower::on_timer() {
  std::uint64_t expirations;
  (void)!::read(timer_.get(), &expirations, sizeof expirations);
  // Listeners may unfollow (themselves or others) and follow: walk by id, not by iterator.
  std::vector<std::uint64_t> ids;
  ids.reserve(follows_.size());
  for (const auto& [id, f] : follows_) ids.push_back(id);
  // Each cgroup is read once a round, however many follow it.
  std::map<std::string, std::vector<int>> read;
  for (std::uint64_t id : ids) {
    auto it = follows_.find(id);
    if (it == follows_.end()) continue;
    auto [at, fresh] = read.try_emplace(it->second.cgroup);
    if (fresh) at->second = cpus_of(it->second.cgroup);
    const std::vector<int>& cpus = at->second;
    if (cpus == it->second.cpus) continue;
    it->second.cpus = cpus;
    const Listener listener = it->second.listener;  // it may be erased by the call
    listener(cpus);
  }
}

}  // namespace perfqos::daemon
