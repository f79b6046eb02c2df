#include "backends/named_choices.h"

#include <algorithm>
#include <array>
#include <sstream>

namespace perfqos::backends {

namespace {

constexpr std::array<std::string_view, 4> kEppOrder = {"power", "balance_power",
                                                       "balance_performance", "performance"};
constexpr std::array<std::string_view, 7> kProfileOrder = {
    "low-power", "cool",        "quiet",    "balanced", "balanced-performance",
    "performance", "max-power"};
// Offered words that are not levels: the firmware's default, a user-defined profile.
constexpr std::string_view kEppNotALevel = "default";
constexpr std::string_view kProfileNotALevel = "custom";

}  // namespace

NamedChoices order_choices(KnobId knob, std::string_view offered) {
  const bool epp = knob == KnobId::kEpp;
  const std::string_view* order = epp ? kEppOrder.data() : kProfileOrder.data();
  const std::size_t order_size = epp ? kEppOrder.size() : kProfileOrder.size();
  const std::string_view not_a_level = epp ? kEppNotALevel : kProfileNotALevel;

  std::vector<bool> seen(order_size, false);
  NamedChoices out;
  std::istringstream in{std::string(offered)};
  std::string word;
  while (in >> word) {
    if (word == not_a_level) continue;
    const auto* at = std::find(order, order + order_size, word);
    if (at == order + order_size) {
      if (std::find(out.unknown.begin(), out.unknown.end(), word) == out.unknown.end())
        out.unknown.push_back(word);
      continue;
    }
    seen[static_cast<std::size_t>(at - order)] = true;
  }
  for (std::size_t i = 0; i < order_size; ++i) {
    if (seen[i]) out.choices.emplace_back(order[i]);
  }
  return out;
}

}  // namespace perfqos::backends
