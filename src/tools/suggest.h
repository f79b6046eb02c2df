// "Did you mean" for names people type (devices, knobs): the candidates within a small edit
// distance of what was written.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace perfqos::tools {

// The optimal-string-alignment (restricted Damerau-Levenshtein) distance: insertions,
// deletions, substitutions and swaps of two adjacent characters each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates at distance 1..max_distance from `written`, nearest first (ties in the order
// given), at most `max_count`. Exact matches are not suggestions.
std::vector<std::string> suggestions(std::string_view written,
                                     const std::vector<std::string>& candidates,
                                     std::size_t max_distance = 2, std::size_t max_count = 3);

// "did you mean a?", "did you mean a or b?", "did you mean a, b or c?"; "" for no suggestion.
std::string did_you_mean(const std::vector<std::string>& suggestions);

}  // namespace perfqos::tools
