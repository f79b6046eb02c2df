#include "protocol/pagination.h"

#include <algorithm>

#include "protocol/codec.h"
#include "protocol/limits.h"

namespace perfqos::protocol {
namespace {

// Header, ok status (errno + empty message), total, next_offset, entry count.
constexpr std::size_t kPageOverhead = kHeaderSize + 4 + 2 + 4 + 4 + 2;

template <class T>
std::size_t fit(std::span<const T> candidates, std::size_t max_entries) {
  std::size_t limit = std::min(candidates.size(), kMaxPageEntries);
  if (max_entries != 0) limit = std::min(limit, max_entries);
  std::size_t used = kPageOverhead;
  std::size_t n = 0;
  while (n < limit) {
    std::size_t size = encoded_size(candidates[n]);
    if (used + size > kMaxFrameSize) break;
    used += size;
    ++n;
  }
  return n;
}

}  // namespace

std::size_t fit_page(std::span<const DeviceInfo> candidates, std::size_t max_entries) {
  return fit(candidates, max_entries);
}

std::size_t fit_page(std::span<const HolderEntry> candidates, std::size_t max_entries) {
  return fit(candidates, max_entries);
}

std::size_t fit_page(std::span<const CgroupDataEntry> candidates, std::size_t max_entries) {
  return fit(candidates, max_entries);
}

}  // namespace perfqos::protocol
