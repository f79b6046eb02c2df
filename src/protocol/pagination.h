// Pagination of LIST_DEVICES, STATUS and CGROUP_DATA replies (docs/protocol.md, "Pagination"): the
// server answers a page starting at the requested offset with as many entries as fit in one frame.
#pragma once

#include <cstddef>
#include <span>

#include "protocol/messages.h"

namespace perfqos::protocol {

// The number of leading entries of `candidates` that one reply frame can carry, at most
// `max_entries` (0 = no limit besides the frame) and kMaxPageEntries. At least 1 when
// `candidates` is not empty, since a single entry always fits.
std::size_t fit_page(std::span<const DeviceInfo> candidates, std::size_t max_entries);
std::size_t fit_page(std::span<const HolderEntry> candidates, std::size_t max_entries);
std::size_t fit_page(std::span<const CgroupDataEntry> candidates, std::size_t max_entries);

}  // namespace perfqos::protocol
