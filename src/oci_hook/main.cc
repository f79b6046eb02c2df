// perfqos-oci-hook: run by an OCI runtime (runc, crun, CRI-O, Podman, containerd) as a
// createRuntime or poststart hook; binds the container's perfqos annotations to its cgroup as
// transient bindings, which end when the container's cgroup empties or is removed (no stop hook).
// See perfqos-oci-hook(1) and docs/kubernetes.md.
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "oci_hook/annotations.h"
#include "oci_hook/container_binder.h"
#include "oci_hook/container_cgroup.h"
#include "oci_hook/hook_failure.h"
#include "oci_hook/oci_state.h"
#include "protocol/field_rules.h"
#include "protocol/limits.h"
#include "util/mountinfo.h"

namespace {

namespace client = perfqos::client;
using perfqos::Status;
using perfqos::oci::Deadline;
using perfqos::oci::Failure;
using perfqos::oci::HookError;

struct Options {
  std::string socket;
  int timeout_ms = 2000;
  bool fail_closed = false;
  bool verbose = false;
};

// Reads stdin to its end, at most kMaxStateBytes + 1, waiting no longer than the deadline.
std::optional<HookError> read_state_text(const Deadline& deadline, std::string* out) {
  char buf[16 * 1024];
  for (;;) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int left = deadline.remaining_ms();
    const int ready = left > 0 ? ::poll(&p, 1, left) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      return HookError{Failure::kBadInput, "the runtime did not close stdin (the container state) "
                                           "within the timeout of " +
                                               std::to_string(deadline.budget_ms()) + " ms"};
    }
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return HookError{Failure::kBadInput, "cannot read the state from stdin"};
    if (n == 0) return std::nullopt;
    out->append(buf, static_cast<std::size_t>(n));
    if (out->size() > perfqos::oci::kMaxStateBytes) {
      return HookError{Failure::kBadInput,
                       "state: larger than " + std::to_string(perfqos::oci::kMaxStateBytes) +
                           " bytes"};
    }
  }
}

std::string socket_path(const Options& o) {
  if (!o.socket.empty()) return o.socket;
  const char* env = std::getenv(PERFQOS_SOCKET_ENV);
  return env != nullptr && env[0] != '\0' ? env : PERFQOS_DEFAULT_SOCKET;
}


// The application id the bindings carry: "oci:" and the container id, in the characters a
// container id may have, cut to the protocol's limit.
std::string app_id_of(const std::string& id) {
  std::string out = "oci:";
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (ok && out.size() < perfqos::protocol::kMaxAppId) out += c;
  }
  return out;
}

// Everything after the options; returns the failure, or nullopt on success.
std::optional<HookError> run(const Options& o, const Deadline& deadline) {
  using namespace perfqos::oci;
  std::string text;
  if (auto e = read_state_text(deadline, &text)) return e;
  ContainerState state;
  if (Status s = parse_container_state(text, &state); !s.ok()) {
    return HookError{Failure::kBadInput, s.message()};
  }
  // Nothing of ours: the container starts exactly as without the hook, the daemon untouched.
  if (!has_hook_annotations(state.annotations)) return std::nullopt;
  HookPlan plan;
  if (Status s = plan_from_annotations(state.annotations, &plan); !s.ok()) {
    return HookError{Failure::kBadInput, s.message()};
  }
  client::Client::Note note;
  note.reason = plan.reason.empty() ? "container " + state.id : plan.reason;
  if (note.reason.size() > perfqos::protocol::kMaxReason) {
    note.reason.resize(perfqos::protocol::kMaxReason);  // only our default can be that long
  }
  if (auto why = perfqos::protocol::check_note(kReasonKey, note.reason,
                                               perfqos::protocol::kMaxReason)) {
    return HookError{Failure::kBadInput, "annotation " + *why};
  }
  note.app_id = app_id_of(state.id);
  if (plan.requests.empty() && !plan.cpu_resume_latency && plan.profile.empty()) {
    return std::nullopt;  // "enable"
  }

  if (Status s = need_pid(state); !s.ok()) return HookError{Failure::kBadInput, s.message()};
  std::string cgroup;
  if (Status s = read_container_cgroup(state.pid, &cgroup); !s.ok()) {
    return HookError{Failure::kNoCgroup, s.message()};
  }

  client::Client c;
  const std::string path = socket_path(o);
  const int left = deadline.remaining_ms();  // 0 would mean libperfqos' default, 5 s
  if (left <= 0) {
    return HookError{Failure::kUnreachable, "no time left to reach perfqosd within the timeout of " +
                                                std::to_string(deadline.budget_ms()) + " ms"};
  }
  if (client::Status s = client::Client::connect(&c, path.c_str(), left); !s.ok()) {
    return HookError{is_unreachable(s.code()) ? Failure::kUnreachable : Failure::kRefused,
                     "cannot reach perfqosd at " + path + ": " + s.message()};
  }
  ContainerBinder binder(c, deadline);
  std::vector<PlannedRequest> requests = plan.requests;
  if (!plan.profile.empty()) {
    std::size_t absent = 0;
    if (auto e = binder.profile_requests(plan.profile, &requests, &absent)) return e;
    if (absent > 0 && o.verbose) {
      std::fprintf(stderr,
                   "perfqos-oci-hook: container %s: note: profile %s: %zu requests skipped: "
                   "their device is not on this node\n",
                   state.id.c_str(), plan.profile.c_str(), absent);
    }
  }
  if (auto r = cpu_request(plan)) requests.push_back(std::move(*r));
  std::vector<std::uint32_t> ids;
  if (auto e = binder.bind_all(requests, cgroup, note, &ids)) return e;
  if (o.verbose) {
    std::fprintf(stderr, "perfqos-oci-hook: container %s: %zu requests bound to %s\n",
                 state.id.c_str(), ids.size(), cgroup.c_str());
  }
  return std::nullopt;
}

constexpr char kFooter[] = R"(
Annotations (one SPEC per annotation, in perfqosctl's SPEC syntax):
  perfqos.io/request.NAME: "SPEC"   e.g. perfqos.io/request.a: "cpu_dma_latency=25"
  perfqos.io/reason: "TEXT"         why they are held (perfqosctl status shows it)
  perfqos.io/profile: "NAME"        a profile's requests (perfqosd's built-in power-saver,
                                    balanced, performance, or its config's [[profile]]s)
  cpu-c-states.crio.io: "disable" | "enable" | "max_latency:N"
                                    resume_latency 0 / none / N us on each CPU of the container
                                    (its cgroup's cpuset.cpus.effective, followed by perfqosd)
Without any of them the hook exits 0 at once and does not contact perfqosd.

The requests are bound to the container's cgroup v2 cgroup (from /proc/PID/cgroup) as transient
bindings: they end when the cgroup empties or is removed, so no stop hook is needed. All or
nothing: when one request fails, those already bound are unbound.

Exit status: 0 on success or when there is nothing to do; on failure one line on stderr and
  0 (fail-open, the default: the container starts without its requests), or with --fail-closed
  1  the state JSON or an annotation is malformed or unsupported
  2  perfqosd is down or did not answer within --timeout
  3  perfqosd refused a request (its [[container]] policy, range, no such device, quota)
  4  the container's process or its cgroup v2 cgroup was not found
  64 a bad command line (always, fail-open or not)
)";

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "perfqos-oci-hook: an OCI runtime hook (createRuntime or poststart) that binds the "
      "container's perfqos.io/ and cpu-c-states.crio.io annotations to its cgroup through "
      "perfqosd. Reads the container state JSON on stdin.",
      "perfqos-oci-hook"};
  app.add_option("--socket", o.socket,
                 "perfqosd's socket (default: $" PERFQOS_SOCKET_ENV ", else " PERFQOS_DEFAULT_SOCKET
                 ")");
  app.add_option("--timeout", o.timeout_ms,
                 "Milliseconds for everything: reading stdin, connecting and every call")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  app.add_flag("--fail-closed", o.fail_closed,
               "Exit non-zero on failure (the runtime then fails the container start)");
  app.add_flag("--fail-open", [&o](std::int64_t) { o.fail_closed = false; },
               "Exit 0 on failure after logging it (the default)");
  app.add_flag("-v,--verbose", o.verbose, "Say on stderr what was bound");
  app.footer(kFooter);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : perfqos::oci::kExitUsage;
  }
  const Deadline deadline{std::chrono::milliseconds(o.timeout_ms)};
  const std::optional<HookError> e = run(o, deadline);
  if (!e) return 0;
  std::fprintf(stderr, "perfqos-oci-hook: %s%s\n", e->message.c_str(),
               o.fail_closed ? "" : " (fail-open: the container starts without its requests)");
  return o.fail_closed ? static_cast<int>(e->failure) : 0;
}
