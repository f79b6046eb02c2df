// ValueIndex: the requests of a kMin or kMax list grouped by value, the kernel plist's shape
// with an index over it that does not walk (issue #15).
//
// Each distinct value has one node holding its requests in an intrusive doubly linked list
// (Request::prev_/next_), so adding a request to a value that already has one, or removing a
// request that leaves its value held by others, is O(1). The nodes are found by value through an
// open-addressing hash table and ordered by a binary heap over the nodes, whose top is the
// aggregate (the smallest value for kMin, the largest for kMax), read in O(1).
//
// Whether a node holds requests is a bit in a bitmap beside the nodes, not its head pointer (the
// head is meaningful only while the bit is set): the bitmap is 1/128 of the nodes' size and stays
// in cache, so a request that empties a value that is not the top touches no node at all.
//
// A node that loses its last request stays in the heap, empty, until it reaches the top (then it
// and every empty node above the first held one are popped, O(log d) each) or until empty nodes
// outnumber held ones (then the heap is rebuilt from the held nodes, O(d), amortized O(1) per
// removal). So a removal is O(1) unless it empties the top value, a new distinct value costs a
// heap push (O(1) expected for a random value, O(log d) at worst), and the top is never empty.
// d is the number of distinct values; memory is O(d) nodes, never more than 2d + 64.
//
// Not synchronized: the owner holds its lock around every call.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/request.h"

namespace perfqos::detail {

class ValueIndex {
 public:
  // largest_first: kMax (the top is the largest value); otherwise kMin.
  explicit ValueIndex(bool largest_first) : largest_first_(largest_first) {}

  // The number of requests.
  std::size_t size() const { return requests_; }
  // The aggregate. REQUIRES: size() > 0.
  std::int32_t top() const { return top_; }

  // REQUIRES: request is in no index; request.value_ holds its value.
  void link(Request& request) {
    std::uint32_t n = find(request.value_);
    if (n == kNone) n = add_value(request.value_);
    Node& node = nodes_[n];
    std::uint64_t& word = held_[n / 64];
    const std::uint64_t bit = std::uint64_t{1} << (n % 64);
    Request* head = nullptr;
    if ((word & bit) != 0) {
      head = node.head;
      head->prev_ = &request;
    } else {
      word |= bit;
      ++held_values_;
    }
    request.prev_ = nullptr;
    request.next_ = head;
    node.head = &request;
    request.slot_ = n;
    ++requests_;
  }
  // REQUIRES: request is in this index.
  // Only the head of a value's list touches the value's node, and only when another request of
  // the value remains; a value that empties is told from the top by its value (one node per
  // value).
  void unlink(Request& request) {
    --requests_;
    Request* const next = request.next_;
    Request* const prev = request.prev_;
    request.prev_ = request.next_ = nullptr;
    if (next != nullptr) next->prev_ = prev;
    if (prev != nullptr) {
      prev->next_ = next;
      return;
    }
    const std::uint32_t n = request.slot_;
    if (next != nullptr) {
      nodes_[n].head = next;
      return;
    }
    held_[n / 64] &= ~(std::uint64_t{1} << (n % 64));
    --held_values_;
    if (request.value_ == top_ || heap_.size() > 2 * held_values_ + 64) [[unlikely]] {
      emptied(request.value_);
    }
  }

  // Calls f(Request&) for every request, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const std::uint32_t n : heap_) {
      if (!held(n)) continue;
      for (Request* r = nodes_[n].head; r != nullptr; r = r->next_) f(*r);
    }
  }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Node {
    Request* head = nullptr;  // the requests of this value, while held(node)
    std::int32_t value = 0;
  };

  bool held(std::uint32_t node) const { return ((held_[node / 64] >> (node % 64)) & 1) != 0; }

  // True when value a goes above value b in the heap.
  bool before(std::int32_t a, std::int32_t b) const { return largest_first_ ? a > b : a < b; }
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);
  // A node (in the hash table and the heap, empty) for a value that has none.
  std::uint32_t add_value(std::int32_t value);
  // The node of `value` lost its last request, and it is the top or compaction is due.
  void emptied(std::int32_t value);
  // Pops empty nodes off the top until a held one is there (or the heap is empty); sets top_.
  void pop_empty_tops();
  // Drops every empty node and rebuilds the heap from the held ones; sets top_.
  void compact();

  std::uint32_t new_node(std::int32_t value);
  void free_node(std::uint32_t node);

  // The hash table: node numbers in slots_ (kNone: free), linear probing, at most half full.
  std::size_t home(std::int32_t value) const {
    return (static_cast<std::uint32_t>(value) * 0x9E3779B9u) >> shift_;
  }
  // The node of `value`, or kNone.
  std::uint32_t find(std::int32_t value) const {
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(value);; i = (i + 1) & mask) {
      const std::uint32_t n = slots_[i];
      if (n == kNone || nodes_[n].value == value) return n;
    }
  }
  void hash_insert(std::uint32_t node);
  void hash_erase(std::uint32_t node);
  void hash_grow();

  bool largest_first_;
  std::vector<Node> nodes_;
  std::vector<std::uint64_t> held_;  // bit n: node n has requests
  std::vector<std::uint32_t> free_nodes_;
  std::vector<std::uint32_t> heap_;  // every node in use, held or empty
  std::vector<std::uint32_t> slots_;
  unsigned shift_ = 32;          // 32 - log2(slots_.size())
  std::size_t held_values_ = 0;  // nodes with requests
  std::size_t requests_ = 0;
  // The top node's value, kept beside the heap so that reading it is one load.
  std::int32_t top_ = 0;
};

}  // namespace perfqos::detail
