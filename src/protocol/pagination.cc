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
  PageBuilder<T> page(max_entries);
  for (const T& entry : candidates) {
    if (!page.open() || !page.add(entry)) break;
  }
  return page.size();
}

}  // namespace

std::size_t page_entry_budget() {
  return kMaxFrameSize - kPageOverhead;
}

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
