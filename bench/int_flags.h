// parse_int_flags: the command line of a benchmark that takes only `--name N` pairs, N >= 1.
// Returns false (the caller prints its usage) on an unknown flag, a missing or non-positive N.
#pragma once

#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

namespace perfqos::bench {

inline bool parse_int_flags(int argc, char** argv,
                            const std::vector<std::pair<std::string_view, int*>>& flags) {
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) return false;
    int* target = nullptr;
    for (const auto& [name, value] : flags) {
      if (argv[i] == name) target = value;
    }
    char* end = nullptr;
    const long v = std::strtol(argv[i + 1], &end, 10);
    if (target == nullptr || *end != '\0' || v < 1 || v > 1'000'000'000) return false;
    *target = static_cast<int>(v);
  }
  return true;
}

}  // namespace perfqos::bench
