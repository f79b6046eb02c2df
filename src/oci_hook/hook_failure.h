// How perfqos-oci-hook fails: one class per kind of failure, each the exit status under
// --fail-closed (perfqos-oci-hook(1), EXIT STATUS). Under the default fail-open the hook logs
// the same line and exits 0, so the container starts without its requests.
#pragma once

#include <chrono>
#include <string>

namespace perfqos::oci {

enum class Failure : int {
  kBadInput = 1,     // the state JSON or an annotation is malformed or unsupported
  kUnreachable = 2,  // perfqosd is down or did not answer within --timeout
  kRefused = 3,      // perfqosd refused a request (policy, range, no such device, quota)
  kNoCgroup = 4,     // the container's process or its cgroup v2 cgroup was not found
};
inline constexpr int kExitUsage = 64;  // a bad command line: always fails (the hook file is wrong)

struct HookError {
  Failure failure;
  std::string message;
};

// The time left of the hook's one --timeout, which bounds everything it waits for.
class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : budget_(budget), end_(std::chrono::steady_clock::now() + budget) {}
  // Milliseconds left, at least 0.
  int remaining_ms() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end_ - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  }
  long long budget_ms() const { return budget_.count(); }

 private:
  std::chrono::milliseconds budget_;
  std::chrono::steady_clock::time_point end_;
};

}  // namespace perfqos::oci
