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

#include <bit>
#include <cstddef>
#include <cstdint>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <functional>
#include <iterator>
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
  // True when `h` is in the sequence. O(log n).
  bool contains(Handle h) const { return tree_.find(h) != tree_.end(); }

  // Erases the requests at `handles`, of which `present` are in the sequence (the others were
  // erased before: skipped). When those are at least half of the sequence, the s that stay move
  // to a new tree and the old one, the erased entries still in it, is swapped into `*leftover`
  // for the caller to free later in steps with shed(), so that no one call frees them all;
  // `kept` is then called on each that stays, and true returned. Finding those s takes
  // O((s + b) log n), b the breaks in the run of `handles` (h, h + 1, ...), or one walk over
  // the n entries when that is less. Otherwise the requests are erased one by one,
  // O(|handles| log n), and false returned.
  // REQUIRES: `handles` strictly ascending; `leftover` empty.
  template <typename Kept>
  bool erase_many(std::span<const Handle> handles, std::size_t present, RequestSequence* leftover,
                  Kept&& kept) {
    const std::size_t n = tree_.size();
    if (handles.empty() || present * 2 < n) {
      for (const Handle h : handles) tree_.erase(h);
      return false;
    }
    Tree fresh;
    const auto keep = [&](Tree::const_iterator it) {
      fresh.insert(*it);
      kept(it->second);
    };
    std::size_t breaks = 0;
    for (std::size_t i = 0; i + 1 < handles.size(); ++i) breaks += handles[i + 1] != handles[i] + 1;
    const auto log_n = static_cast<std::size_t>(std::bit_width(n));
    if ((n - present + breaks + 2) * log_n < n) {
      // The survivors lie before the first handle, after the last, or in the breaks.
      const auto keep_until = [&](Tree::const_iterator it, const Handle* end) {
        for (; it != tree_.end() && (end == nullptr || it->first < *end); ++it) keep(it);
      };
      keep_until(tree_.begin(), &handles.front());
      for (std::size_t i = 0; i < handles.size(); ++i) {
        const bool last = i + 1 == handles.size();
        if (!last && handles[i + 1] == handles[i] + 1) continue;
        keep_until(tree_.upper_bound(handles[i]), last ? nullptr : &handles[i + 1]);
      }
    } else {
      std::size_t next = 0;
      for (auto it = tree_.begin(); it != tree_.end(); ++it) {
        while (next < handles.size() && handles[next] < it->first) ++next;
        if (next < handles.size() && handles[next] == it->first) continue;
        keep(it);
      }
    }
    tree_.swap(fresh);
    leftover->tree_.swap(fresh);
    return true;
  }
  // Erases up to `n` entries, the newest first. Returns how many it erased.
  std::size_t shed(std::size_t n) {
    std::size_t erased = 0;
    for (; erased < n && !tree_.empty(); ++erased) tree_.erase(std::prev(tree_.end()));
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
