#include "engine/value_index.h"

namespace perfqos::detail {

std::uint32_t ValueIndex::add_value(std::int32_t value) {
  const std::uint32_t n = new_node(value);
  hash_insert(n);
  heap_.push_back(n);
  sift_up(heap_.size() - 1);
  top_ = nodes_[heap_.front()].value;
  return n;
}

void ValueIndex::emptied(std::int32_t value) {
  if (value == top_) {
    pop_empty_tops();
  } else {
    compact();
  }
}

void ValueIndex::sift_up(std::size_t pos) {
  const std::uint32_t moving = heap_[pos];
  const std::int32_t value = nodes_[moving].value;
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (!before(value, nodes_[heap_[parent]].value)) break;
    heap_[pos] = heap_[parent];
    pos = parent;
  }
  heap_[pos] = moving;
}

void ValueIndex::sift_down(std::size_t pos) {
  const std::size_t n = heap_.size();
  const std::uint32_t moving = heap_[pos];
  const std::int32_t value = nodes_[moving].value;
  for (;;) {
    std::size_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n && before(nodes_[heap_[child + 1]].value, nodes_[heap_[child]].value)) {
      ++child;
    }
    if (!before(nodes_[heap_[child]].value, value)) break;
    heap_[pos] = heap_[child];
    pos = child;
  }
  heap_[pos] = moving;
}

void ValueIndex::pop_empty_tops() {
  while (!heap_.empty() && !held(heap_.front())) {
    const std::uint32_t top = heap_.front();
    hash_erase(top);
    free_node(top);
    const std::uint32_t last = heap_.back();
    heap_.pop_back();
    if (heap_.empty()) break;
    heap_[0] = last;
    sift_down(0);
  }
  if (!heap_.empty()) top_ = nodes_[heap_.front()].value;
}

void ValueIndex::compact() {
  std::size_t kept = 0;
  for (const std::uint32_t n : heap_) {
    if (!held(n)) {
      hash_erase(n);
      free_node(n);
    } else {
      heap_[kept++] = n;
    }
  }
  heap_.resize(kept);
  for (std::size_t pos = kept / 2; pos-- > 0;) sift_down(pos);
  if (!heap_.empty()) top_ = nodes_[heap_.front()].value;
}

std::uint32_t ValueIndex::new_node(std::int32_t value) {
  std::uint32_t n;
  if (!free_nodes_.empty()) {
    n = free_nodes_.back();
    free_nodes_.pop_back();
  } else {
    n = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    if (held_.size() * 64 < nodes_.size()) held_.push_back(0);
  }
  nodes_[n] = Node{nullptr, value};
  return n;
}

void ValueIndex::free_node(std::uint32_t node) { free_nodes_.push_back(node); }

void ValueIndex::hash_insert(std::uint32_t node) {
  if (2 * (heap_.size() + 1) > slots_.size()) hash_grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(nodes_[node].value);
  while (slots_[i] != kNone) i = (i + 1) & mask;
  slots_[i] = node;
}

void ValueIndex::hash_erase(std::uint32_t node) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = home(nodes_[node].value);
  while (slots_[hole] != node) hole = (hole + 1) & mask;
  // Backward shift: move up every later entry of the run that may not sit past the hole.
  for (std::size_t i = (hole + 1) & mask; slots_[i] != kNone; i = (i + 1) & mask) {
    const std::size_t want = home(nodes_[slots_[i]].value);
    // The entry at i can fill the hole when its home is not in (hole, i], cyclically.
    const bool home_after_hole = hole <= i ? (want > hole && want <= i) : (want > hole || want <= i);
    if (!home_after_hole) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = kNone;
}

void ValueIndex::hash_grow() {
  const std::size_t size = slots_.empty() ? 16 : 2 * slots_.size();
  slots_.assign(size, kNone);
  shift_ = 32 - static_cast<unsigned>(__builtin_ctzll(size));
  const std::size_t mask = size - 1;
  for (const std::uint32_t n : heap_) {
    std::size_t i = home(nodes_[n].value);
    while (slots_[i] != kNone) i = (i + 1) & mask;
    slots_[i] = n;
  }
}

}  // namespace perfqos::detail
