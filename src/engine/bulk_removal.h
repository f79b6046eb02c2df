// Bulk removal: taking many requests out of one Aggregator at once, built only on its public
// interface (insert/erase/for_each/size), for ConstraintList::remove_all and
// RangeConstraint::remove_all (issue #15: a holder of 1M requests going away).
//
// Erasing k requests one by one costs k erases. When they are at least half of the aggregator,
// the s = size - k survivors move to a fresh aggregator instead (s erases and s inserts), given
// by the caller (keep_only) or found by one for_each over the old one (remove_requests), and the
// old one is dropped with the removed requests still in it: nothing reads them through it again.
//
// Not synchronized: the owner holds its lock around the call.
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "engine/aggregator.h"
#include "engine/request.h"

namespace perfqos::detail {

// Replaces `from` by a fresh aggregator holding only `kept` (which leave `from` first); the
// others stay linked in the old one, which is dropped: nothing reads them through it again.
// O(|kept|). REQUIRES: every request of `kept` is in `from`, none twice.
inline void keep_only(Aggregator& from, std::span<Request* const> kept) {
  Aggregator fresh(from.type());
  for (Request* r : kept) {
    from.erase(*r);
    fresh.insert(*r);
  }
  std::swap(from, fresh);  // the old one, and the removed requests' links in it, go here
}

// Takes `removed` out of `from`. `survives(r)` tells the requests of `from` that stay from those
// in `removed`, which the caller has already detached. Fewer than half: erased one by one,
// O(|removed|); otherwise the others are found by one pass over `from` and kept, O(size).
// REQUIRES: every request of `removed` is in `from`, none twice.
template <typename Survives>
void remove_requests(Aggregator& from, std::span<Request* const> removed, Survives&& survives) {
  if (removed.empty()) return;
  if (removed.size() * 2 < from.size()) {
    for (Request* r : removed) from.erase(*r);
    return;
  }
  std::vector<Request*> kept;
  kept.reserve(from.size() - removed.size());
  from.for_each([&](Request& r) {
    if (survives(r)) kept.push_back(&r);
  });
  keep_only(from, kept);
}

}  // namespace perfqos::detail
