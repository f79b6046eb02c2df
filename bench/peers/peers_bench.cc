// peers_bench: one workload, "take a latency (or performance) request and release it", through
// every way in that a program has on Linux, measured in one run (DESIGN §9, issue #8):
//
//   kernel                open /dev/cpu_dma_latency, write an s32, close (the floor; the kernel
//                         drops the request on close)
//   perfqos socket        perfqos_add + perfqos_remove on a connection opened once per client
//   perfqos socket/proc   perfqos_connect + perfqos_add + perfqos_close, as a short-lived
//                         process would do it
//   perfqos FUSE class    open the cpu_dma_latency node of perfqosd's FUSE tree, write, close
//   perfqos FUSE ioctl    open perf_qos/gpu, PERF_QOS_IOC_SET_MIN, close
//   GameMode              gamemode_request_start + gamemode_request_end (libgamemode, through
//                         the gamemoded on $DBUS_SESSION_BUS_ADDRESS)
//
// Each path runs with 1 client process and with --clients (64) concurrent client processes. Every
// client times each operation; the table gives p50 and p99 over the samples of all clients, the
// aggregate operations per second, and each as a ratio to the kernel's row with as many clients.
// The samples (µs, one per line) go to OUTDIR/<path>-<clients>.txt for plotting.
//
//   peers_bench [--samples N] [--gamemode-samples N] [--clients N] [--gamemode-user UID:GID] OUTDIR
//
// perfqosd is started here (bench_daemon.h) on a temporary socket and mount, with an empty sysfs
// root (a regular file stands in for dev/cpu_dma_latency), its own state directory and an empty
// config, so no knob of this machine is touched except by the kernel row, whose requests end with
// each close. Run as root (the FUSE mount, /dev/cpu_dma_latency). --gamemode-user runs the
// GameMode clients under that uid and gid, as the user whose session bus and gamemoded they talk
// to (bench/peers/run).
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_daemon.h"
#include "perfqos/client.h"
#include "perfqos/perf_qos_ioctl.h"

#if PERFQOS_HAVE_GAMEMODE
#include <gamemode_client.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int32_t kLatencyUs = 100;  // every latency request, on every path
constexpr int kPerfMin = 300;             // the ioctl path's SET_MIN on gpu (0..1024)

double since_epoch_us(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(t.time_since_epoch()).count();
}

// One client's side of a path, created in the client process. prepare() runs once before the
// clock starts; once() is one take+release, timed. Both return false with errno or a message set.
class Client {
 public:
  virtual ~Client() = default;
  virtual bool prepare() { return true; }
  virtual bool once() = 0;
  std::string error;

 protected:
  // Sets `error` from errno: "WHAT PATH: strerror"; returns false.
  bool fail(const char* what, const std::string& path) {
    error = std::string(what) + " " + path + ": " + std::strerror(errno);
    return false;
  }
};

// The class-node ABI, the same code on the kernel's /dev/cpu_dma_latency and on perfqosd's
// FUSE node: open for writing, write the s32, close (the request goes with the close).
class ClassNode : public Client {
 public:
  explicit ClassNode(std::string path) : path_(std::move(path)) {}
  bool once() override {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail("open", path_);
    const bool ok = ::write(fd, &kLatencyUs, sizeof kLatencyUs) == sizeof kLatencyUs;
    if (!ok) fail("write", path_);
    ::close(fd);
    return ok;
  }

 private:
  std::string path_;
};

class SocketAddRemove : public Client {
 public:
  explicit SocketAddRemove(std::string socket) : socket_(std::move(socket)) {}
  ~SocketAddRemove() override { perfqos_close(client_); }
  bool prepare() override {
    if (perfqos_connect(socket_.c_str(), 10000, &client_) == 0) return true;
    error = perfqos_last_error(nullptr);
    return false;
  }
  bool once() override {
    std::uint32_t id = 0;
    if (perfqos_add(client_, "cpu_dma_latency", nullptr, kLatencyUs, &id, nullptr) == 0 &&
        perfqos_remove(client_, id, nullptr) == 0) {
      return true;
    }
    error = perfqos_last_error(client_);
    return false;
  }

 private:
  std::string socket_;
  perfqos_client* client_ = nullptr;
};

class SocketPerProcess : public Client {
 public:
  explicit SocketPerProcess(std::string socket) : socket_(std::move(socket)) {}
  bool once() override {
    perfqos_client* c = nullptr;
    if (perfqos_connect(socket_.c_str(), 10000, &c) != 0) {
      error = perfqos_last_error(nullptr);
      return false;
    }
    std::uint32_t id = 0;
    const bool ok = perfqos_add(c, "cpu_dma_latency", nullptr, kLatencyUs, &id, nullptr) == 0;
    if (!ok) error = perfqos_last_error(c);
    perfqos_close(c);  // the daemon drops the request when it sees the hang-up
    return ok;
  }

 private:
  std::string socket_;
};

class FuseIoctl : public Client {
 public:
  explicit FuseIoctl(std::string path) : path_(std::move(path)) {}
  bool once() override {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return fail("open", path_);
    perf_qos_ioctl_arg arg{};
    arg.value = kPerfMin;
    const bool ok = ::ioctl(fd, PERF_QOS_IOC_SET_MIN, &arg) == 0;
    if (!ok) fail("PERF_QOS_IOC_SET_MIN", path_);
    ::close(fd);
    return ok;
  }

 private:
  std::string path_;
};

#if PERFQOS_HAVE_GAMEMODE
class GameMode : public Client {
 public:
  bool once() override {
    if (gamemode_request_start() == 0 && gamemode_request_end() == 0) return true;
    error = std::string("libgamemode: ") + gamemode_error_string();
    return false;
  }
};
#endif

struct Credentials {
  uid_t uid;
  gid_t gid;
};

// Becomes `who` for good. The process stays dumpable so that its owner (a gamemoded running as
// that user) may read /proc/PID, which a change of uid would otherwise forbid.
bool drop_to(const Credentials& who, std::string* error) {
  if (::setgroups(0, nullptr) != 0 || ::setresgid(who.gid, who.gid, who.gid) != 0 ||
      ::setresuid(who.uid, who.uid, who.uid) != 0 || ::prctl(PR_SET_DUMPABLE, 1) != 0) {
    *error = std::string("dropping to the GameMode user: ") + std::strerror(errno);
    return false;
  }
  return true;
}

struct Path {
  std::string name;  // table row
  std::string stem;  // sample file name
  std::function<std::unique_ptr<Client>()> make;
  std::optional<Credentials> run_as;
  int samples;  // per row, spread over the clients
};

struct Row {
  std::string name;
  int clients = 0;
  std::vector<double> us;  // sorted
  double ops_per_s = 0;
  double p50() const { return us[us.size() / 2]; }
  double p99() const { return us[std::min(us.size() - 1, us.size() * 99 / 100)]; }
};

// Runs `path` in `clients` processes, `per_client` timed operations each after a warm-up; all
// start together when every one is ready. Empty when a client could not prepare or failed (the
// first client's message is printed).
std::optional<Row> run(const Path& path, int clients, int per_client) {
  const std::size_t n = static_cast<std::size_t>(clients) * static_cast<std::size_t>(per_client);
  // Samples, then each client's end time, shared with the clients.
  const std::size_t bytes = (n + static_cast<std::size_t>(clients)) * sizeof(double);
  void* shared = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return std::nullopt;
  double* samples = static_cast<double*>(shared);
  double* ends = samples + n;
  int ready[2], go[2], errors[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0 ||
      ::pipe2(errors, O_CLOEXEC | O_NONBLOCK) != 0) {  // a message never blocks a client
    return std::nullopt;
  }
  const int warm_up = std::clamp(per_client / 10, 2, 200);

  std::vector<pid_t> pids;
  for (int k = 0; k < clients; ++k) {
    const pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid > 0) {
      pids.push_back(pid);
      continue;
    }
    ::close(ready[0]);
    ::close(go[1]);
    ::close(errors[0]);
    // Tells the parent why this client gives up; the first message wins. Once the client has
    // said it is ready, its end of `ready` is closed, so that a client dying before it says
    // anything ends the parent's wait with EOF.
    int ready_fd = ready[1];
    const auto give_up = [&](const std::string& why) {
      const std::string line = why + "\n";
      (void)!::write(errors[1], line.data(), std::min<std::size_t>(line.size(), PIPE_BUF));
      if (ready_fd >= 0) (void)!::write(ready_fd, "x", 1);
      ::_exit(1);
    };
    std::string error;
    if (path.run_as && !drop_to(*path.run_as, &error)) give_up(error);
    std::unique_ptr<Client> client = path.make();
    if (!client->prepare()) give_up(client->error);
    for (int i = 0; i < warm_up; ++i) {
      if (!client->once()) give_up(client->error);
    }
    (void)!::write(ready_fd, "r", 1);
    ::close(ready_fd);
    ready_fd = -1;
    char byte;
    if (::read(go[0], &byte, 1) != 1) ::_exit(1);
    double* mine = samples + static_cast<std::size_t>(k) * static_cast<std::size_t>(per_client);
    for (int i = 0; i < per_client; ++i) {
      const auto t0 = Clock::now();
      if (!client->once()) give_up(client->error);
      mine[i] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    }
    ends[k] = since_epoch_us(Clock::now());
    client.reset();
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(go[0]);
  ::close(errors[1]);

  // Every client ready, or one gave up (or died: the pipe ends early).
  bool all_ready = static_cast<int>(pids.size()) == clients;
  for (std::size_t i = 0; all_ready && i < pids.size(); ++i) {
    char byte = 0;
    all_ready = ::read(ready[0], &byte, 1) == 1 && byte == 'r';
  }
  const auto start = Clock::now();
  if (all_ready) {
    const std::string go_bytes(pids.size(), 'g');
    (void)!::write(go[1], go_bytes.data(), go_bytes.size());
  }
  ::close(go[1]);  // clients still waiting see EOF and leave
  int failed = 0, killed_by = 0;
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFSIGNALED(status) && killed_by == 0) killed_by = WTERMSIG(status);
  }
  char message[PIPE_BUF + 1] = {};
  const ssize_t got = ::read(errors[0], message, PIPE_BUF);
  ::close(ready[0]);
  ::close(errors[0]);

  std::optional<Row> row;
  if (all_ready && failed == 0) {
    row.emplace();
    row->name = path.name;
    row->clients = clients;
    row->us.assign(samples, samples + n);
    const double last = *std::max_element(ends, ends + clients);
    row->ops_per_s = static_cast<double>(n) / ((last - since_epoch_us(start)) / 1e6);
  } else {
    std::string why = got > 0 ? std::string(message, static_cast<std::size_t>(got)) : "";
    why = why.substr(0, why.find('\n'));
    if (why.empty()) {
      // libgamemode 1.7, for one, aborts in libdbus when it cannot reach the bus.
      why = "a client died" +
            (killed_by != 0 ? std::string(" of signal ") + ::strsignal(killed_by) : std::string());
    }
    std::printf("skipped: %s, %d clients: %s\n", path.name.c_str(), clients, why.c_str());
    std::fflush(stdout);
  }
  ::munmap(shared, bytes);
  return row;
}

bool write_samples(const std::string& file, const std::vector<double>& us) {
  std::ofstream out(file);
  char line[32];
  for (double v : us) {
    std::snprintf(line, sizeof line, "%.3f\n", v);
    out << line;
  }
  return static_cast<bool>(out);
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--samples N] [--gamemode-samples N] [--clients N] "
               "[--gamemode-user UID:GID] OUTDIR\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int samples = 10000, gamemode_samples = 1000, many = 64;
  std::optional<Credentials> gamemode_user;
  std::string out_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--samples" && has_value) {
      samples = std::atoi(argv[++i]);
    } else if (arg == "--gamemode-samples" && has_value) {
      gamemode_samples = std::atoi(argv[++i]);
    } else if (arg == "--clients" && has_value) {
      many = std::atoi(argv[++i]);
    } else if (arg == "--gamemode-user" && has_value) {
      unsigned uid = 0, gid = 0;
      if (std::sscanf(argv[++i], "%u:%u", &uid, &gid) != 2) return usage(argv[0]);
      gamemode_user = Credentials{uid, gid};
    } else if (!arg.starts_with("-") && out_dir.empty()) {
      out_dir = arg;
    } else {
      return usage(argv[0]);
    }
  }
  if (out_dir.empty() || samples < 100 || gamemode_samples < 1 || many < 2) return usage(argv[0]);
  std::filesystem::create_directories(out_dir);

  const perfqos::bench::BenchDaemon daemon(
      {.name = "peers",
       .mount = true,
       .extra_args = {"--log-level", "warning", "--test-perf-device", "gpu:normal:0:1024"}});
  if (!daemon.ready()) {
    std::fprintf(stderr, "peers_bench: %s\n", daemon.error().c_str());
    return 1;
  }
  const std::string socket = daemon.socket(), mount = daemon.mount();
  std::vector<Path> paths = {
      {"kernel /dev/cpu_dma_latency", "kernel",
       [] { return std::make_unique<ClassNode>("/dev/cpu_dma_latency"); }, std::nullopt, samples},
      {"perfqos socket add+remove", "socket",
       [socket] { return std::make_unique<SocketAddRemove>(socket); }, std::nullopt, samples},
      {"perfqos socket connect+add+close", "socket-per-process",
       [socket] { return std::make_unique<SocketPerProcess>(socket); }, std::nullopt, samples},
      {"perfqos FUSE class node", "fuse-class",
       [mount] { return std::make_unique<ClassNode>(mount + "/cpu_dma_latency"); }, std::nullopt,
       samples},
      {"perfqos FUSE ioctl SET_MIN", "fuse-ioctl",
       [mount] { return std::make_unique<FuseIoctl>(mount + "/perf_qos/gpu"); }, std::nullopt,
       samples},
  };
#if PERFQOS_HAVE_GAMEMODE
  if (std::getenv("DBUS_SESSION_BUS_ADDRESS") != nullptr) {
    paths.push_back({"GameMode request_start+end", "gamemode",
                     [] { return std::make_unique<GameMode>(); }, gamemode_user, gamemode_samples});
  } else {
    std::printf("skipped: GameMode: DBUS_SESSION_BUS_ADDRESS is not set (no session bus)\n");
  }
#else
  (void)gamemode_user;
  std::printf("skipped: GameMode: built without gamemode_client.h (Debian: gamemode-dev)\n");
#endif

  utsname uts{};
  ::uname(&uts);
  std::printf("peers_bench: %u CPUs, Linux %s, load average %s at start\n",
              std::thread::hardware_concurrency(), uts.release,
              perfqos::bench::load_average().c_str());
  std::fflush(stdout);

  std::vector<Row> rows;
  for (const Path& path : paths) {
    for (int clients : {1, many}) {
      const int per_client = std::max(1, path.samples / clients);
      std::optional<Row> row = run(path, clients, per_client);
      if (!row) continue;
      const std::string file = out_dir + "/" + path.stem + "-" + std::to_string(clients) + ".txt";
      if (!write_samples(file, row->us)) std::fprintf(stderr, "cannot write %s\n", file.c_str());
      std::sort(row->us.begin(), row->us.end());
      rows.push_back(std::move(*row));
    }
  }

  std::printf("load average %s at end\n\n", perfqos::bench::load_average().c_str());
  std::printf("%-34s %7s %8s %10s %10s %10s %10s %12s\n", "take+release", "clients", "samples",
              "p50 us", "p99 us", "p50/kernel", "p99/kernel", "ops/s");
  for (const Row& row : rows) {
    const Row* floor = nullptr;
    for (const Row& r : rows) {
      if (r.name == paths.front().name && r.clients == row.clients) floor = &r;
    }
    char p50_ratio[16] = "-", p99_ratio[16] = "-";
    if (floor != nullptr) {
      std::snprintf(p50_ratio, sizeof p50_ratio, "%.2fx", row.p50() / floor->p50());
      std::snprintf(p99_ratio, sizeof p99_ratio, "%.2fx", row.p99() / floor->p99());
    }
    std::printf("%-34s %7d %8zu %10.2f %10.2f %10s %10s %12.0f\n", row.name.c_str(), row.clients,
                row.us.size(), row.p50(), row.p99(), p50_ratio, p99_ratio, row.ops_per_s);
  }
  // The peer a program would otherwise ask, against perfqos's usual way in.
  const auto find = [&](const std::string& stem, int clients) -> const Row* {
    for (std::size_t i = 0; i < paths.size(); ++i) {
      if (paths[i].stem != stem) continue;
      for (const Row& r : rows) {
        if (r.name == paths[i].name && r.clients == clients) return &r;
      }
    }
    return nullptr;
  };
  for (int clients : {1, many}) {
    const Row* peer = find("gamemode", clients);
    const Row* ours = find("socket", clients);
    if (peer == nullptr || ours == nullptr) continue;
    std::printf("GameMode / perfqos socket, %d client%s: p50 %.1fx, p99 %.1fx, ops/s %.3fx\n",
                clients, clients == 1 ? "" : "s", peer->p50() / ours->p50(),
                peer->p99() / ours->p99(), peer->ops_per_s / ours->ops_per_s);
  }
  return 0;
}
