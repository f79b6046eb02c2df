// perfqosctl hold and run: requests held by this process, for a while or while a command runs.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/cpu_devices.h"
#include "tools/profile_hold.h"
#include "tools/uclamp_task.h"

namespace perfqos::tools {
namespace {

// Adds every SPEC on `c`, timed when `duration` > 0, into `held`; says what it holds.
int add_specs(const Options& o, Client& c, const std::vector<std::string>& texts,
              std::chrono::milliseconds duration, std::vector<client::HeldRequest>* held) {
  std::vector<ResolvedSpec> specs;
  if (int rc = resolve_specs(c, texts, &specs, o.cpus_of)) return rc;
  for (const ResolvedSpec& r : specs) {
    perfqos_change change{};
    client::HeldRequest request;
    const bool on_cpus_of = r.spec.device == kCpusDevice;
    if (on_cpus_of && duration.count() > 0) {
      return fail("--for: requests on the CPUs of --cpus-of " + o.cpus_of + " are untimed");
    }
    client::Status s = on_cpus_of
                           ? c.add_cpus_of(o.cpus_of, r.knob, r.value, o.note, &request, &change)
                           : c.add(r.spec.device, r.knob, r.value, o.note, &request, &change,
                                   static_cast<std::uint32_t>(duration.count()));
    if (!s.ok()) return fail(s.message());
    if (!o.json && !o.quiet) {
      std::fprintf(stderr, "perfqosctl: holding %s=%s%s (request %u; effective now %s%s)\n",
                   r.target().c_str(), r.spec.value.c_str(),
                   on_cpus_of ? (" on the CPUs of " + o.cpus_of).c_str() : "", request.id(),
                   show_effective(r.values, change.effective, true).c_str(),
                   on_cpus_of ? " on the first" : "");
    }
    held->push_back(std::move(request));
  }
  return 0;
}

sigset_t forwarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD})
    sigaddset(&set, sig);
  return set;
}

// `run`'s default reason: the command line, cut at a character boundary to the limit (with
// "..." when cut), control characters shown as spaces.
std::string command_reason(const std::vector<std::string>& command) {
  std::string line;
  for (const std::string& a : command) {
    if (!line.empty()) line += ' ';
    for (unsigned char ch : a) line += (ch < 0x20 || ch == 0x7f) ? ' ' : static_cast<char>(ch);
  }
  if (line.size() <= PERFQOS_MAX_REASON) return line;
  std::size_t cut = PERFQOS_MAX_REASON - 3;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xc0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

// Holds --profile, if given, and says so.
int hold_profile(const Options& o, ProfileHold* profile) {
  if (o.profile.empty()) return 0;
  if (Status s = profile->hold(o.profile, o.note.reason, o.note.app_id); !s.ok()) {
    return fail(s.message());
  }
  if (!o.json && !o.quiet) {
    std::fprintf(stderr, "perfqosctl: holding profile %s (over D-Bus)\n", o.profile.c_str());
  }
  return 0;
}

}  // namespace

int cmd_hold(const Options& o, const std::vector<std::string>& specs, const std::string& for_text) {
  std::chrono::milliseconds duration{0};
  if (!for_text.empty()) {
    if (Status s = parse_duration(for_text, &duration); !s.ok()) return fail(s.message());
  }
  sigset_t signals = forwarded_signals();
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (specs.empty() && o.profile.empty()) {
    fail("hold: give a SPEC or --profile");
    return kExitUsage;
  }
  if (!o.profile.empty() && duration.count() > 0) {
    fail("hold: --for holds SPECs only, not --profile");
    return kExitUsage;
  }
  ProfileHold profile;
  if (int rc = hold_profile(o, &profile)) return rc;
  Client c;
  std::vector<client::HeldRequest> held;
  if (!specs.empty()) {
    if (int rc = connect(o, &c)) return rc;
    if (int rc = add_specs(o, c, specs, duration, &held)) return rc;
  }
  const auto until = std::chrono::steady_clock::now() + duration;
  for (;;) {
    int wait_ms = -1;
    if (duration.count() > 0) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) {  // the daemon has dropped the timed requests
        for (client::HeldRequest& r : held) r.release();
        return 0;
      }
      wait_ms = static_cast<int>(left.count());
    }
    // Only a hangup of the bus matters (perfqosd's end ends the hold): its messages are not read.
    pollfd fds[3] = {
        {sfd, POLLIN, 0}, {specs.empty() ? -1 : c.fd(), POLLIN, 0}, {profile.fd(), 0, 0}};
    if (poll(fds, 3, wait_ms) < 0 && errno != EINTR)
      return fail("poll: " + std::string(strerror(errno)));
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(sfd, &info, sizeof info) == sizeof info && info.ssi_signo != SIGCHLD) return 0;
    }
    if (fds[1].revents) {
      perfqos_event ev;
      client::Status s = c.next_event(&ev, 0);
      if (!s.ok() && s.code() != EAGAIN) return fail("lost perfqosd: " + s.message());
    }
    if (fds[2].revents & (POLLHUP | POLLERR))
      return fail("lost the system bus: the profile is no longer held");
  }
}

int cmd_run(Options o, const std::vector<std::string>& specs,
            const std::vector<std::string>& command) {
  if (command.empty()) {
    fail("run: give a command after --");
    return kExitUsage;
  }
  if (specs.empty() && o.profile.empty() && !o.uclamp_min && !o.uclamp_max) {
    fail("run: give a SPEC, --profile, --uclamp-min or --uclamp-max before --");
    return kExitUsage;
  }
  // Set on this process before anything is held: the command inherits the clamps at fork.
  if (Status s = set_task_uclamp(o.uclamp_min, o.uclamp_max); !s.ok()) return fail(s.message());
  if (o.note.reason.empty()) o.note.reason = command_reason(command);
  sigset_t signals = forwarded_signals();
  sigset_t old_mask;
  sigprocmask(SIG_BLOCK, &signals, &old_mask);
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  ProfileHold profile;
  if (int rc = hold_profile(o, &profile)) return rc;
  Client c;
  std::vector<client::HeldRequest> held;
  if (!specs.empty()) {  // with only clamps, perfqosd is not needed
    if (int rc = connect(o, &c)) return rc;
    if (int rc = add_specs(o, c, specs, std::chrono::milliseconds(0), &held)) return rc;
  }

  int exec_error[2];
  if (pipe2(exec_error, O_CLOEXEC) != 0) return fail("pipe: " + std::string(strerror(errno)));
  const pid_t child = fork();
  if (child < 0) return fail("fork: " + std::string(strerror(errno)));
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    std::vector<char*> argv;
    for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    const int err = errno;
    (void)!write(exec_error[1], &err, sizeof err);
    _exit(127);
  }
  close(exec_error[1]);
  int err = 0;
  if (read(exec_error[0], &err, sizeof err) == sizeof err) {
    waitpid(child, nullptr, 0);
    fail("cannot run '" + command[0] + "': " + strerror(err));
    return 127;
  }
  for (;;) {
    signalfd_siginfo info;
    if (read(sfd, &info, sizeof info) != sizeof info) continue;
    if (info.ssi_signo != SIGCHLD) {
      kill(child, static_cast<int>(info.ssi_signo));
      continue;
    }
    int status = 0;
    const pid_t done = waitpid(child, &status, WNOHANG);
    if (done != child) continue;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  }
}

}  // namespace perfqos::tools
