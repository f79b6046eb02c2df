#include "model/broker.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <unordered_map>
#include <vector>

#include "model/value_text.h"

namespace perfqos {

namespace {

std::string what(const Device& device, KnobId knob, RangeEnd end) {
  return device.name() + "." + knob_request_name(knob, end);
}

// A value the knob's spec refuses; a named knob's message also says which words the indices
// stand for (on the wire its values are indices).
Status refuse_value(const Device& device, const Knob& knob, RangeEnd end, std::int32_t value,
                    const ListSpec& spec) {
  Status s = out_of_range(what(device, knob.id(), end), knob.id(), value, spec);
  if (knob.choices().empty()) return s;
  return Status::Error(EINVAL,
                       s.message() + " (the indices of " + join_choices(knob.choices()) + ")");
}

Status check_spec(const DeviceSpec& spec) {
  if (Status s = check_device_name(spec.name); !s.ok()) return s;
  std::set<KnobId> seen;
  for (const KnobSpec& k : spec.knobs) {
    const std::string where = spec.name + "." + knob_name(k.id);
    if (!seen.insert(k.id).second) return Status::Error(EINVAL, where + ": knob given twice");
    if (is_named_knob(k.id) &&
        (k.choices.empty() ||
         k.limits != Range{0, static_cast<std::int32_t>(k.choices.size()) - 1})) {
      return Status::Error(EINVAL, where + ": a named knob needs choices and limits 0..n-1");
    }
    if (!is_named_knob(k.id) && !k.choices.empty()) {
      return Status::Error(EINVAL, where + ": only epp and profile knobs have choices");
    }
    if (is_range_knob(k.id)) {
      if (k.limits.min < 0) {
        return Status::Error(EINVAL, where + ": limit_min " + std::to_string(k.limits.min) +
                                         " is negative: limits are 0..2147483647");
      }
      if (k.limits.min > k.limits.max) {
        return Status::Error(EINVAL, where + ": limit_min " + std::to_string(k.limits.min) +
                                         " is above limit_max " + std::to_string(k.limits.max));
      }
      if (spec.perf_unit == PerfUnit::kNormal &&
          (k.limits.min < 0 || k.limits.max > kPerfNormalMax)) {
        return Status::Error(EINVAL, where + ": limits " + std::to_string(k.limits.min) + ".." +
                                         std::to_string(k.limits.max) +
                                         " outside 0..1024 for unit normal");
      }
    } else if (!k.list.valid()) {
      return Status::Error(EINVAL, where + ": invalid list spec: requests must be 0 <= " +
                                       "min_request <= max_request and the default a valid " +
                                       "request");
    }
  }
  if (spec.perf_unit != PerfUnit::kNone && !seen.contains(KnobId::kRange)) {
    return Status::Error(EINVAL, spec.name + ": a perf QoS device needs a range knob");
  }
  return Status::Ok();
}

}  // namespace

Broker::~Broker() {
  // First: retired requests must be released before anything else of theirs goes.
  while (reclaim(SIZE_MAX)) {
  }
  registry_.listeners_.clear();  // tearing down is not news: listeners may be gone already
  for (const auto& device : registry_.devices()) {
    if (device->registered() && device->parent() == nullptr) unregister_tree(*device, false);
  }
}

Status Broker::register_device(DeviceSpec spec, std::shared_ptr<DeviceBackend> backend) {
  if (Status s = check_spec(spec); !s.ok()) return s;
  if (registry_.find(spec.name)) {
    return Status::Error(EEXIST, "device '" + spec.name + "' is already registered");
  }
  Device* parent = nullptr;
  if (!spec.parent.empty()) {
    parent = registry_.find(spec.parent).get();
    if (parent == nullptr) {
      return Status::Error(
          ENODEV, "device '" + spec.name + "': parent '" + spec.parent + "' is not registered");
    }
  }
  std::shared_ptr<Device> device(new Device(std::move(spec), std::move(backend), parent));
  if (parent != nullptr) parent->children_.push_back(device.get());
  registry_.insert(std::move(device));
  return Status::Ok();
}

Status Broker::unregister_device(std::string_view name, bool release) {
  std::shared_ptr<Device> device = registry_.find(name);
  if (!device) return Status::Error(ENODEV, "no device '" + std::string(name) + "'");
  unregister_tree(*device, release);
  return Status::Ok();
}

void Broker::unregister_tree(Device& device, bool release) {
  // Copy: unregistering a child edits this vector.
  const std::vector<Device*> children = device.children_;
  for (Device* child : children) unregister_tree(*child, release);
  while (!device.requests_.empty()) {
    HeldRequest& r = *device.requests_.front();
    device.requests_.erase(r.in_device_);
    (void)r.request_.remove();
    r.holder_->forget_device(device);
    r.device_ = nullptr;
    if (r.expiry_) {
      expiries_.erase(r.in_expiry_);
      r.expiry_.reset();
      --r.holder_->timed_;
    }
  }
  if (release) {
    for (const auto& knob : device.knobs_) (void)apply(device, *knob);  // best effort
  }
  if (device.parent_ != nullptr) std::erase(device.parent_->children_, &device);
  device.parent_ = nullptr;
  device.registered_ = false;
  registry_.erase(device.name());  // may free `device` unless someone else holds it
}

std::unique_ptr<Holder> Broker::make_holder(HolderIdentity identity) {
  return std::unique_ptr<Holder>(new Holder(*this, std::move(identity)));
}

Status Broker::resolve(const RequestTarget& target, Device** device, Knob** knob) const {
  std::shared_ptr<Device> named = registry_.find(target.device);
  if (!named) return Status::Error(ENODEV, "no device '" + target.device + "'");
  Device* d = target.ancestor ? named->parent() : named.get();
  while (d != nullptr && target.ancestor && d->knob(target.knob) == nullptr) d = d->parent();
  if (d == nullptr) {
    return Status::Error(ENODEV, "no ancestor of '" + target.device + "' has knob '" +
                                     knob_request_name(target.knob, target.end) + "'");
  }
  Knob* k = d->knob(target.knob);
  if (k == nullptr) {
    return Status::Error(EINVAL, "device '" + d->name() + "' has no knob '" +
                                     knob_request_name(target.knob, target.end) + "': it has " +
                                     d->knob_names());
  }
  *device = d;
  *knob = k;
  return Status::Ok();
}

Status Broker::apply(Device& device, const Knob& knob) {
  DeviceBackend* backend = device.backend_.get();
  if (backend == nullptr) return Status::Ok();
  ++device.backend_writes_;
  Status s = knob.is_range() ? backend->apply_range(device, knob.id(), knob.effective_range())
                             : backend->apply_value(device, knob.id(), knob.effective());
  if (s.ok()) return s;
  BackendErrors& e = device.backend_errors_;
  e.last_errno = s.code();
  e.last_message = s.message();
  ++e.count;
  return Status::Error(s.code(), device.name() + "." + knob_name(knob.id()) + ": " + s.message());
}

void Broker::fill_outcome(const HeldRequest& request, bool changed, RequestOutcome* outcome) const {
  if (outcome == nullptr) return;
  outcome->id = request.id_;
  outcome->knob = request.knob_;
  outcome->changed = changed;
  outcome->device = request.device_;
  const Knob* knob = request.device_ ? request.device_->knob(request.knob_) : nullptr;
  outcome->effective = knob ? knob->effective_range() : Range{};
}

namespace {

// Sets the broker's cause for the length of one change, then puts the previous one back.
class CauseScope {
 public:
  CauseScope(Broker::Cause& slot, Broker::Cause now) : slot_(slot), saved_(slot) { slot_ = now; }
  ~CauseScope() { slot_ = saved_; }
  CauseScope(const CauseScope&) = delete;
  CauseScope& operator=(const CauseScope&) = delete;

 private:
  Broker::Cause& slot_;
  Broker::Cause saved_;
};

}  // namespace

Status Broker::check(const RequestTarget& target, std::int32_t value) const {
  Device* device = nullptr;
  Knob* knob = nullptr;
  if (Status s = resolve(target, &device, &knob); !s.ok()) return s;
  const ListSpec spec = knob->spec(target.end);
  if (!spec.accepts(value)) {
    return out_of_range(what(*device, target.knob, target.end), target.knob, value, spec);
  }
  return Status::Ok();
}

Status Broker::add(Holder& holder, const RequestTarget& target, std::int32_t value,
                   std::optional<Deadline> expiry, RequestOutcome* outcome) {
  Device* device = nullptr;
  Knob* knob = nullptr;
  if (Status s = resolve(target, &device, &knob); !s.ok()) return s;
  const ListSpec spec = knob->spec(target.end);
  if (!spec.accepts(value)) {
    return refuse_value(*device, *knob, target.end, value, spec);
  }
  auto request = std::unique_ptr<HeldRequest>(new HeldRequest());
  HeldRequest& r = *request;
  r.holder_ = &holder;
  r.device_ = device;
  r.knob_ = target.knob;
  r.end_ = target.end;
  r.id_ = holder.next_id_;  // taken below only if the add succeeds; notifications show it
  const CauseScope cause(cause_, {&r, ChangeAction::kAdd});
  const Result result = knob->add(r.request_, target.end, value);
  if (result.changed()) {
    if (Status s = apply(*device, *knob); !s.ok()) {
      (void)r.request_.remove();
      (void)apply(*device, *knob);  // best effort: put the previous value back
      return s;
    }
  }
  ++holder.next_id_;
  r.in_device_ = device->requests_.push_back(&r);
  if (expiry) {
    r.expiry_ = expiry;
    r.in_expiry_ = expiries_.emplace(*expiry, &r);
  }
  holder.place(std::move(request));
  fill_outcome(r, result.changed(), outcome);
  return Status::Ok();
}

Status Broker::update(Holder& holder, RequestId id, std::int32_t value, RequestOutcome* outcome) {
  HeldRequest* found = holder.find_mutable(id);
  if (found == nullptr) {
    return Status::Error(ENOENT, "no request " + std::to_string(id) + " on this holder");
  }
  HeldRequest& r = *found;
  if (r.device_ == nullptr) {
    return device_gone("request " + std::to_string(id));
  }
  Knob& knob = *r.device_->knob(r.knob_);
  const ListSpec spec = knob.spec(r.end_);
  if (!spec.accepts(value)) return refuse_value(*r.device_, knob, r.end_, value, spec);
  const std::int32_t previous = r.request_.value();
  const CauseScope cause(cause_, {&r, ChangeAction::kUpdate});
  const Result result = r.request_.update(value);
  if (result.changed()) {
    if (Status s = apply(*r.device_, knob); !s.ok()) {
      (void)r.request_.update(previous);
      (void)apply(*r.device_, knob);
      return s;
    }
  }
  fill_outcome(r, result.changed(), outcome);
  return Status::Ok();
}

Status Broker::remove(Holder& holder, RequestId id, RequestOutcome* outcome) {
  HeldRequest* found = holder.find_mutable(id);
  if (found == nullptr) {
    return Status::Error(ENOENT, "no request " + std::to_string(id) + " on this holder");
  }
  HeldRequest& r = *found;
  if (r.device_ == nullptr) {
    holder.forget(r);
    return device_gone("request " + std::to_string(id));
  }
  Device& device = *r.device_;
  const Knob& knob = *device.knob(r.knob_);
  const CauseScope cause(cause_, {&r, ChangeAction::kRemove});
  const Result result = r.request_.remove();
  Status s = result.changed() ? apply(device, knob) : Status::Ok();
  if (outcome != nullptr) {
    outcome->id = id;
    outcome->knob = r.knob_;
    outcome->changed = result.changed();
    outcome->device = &device;
    outcome->effective = knob.effective_range();
  }
  drop(r, /*write_backend=*/false);
  return s;
}

void Broker::drop(HeldRequest& r, bool write_backend) {
  if (r.device_ != nullptr) {
    Device& device = *r.device_;
    const CauseScope cause(cause_, {&r, ChangeAction::kRemove});
    const Result result = r.request_.remove();
    if (result.changed() && write_backend) (void)apply(device, *device.knob(r.knob_));
    device.requests_.erase(r.in_device_);
  }
  if (r.expiry_) expiries_.erase(r.in_expiry_);
  r.holder_->forget(r);  // frees r
}

void Broker::drop_all(Holder& holder) {
  // Nothing here visits each of the holder's k requests unless it must: the knobs and the
  // devices keep their s other requests (found from the holder's handles, in O(s) plus the
  // breaks in them) and retire the k untouched, O(s) in all. One-by-one removal, O(k), is left
  // for a knob or device where the holder's requests are fewer than the others (issue #15).
  if (holder.timed_ > 0) {
    for (const auto& held : holder.slots_) {
      if (held && held->expiry_) {
        expiries_.erase(held->in_expiry_);
        held->expiry_.reset();
      }
    }
    holder.timed_ = 0;
  }
  struct KnobDrop {
    Knob* knob;
    Holder::KnobShare* share;
    const HeldRequest* first;      // the holder's oldest request on the knob
    std::vector<Request*> rest{};  // the knob's other requests, when its device's walk found them
    bool rest_known = false;
    std::vector<Request*> mine{};  // the holder's, when they go one by one
  };
  std::vector<KnobDrop> knobs;
  knobs.reserve(holder.knobs_.size());
  for (auto& [knob, share] : holder.knobs_) {
    const HeldRequest* first = share.first;
    if (first == nullptr) first = holder.first_on(share.device, knob->id());
    knobs.push_back({const_cast<Knob*>(knob), &share, first});
  }
  // The knobs are applied in the order the holder first asked for them, as dropping its
  // requests one by one, oldest first, did: not in the hash map's order, which would change
  // from run to run what an observer of two knobs sees in between.
  std::sort(knobs.begin(), knobs.end(),
            [](const KnobDrop& a, const KnobDrop& b) { return a.first->id() < b.first->id(); });
  std::unordered_map<const Knob*, std::size_t> knob_index;
  for (std::size_t i = 0; i < knobs.size(); ++i) knob_index.emplace(knobs[i].knob, i);
  for (auto& [device_key, share] : holder.devices_) {
    Device& device = *const_cast<Device*>(device_key);
    auto leftover = std::make_shared<RequestSequence>();
    const bool moved = device.requests_.erase_many(
        share.handles, share.count, leftover.get(), [&](HeldRequest* r) {
          const auto it = knob_index.find(device.knob(r->knob_));
          if (it != knob_index.end()) knobs[it->second].rest.push_back(&r->request_);
        });
    if (moved) {
      for (KnobDrop& k : knobs) k.rest_known = k.rest_known || k.share->device == &device;
    }
    if (!leftover->empty()) {
      leftovers_.push_back([leftover](std::size_t& budget) {
        budget -= leftover->shed(budget);
        return leftover->empty();
      });
    }
  }
  // Knobs where the holder's requests go one by one: collected in one pass over them.
  bool one_by_one = false;
  for (KnobDrop& k : knobs) {
    k.rest_known = k.rest_known && k.rest.size() <= k.share->count;
    one_by_one = one_by_one || !k.rest_known;
  }
  if (one_by_one) {
    for (const auto& held : holder.slots_) {
      if (!held || held->device_ == nullptr) continue;
      KnobDrop& k = knobs[knob_index.at(held->device_->knob(held->knob_))];
      if (!k.rest_known) k.mine.push_back(&held->request_);
    }
  }
  for (KnobDrop& k : knobs) {
    Holder::KnobShare& share = *k.share;
    // The cause a notification names: the holder's oldest request on the knob.
    const CauseScope cause(cause_, {k.first, ChangeAction::kRemove});
    Result result = Result::Failed(Error::kInactive);
    if (k.rest_known) result = k.knob->retain_only(k.rest, share.count);
    if (!result.ok()) {
      if (k.mine.empty()) {  // the others were miscounted: should not happen; be exact anyway
        for (const auto& held : holder.slots_) {
          if (held && held->device_ == share.device && held->knob_ == k.knob->id()) {
            k.mine.push_back(&held->request_);
          }
        }
      }
      result = k.knob->remove_all(k.mine);
    }
    if (result.changed()) (void)apply(*share.device, *k.knob);
  }
  holder.knobs_.clear();
  holder.devices_.clear();
  // Every request is out of the model now; the retired ones are released as they are freed.
  auto held = std::make_shared<std::vector<std::unique_ptr<HeldRequest>>>();
  held->swap(holder.slots_);
  holder.ids_.clear();
  holder.live_ = 0;
  // Newest first, as shed() does: the heap then gives memory back a little at a time, where
  // freeing oldest first merged it all into one trim of the heap's top (10 ms for 1M).
  leftovers_.push_back([held](std::size_t& budget) {
    for (; budget > 0 && !held->empty(); --budget) {
      if (auto& r = held->back()) Knob::release_retired(r->request_);
      held->pop_back();
    }
    return held->empty();
  });
}

bool Broker::reclaim(std::size_t budget) {
  if (leftovers_.empty()) return false;  // the common case, every loop round: nothing to do
  while (budget > 0 && !leftovers_.empty()) {
    if (!leftovers_.front()(budget)) break;
    leftovers_.pop_front();
  }
  // glibc keeps small freed blocks (the sequence's tree nodes) in "fast" bins and merges them
  // all at once when a later free makes a large free block: a million of them made one step
  // take 10 ms. Asking for a large block makes it merge this step's few thousand now
  // (volatile: the compiler would drop an unused malloc/free pair).
  void* volatile block = std::malloc(4096);
  std::free(block);
  return !leftovers_.empty();
}

std::size_t Broker::expire(Deadline now) {
  std::size_t n = 0;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    drop(*expiries_.begin()->second, /*write_backend=*/true);
    ++n;
  }
  return n;
}

std::optional<Deadline> Broker::next_expiry() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

}  // namespace perfqos
