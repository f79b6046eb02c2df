// Pagination of LIST_DEVICES, STATUS and CGROUP_DATA replies (docs/protocol.md, "Pagination"): the
// server answers a page starting at the requested offset with as many entries as fit in one frame.
//
// A page must cost what it carries, not what the listing holds (issue #13: a STATUS page that
// rebuilt every request let any user slow the daemon down): PageBuilder takes entries one at a
// time, from the offset on, and says when the page is full, so the caller stops producing them.
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "protocol/codec.h"
#include "protocol/messages.h"

namespace perfqos::protocol {

// The number of leading entries of `candidates` that one reply frame can carry, at most
// `max_entries` (0 = no limit besides the frame) and kMaxPageEntries. At least 1 when
// `candidates` is not empty, since a single entry always fits.
std::size_t fit_page(std::span<const DeviceInfo> candidates, std::size_t max_entries);
std::size_t fit_page(std::span<const HolderEntry> candidates, std::size_t max_entries);
std::size_t fit_page(std::span<const CgroupDataEntry> candidates, std::size_t max_entries);

// Bytes one reply frame has for entries beside its header, status, total, next_offset and count.
std::size_t page_entry_budget();

// One page, filled entry by entry with the limits of fit_page(): same entries, same count.
// T is DeviceInfo, HolderEntry, CgroupDataEntry or BindingEntry. Not thread-safe (one per reply).
template <class T>
class PageBuilder {
 public:
  // `max_entries`: 0 = as many as fit.
  explicit PageBuilder(std::size_t max_entries)
      : limit_(max_entries == 0 || max_entries > kMaxPageEntries ? kMaxPageEntries : max_entries),
        left_(page_entry_budget()) {}

  // True while another entry may fit: produce the next one and add() it only then.
  bool open() const { return !full_ && entries_.size() < limit_; }
  // Adds `entry` when it fits and returns true; otherwise the page is full, `entry` is dropped
  // and false is returned. REQUIRES: open().
  bool add(T entry) {
    const std::size_t size = encoded_size(entry);
    if (size > left_) {
      full_ = true;
      return false;
    }
    left_ -= size;
    entries_.push_back(std::move(entry));
    return open();
  }
  std::size_t size() const { return entries_.size(); }
  std::vector<T> take() && { return std::move(entries_); }

 private:
  std::size_t limit_;
  std::size_t left_;
  bool full_ = false;
  std::vector<T> entries_;
};

}  // namespace perfqos::protocol
