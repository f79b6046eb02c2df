// FUZZ_CHECK: the fuzz targets' assertion. A broken property must end the run the way a crash
// does, in every build type (assert() vanishes under NDEBUG): libFuzzer then keeps the input as a
// crash artifact, and the replay test of that input fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace perfqos::fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line,
                                      const std::string& detail = {}) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s%s%s\n", file, line, what,
               detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

}  // namespace perfqos::fuzz

#define FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::perfqos::fuzz::check_failed(#cond, __FILE__, __LINE__))
// As FUZZ_CHECK; `detail` (a std::string expression) is evaluated only on failure.
#define FUZZ_CHECK_MSG(cond, detail) \
  ((cond) ? static_cast<void>(0)     \
          : ::perfqos::fuzz::check_failed(#cond, __FILE__, __LINE__, (detail)))
