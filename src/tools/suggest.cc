#include "tools/suggest.h"

#include <algorithm>
#include <utility>

namespace perfqos::tools {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: distance of a[0..i) and b[0..j); three rows suffice for the swap rule.
  const std::size_t n = b.size();
  std::vector<std::size_t> before(n + 1), previous(n + 1), current(n + 1);
  for (std::size_t j = 0; j <= n; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= n; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    before = previous;
    std::swap(previous, current);
  }
  return previous[n];
}

std::vector<std::string> suggestions(std::string_view written,
                                     const std::vector<std::string>& candidates,
                                     std::size_t max_distance, std::size_t max_count) {
  std::vector<std::pair<std::size_t, std::size_t>> near;  // (distance, index)
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::size_t d = edit_distance(written, candidates[i]);
    if (d > 0 && d <= max_distance) near.emplace_back(d, i);
  }
  std::stable_sort(near.begin(), near.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (std::size_t k = 0; k < near.size() && out.size() < max_count; ++k) {
    out.push_back(candidates[near[k].second]);
  }
  return out;
}

std::string did_you_mean(const std::vector<std::string>& s) {
  if (s.empty()) return "";
  std::string text = "did you mean ";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0) text += i + 1 == s.size() ? " or " : ", ";
    text += s[i];
  }
  return text + "?";
}

}  // namespace perfqos::tools
