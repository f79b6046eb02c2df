// RequestSequence: a device's active requests in the order they were placed, oldest first,
// indexable by position. STATUS pages through them by offset; a std::list made each page walk
// (and copy) every request before the offset, so a flood of one-entry STATUS pages from any
// user cost O(all requests) each (issue #13). Here insert, erase and the seek to position k
// are O(log n), and a page of m entries costs O(log n + m).
//
// Built on libstdc++'s order-statistics tree (__gnu_pbds), the one indexable balanced tree the
// toolchain ships.
//
// Thread safety: none; owned by the model's thread like the Device that holds it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <functional>
#include <span>

namespace perfqos {

class HeldRequest;

class RequestSequence {
 public:
  // Where a request sits: stable while it is in the sequence, never reused.
  using Handle = std::uint64_t;

  RequestSequence() = default;
  RequestSequence(const RequestSequence&) = delete;
  RequestSequence& operator=(const RequestSequence&) = delete;

  // Appends `r` (the newest). O(log n).
  Handle push_back(HeldRequest* r) {
    const Handle h = next_++;
    tree_.insert({h, r});
    return h;
  }
  // REQUIRES: `h` came from push_back and was not erased. O(log n).
  void erase(Handle h) { tree_.erase(h); }
  // Erases the requests at `handles`. When they are at least half of the sequence, the others
  // move to a new tree (one walk over the n entries, then O(s log s) for the s that stay) and
  // the old tree, the erased entries still in it, is swapped into `*leftover` for the caller
  // to free later in steps with shed(), so that no one call frees them all; otherwise they
  // are erased here, O(k log n). Either way they are gone from this sequence on return.
  // `kept` is called on each request that stays when the rest moved (not otherwise); returns
  // whether they moved.
  // REQUIRES: `handles` ascending, each in the sequence; `leftover` empty.
  template <typename Kept>
  bool erase_sorted(std::span<const Handle> handles, RequestSequence* leftover, Kept&& kept_one) {
    if (handles.size() * 2 < tree_.size()) {
      for (const Handle h : handles) tree_.erase(h);
      return false;
    }
    Tree kept;
    std::size_t next = 0;
    for (const auto& [handle, r] : tree_) {
      if (next < handles.size() && handles[next] == handle) {
        ++next;
      } else {
        kept.insert({handle, r});
        kept_one(r);
      }
    }
    tree_.swap(kept);
    leftover->tree_.swap(kept);
    return true;
  }
  // Erases up to `n` entries, the oldest first. Returns how many it erased.
  std::size_t shed(std::size_t n) {
    std::size_t erased = 0;
    for (; erased < n && !tree_.empty(); ++erased) tree_.erase(tree_.begin());
    return erased;
  }

  std::size_t size() const { return tree_.size(); }
  bool empty() const { return tree_.empty(); }
  // REQUIRES: !empty().
  HeldRequest* front() const { return tree_.begin()->second; }

  // Calls `visit` on the requests from position `first` (0 = oldest) on, in order, until it
  // returns false or the sequence ends. O(log n + visited). `visit` must not change the
  // sequence.
  void visit_from(std::size_t first, const std::function<bool(const HeldRequest&)>& visit) const {
    for (auto it = tree_.find_by_order(first); it != tree_.end(); ++it) {
      if (!visit(*it->second)) return;
    }
  }

  // Every request, oldest first.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [handle, r] : tree_) f(r);
  }

 private:
  using Tree = __gnu_pbds::tree<Handle, HeldRequest*, std::less<Handle>, __gnu_pbds::rb_tree_tag,
                                __gnu_pbds::tree_order_statistics_node_update>;
  Tree tree_;
  Handle next_ = 0;
};

}  // namespace perfqos
