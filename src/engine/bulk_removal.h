// Bulk removal: taking many requests out of one Aggregator at once, built only on its public
// interface (insert/erase/for_each/size), for ConstraintList::remove_all and
// RangeConstraint::remove_all (issue #15: a holder of 1M requests going away).
//
// Erasing k requests one by one costs k erases. When they are at least half of the aggregator,
// the s = size - k survivors move to a fresh aggregator instead (s erases and s inserts), found
// from the caller's list of them or else by one for_each over the old one, and the old one is
// dropped with the removed requests still in it: nothing reads them through it again.
//
// Not synchronized: the owner holds its lock around the call.
#pragma once

#include <cstddef>
#include <utility>
#include <span>
#include <vector>

#include "engine/aggregator.h"
#include "engine/request.h"

namespace perfqos::detail {

// Replaces `*from` by a fresh aggregator holding only `kept` (which leave `*from` first); the
// others stay linked in the old one, which is dropped: nothing reads them through it again.
// O(|kept|). REQUIRES: every request of `kept` is in `*from`, none twice.
inline void keep_only(Aggregator& from, std::span<Request* const> kept) {
  Aggregator fresh(from.type());
  for (Request* r : kept) {
    from.erase(*r);
    fresh.insert(*r);
  }
  std::swap(from, fresh);  // the old one, and the removed requests' links in it, go here
}

// Takes `removed` out of `*from`. `survives(r)` tells the requests of `*from` that stay from
// those in `removed`, which the caller has already detached. `rest`, when given, may be every
// request of `*from` not in `removed` (the caller often knows them): if it is (the sizes add up
// and each survives), the rebuild takes them from it instead of a pass over `*from`.
// REQUIRES: every request of `removed` is in `*from`, none twice; none twice in `*rest`.
template <typename Survives>
void remove_requests(Aggregator& from, std::span<Request* const> removed,
                     const std::span<Request* const>* rest, Survives&& survives) {
  if (removed.empty()) return;
  std::span<Request* const> kept;
  std::vector<Request*> found;
  const auto all_survive = [&](std::span<Request* const> some) {
    for (const Request* r : some) {
      if (!survives(*r)) return false;
    }
    return true;
  };
  if (rest != nullptr && rest->size() <= removed.size() &&
      rest->size() + removed.size() == from.size() && all_survive(*rest)) {
    kept = *rest;
  } else if (removed.size() * 2 < from.size()) {
    for (Request* r : removed) from.erase(*r);
    return;
  } else {
    found.reserve(from.size() - removed.size());
    from.for_each([&](Request& r) {
      if (survives(r)) found.push_back(&r);
    });
    kept = found;
  }
  keep_only(from, kept);
}

}  // namespace perfqos::detail
