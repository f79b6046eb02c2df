// libFuzzer target: the socket protocol's whole request path, stateful (issue #13). One input is
// a sequence of requests from several simulated connections (different uids, gids and cgroups)
// that the real Service carries out on a real Broker, with a policy of a few grants, a cgroup cap
// and small quotas, over PM QoS classes, a CPU-like device (resume_latency + flags) and a perf
// device (a range). After every request it checks:
//   - exactly one reply, with the request's tag, of the type that answers the request;
//   - a refused request changed nothing (effective values, request counts, subscriptions);
//   - every effective value equals a brute-force aggregate of the requests in force (DESIGN §3);
//   - no request of an unprivileged caller is outside its grants; quotas are never exceeded;
//   - notifications go only to subscribed connections, one per effective-value change;
//   - READ answers the knob's effective value.
//
// Input: the first byte picks the mode. Structured (even): each step is 6 bytes choosing the
// connection, the operation, and device, knob, end and value from small tables that hold the
// tricky names ("min", "max", "range", "", a bogus one) and values near the bounds. Raw (odd):
// each step is [connection][length][length bytes], a frame decoded as the socket server does;
// frames that decode are carried out, the others are dropped (the decoder fuzzer covers them).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cgroup/cgroup_data_tracker.h"
#include "frontends/socket/service.h"
#include "fuzz/fuzz_check.h"
#include "model/broker.h"
#include "model/device_specs.h"
#include "policy/policy_store.h"
#include "protocol/codec.h"
#include "util/log.h"

namespace perfqos::fuzz {
namespace {

namespace p = protocol;
namespace d = daemon;

constexpr std::uint32_t kMaxRequestsPerHolder = 4;
constexpr std::uint32_t kMaxConnectionsPerUid = 2;
constexpr std::uint32_t kMaxSubscriptionsPerUid = 1;
constexpr std::uint32_t kMaxSubscriptions = 3;

const char* const kDevices[] = {
    "cpu_dma_latency", "network_throughput", "memory_bandwidth", "cpu0", "gpu", "", "nosuch"};
const char* const kKnobs[] = {
    "", "min", "max", "range", "latency", "flags", "bogus", "resume_latency", "throughput"};
const std::int32_t kValues[] = {-2,  -1,         0,          1,         19,       20,   100,
                                300, 512,        513,        1000,      1001,     1024, 1025,
                                3,   2000000000, 2000000001, INT32_MAX, INT32_MIN};

struct Identity {
  uid_t uid;
  gid_t gid;
  const char* cgroup;
};
// Two connections of uid 1000 fill its connection quota: a third gets EUSERS on everything.
const Identity kIdentities[] = {{0, 0, "/"},
                                {1000, 1000, "/user.slice/app-1.scope"},
                                {1000, 1000, "/user.slice/app-2.scope"},
                                {1001, 100, "/batch.slice/job-1"},
                                {65534, 65534, "/"},
                                {1000, 1000, "/user.slice/app-3.scope"}};
constexpr std::size_t kConnections = std::size(kIdentities);

Policy make_policy() {
  std::vector<Grant> grants;
  grants.push_back(Grant{{1000}, {}, {}, "cpu_dma_latency", "latency", 20, 1000, "fuzz:1"});
  grants.push_back(Grant{{1000}, {}, {}, "gpu", "range", 0, 512, "fuzz:2"});
  grants.push_back(Grant{{}, {100}, {"/batch.slice/*"}, "*", "*", 0, 100, "fuzz:3"});
  std::vector<CgroupLimit> limits;
  limits.push_back(CgroupLimit{"/batch.slice/*", "gpu", "max", std::nullopt, 50, "fuzz:4"});
  Quotas quotas;
  quotas.max_requests_per_holder = kMaxRequestsPerHolder;
  quotas.max_connections_per_uid = kMaxConnectionsPerUid;
  quotas.max_subscriptions_per_uid = kMaxSubscriptionsPerUid;
  quotas.max_subscriptions = kMaxSubscriptions;
  return Policy(std::move(grants), std::move(limits), quotas);
}

// What the fuzzer believes one connection holds, from the replies it got.
struct Shadow {
  std::unique_ptr<d::Client> client;
  std::vector<std::uint32_t> request_ids;
  bool subscribed_all = false;
  std::set<std::string> subscriptions;
  std::size_t notified = 0;  // notifications received during the current step
  std::map<std::string, std::size_t> notified_by_device;

  bool subscribed() const { return subscribed_all || !subscriptions.empty(); }
  bool subscribed_to(const std::string& device) const {
    return subscribed_all || subscriptions.count(device) != 0;
  }
};

// The observable state a refused request must leave alone.
struct Snapshot {
  std::vector<std::pair<std::string, Range>> effective;
  std::vector<std::size_t> counts;
  bool operator==(const Snapshot&) const = default;
};

std::int32_t brute_force(const ListSpec& spec, const std::vector<std::int32_t>& values) {
  if (values.empty())
    return spec.type == ListType::kSum || spec.type == ListType::kFlags ? 0
                                                                        : spec.no_constraint_value;
  switch (spec.type) {
    case ListType::kMin:
      return *std::min_element(values.begin(), values.end());
    case ListType::kMax:
      return *std::max_element(values.begin(), values.end());
    case ListType::kSum: {
      std::int64_t sum = 0;
      for (std::int32_t v : values) sum += v;
      return static_cast<std::int32_t>(std::min<std::int64_t>(sum, INT32_MAX));
    }
    case ListType::kFlags: {
      std::int32_t bits = 0;
      for (std::int32_t v : values) bits |= v;
      return bits;
    }
  }
  return 0;
}

class Harness {
 public:
  Harness() : policy_(make_policy()), service_(broker_, log_) {
    for (PmQosClass c : {PmQosClass::kCpuDmaLatency, PmQosClass::kNetworkThroughput,
                         PmQosClass::kMemoryBandwidth}) {
      FUZZ_CHECK(broker_.register_device(pm_qos_class_spec(c)).ok());
    }
    DeviceSpec cpu{"cpu0", "cpu", "", PerfUnit::kNone, {resume_latency_knob(), flags_knob()}};
    FUZZ_CHECK(broker_.register_device(std::move(cpu)).ok());
    DeviceSpec gpu;
    FUZZ_CHECK(perf_device_spec("gpu", PerfUnit::kNormal, 0, 1024, &gpu).ok());
    FUZZ_CHECK(broker_.register_device(std::move(gpu)).ok());
    service_.set_policy(&policy_);
    service_.set_cgroup_data(&cgroup_data_);
    for (std::size_t i = 0; i < kConnections; ++i) connect(i);
  }

  void connect(std::size_t i) {
    Shadow& s = shadows_[i];
    s = Shadow{};
    const Identity& id = kIdentities[i];
    HolderIdentity who;
    who.kind = HolderKind::kConnection;
    who.pid = static_cast<pid_t>(100 + i);
    who.uid = id.uid;
    who.gid = id.gid;
    who.comm = "fuzz";
    who.cgroup = id.cgroup;
    s.client = service_.connect(who, [this, i](const p::Frame& frame) {
      FUZZ_CHECK(frame.tag == 0);
      const auto* n = std::get_if<p::Notification>(&frame.message);
      FUZZ_CHECK(n != nullptr);
      FUZZ_CHECK_MSG(shadows_[i].subscribed_to(n->device), "notified but not subscribed");
      FUZZ_CHECK(!(n->old_value == n->new_value));
      ++shadows_[i].notified;
      ++shadows_[i].notified_by_device[n->device];
    });
  }

  const std::vector<std::uint32_t>& request_ids(std::size_t i) const {
    return shadows_[i].request_ids;
  }

  // Closes and reopens connection `i`: its requests go, its subscription place comes back.
  void reconnect(std::size_t i) {
    shadows_[i].client.reset();
    shadows_[i] = Shadow{};
    check_model();
    connect(i);
  }

  void step(std::size_t conn, const p::Message& request, std::uint32_t tag) {
    Shadow& s = shadows_[conn];
    const Snapshot before = snapshot();
    for (Shadow& each : shadows_) {
      each.notified = 0;
      each.notified_by_device.clear();
    }
    const p::Frame reply = service_.handle(*s.client, p::Frame{tag, request}, Deadline{});

    // Exactly one reply, with the tag, of the matching type (requests and their replies sit
    // side by side in the variant); it encodes.
    FUZZ_CHECK(reply.tag == tag);
    FUZZ_CHECK_MSG(reply.message.index() == request.index() + 1,
                   "reply type " + std::to_string(reply.message.index()) + " to request type " +
                       std::to_string(request.index()));
    std::vector<std::uint8_t> bytes;
    const auto encoded = p::encode(reply, &bytes);
    FUZZ_CHECK_MSG(encoded.ok(), encoded.message());
    const p::ReplyStatus status = status_of(reply.message);
    FUZZ_CHECK(status.error >= 0);
    FUZZ_CHECK(status.ok() || !status.message.empty());

    if (!status.ok()) {
      FUZZ_CHECK_MSG(snapshot() == before,
                     "a refused request changed the state: " + status.message);
      for (const Shadow& each : shadows_) FUZZ_CHECK(each.notified == 0);
    } else {
      follow(s, request, reply.message);
    }
    check_model();
  }

 private:
  static p::ReplyStatus status_of(const p::Message& m) {
    return std::visit(
        [](const auto& r) -> p::ReplyStatus {
          if constexpr (requires { r.status; }) {
            return r.status;
          } else {
            return {};
          }
        },
        m);
  }

  // Updates the shadow with what a successful request did, and checks what its reply says.
  void follow(Shadow& s, const p::Message& request, const p::Message& reply) {
    if (const auto* add = std::get_if<p::AddRequest>(&request)) {
      const auto& r = std::get<p::AddReply>(reply);
      FUZZ_CHECK(r.request_id != 0);
      s.request_ids.push_back(r.request_id);
      check_notified(add->device, r.change.changed);
    } else if (const auto* update = std::get_if<p::UpdateRequest>(&request)) {
      (void)update;
      check_changed_notified(std::get<p::UpdateReply>(reply).change.changed);
    } else if (const auto* remove = std::get_if<p::RemoveRequest>(&request)) {
      std::erase(s.request_ids, remove->request_id);
      check_changed_notified(std::get<p::RemoveReply>(reply).change.changed);
    } else if (const auto* read = std::get_if<p::ReadRequest>(&request)) {
      const auto device = broker_.registry().find(read->device);
      FUZZ_CHECK(device != nullptr);
      const auto& effective = std::get<p::ReadReply>(reply).effective;
      bool found = false;
      for (const Knob* knob : device->knobs()) {
        const Range r = knob->effective_range();
        found = found || (effective.min == r.min && effective.max == r.max);
      }
      FUZZ_CHECK_MSG(found, "READ answered a value no knob of " + read->device + " has");
    } else if (const auto* sub = std::get_if<p::SubscribeRequest>(&request)) {
      if (sub->devices.empty()) s.subscribed_all = true;
      s.subscriptions.insert(sub->devices.begin(), sub->devices.end());
    } else if (const auto* unsub = std::get_if<p::UnsubscribeRequest>(&request)) {
      if (unsub->devices.empty()) {
        s.subscribed_all = false;
        s.subscriptions.clear();
      }
      for (const std::string& name : unsub->devices) s.subscriptions.erase(name);
    }
  }

  // One notification per subscriber when the target's value changed, none otherwise.
  void check_notified(const std::string& device, bool changed) {
    for (Shadow& each : shadows_) {
      if (!each.client) continue;
      const std::size_t expected = changed && each.subscribed_to(device) ? 1 : 0;
      FUZZ_CHECK_MSG(each.notified_by_device[device] == expected,
                     device + ": " + std::to_string(each.notified_by_device[device]) +
                         " notifications, expected " + std::to_string(expected));
    }
  }
  void check_changed_notified(bool changed) {
    for (const Shadow& each : shadows_) {
      if (!changed) FUZZ_CHECK(each.notified == 0);
      if (changed) FUZZ_CHECK(each.notified <= 1);
    }
  }

  Snapshot snapshot() const {
    Snapshot out;
    for (const auto& device : broker_.registry().devices()) {
      for (const Knob* knob : device->knobs()) {
        out.effective.emplace_back(device->name() + "." + knob_name(knob->id()),
                                   knob->effective_range());
        out.counts.push_back(knob->size());
      }
      out.counts.push_back(device->request_count());
    }
    for (const Shadow& s : shadows_) out.counts.push_back(s.client ? s.client->requests() : 0);
    for (const Shadow& s : shadows_) out.counts.push_back(s.subscribed());
    return out;
  }

  // Effective values against a brute-force aggregate, grants, and quotas.
  void check_model() {
    const auto policy = policy_.current();
    std::size_t held = 0;
    for (const auto& device : broker_.registry().devices()) {
      std::map<std::pair<KnobId, RangeEnd>, std::vector<std::int32_t>> values;
      std::size_t visited = 0;
      device->visit_requests(0, [&](const HeldRequest& r) {
        ++visited;
        const RangeEnd end = r.knob() == KnobId::kRange ? r.end() : RangeEnd::kMin;
        values[{r.knob(), end}].push_back(r.value());
        const HolderIdentity& who = r.holder().identity();
        if (who.uid != 0) {
          const Caller caller{who.uid, who.gid, who.cgroup, who.groups};
          // A request of -1 reads as the knob's default; the policy judged the -1.
          const std::string knob = knob_request_name(r.knob(), r.end());
          Status s = policy->authorize(caller, device->name(), knob, r.value());
          const Knob* k = device->knob(r.knob());
          if (!s.ok() && k != nullptr && r.value() == k->spec(r.end()).default_value) {
            s = policy->authorize(caller, device->name(), knob, -1);
          }
          FUZZ_CHECK_MSG(s.ok(), "uid " + std::to_string(who.uid) + " holds " + device->name() +
                                     "." + knob_request_name(r.knob(), r.end()) + "=" +
                                     std::to_string(r.value()) + ": " + s.message());
        }
        return true;
      });
      FUZZ_CHECK(visited == device->request_count());
      held += visited;
      for (const Knob* knob : device->knobs()) {
        const std::string where = device->name() + "." + knob_name(knob->id());
        if (knob->is_range()) {
          const auto& lo = values[{KnobId::kRange, RangeEnd::kMin}];
          const auto& hi = values[{KnobId::kRange, RangeEnd::kMax}];
          Range expected = knob->limits();
          if (!lo.empty()) expected.min = *std::max_element(lo.begin(), lo.end());
          if (!hi.empty()) expected.max = *std::min_element(hi.begin(), hi.end());
          if (expected.min > expected.max) expected.min = expected.max;
          const Range got = knob->effective_range();
          FUZZ_CHECK_MSG(got.min == expected.min && got.max == expected.max,
                         where + ": [" + std::to_string(got.min) + ", " + std::to_string(got.max) +
                             "], brute force [" + std::to_string(expected.min) + ", " +
                             std::to_string(expected.max) + "]");
          FUZZ_CHECK(knob->size() == lo.size() + hi.size());
        } else {
          const auto& v = values[{knob->id(), RangeEnd::kMin}];
          const std::int32_t expected = brute_force(knob->spec(), v);
          FUZZ_CHECK_MSG(knob->effective() == expected,
                         where + ": " + std::to_string(knob->effective()) + ", brute force " +
                             std::to_string(expected));
          FUZZ_CHECK(knob->size() == v.size());
        }
      }
    }
    // The shadow's requests are exactly the model's; quotas hold for everyone but root.
    std::size_t shadow_held = 0;
    std::map<uid_t, std::size_t> subscribed;
    std::size_t subscribed_total = 0;
    for (const Shadow& s : shadows_) {
      if (!s.client) continue;
      shadow_held += s.request_ids.size();
      FUZZ_CHECK(s.client->requests() == s.request_ids.size());
      const uid_t uid = s.client->identity().uid;
      if (uid != 0) FUZZ_CHECK(s.client->requests() <= kMaxRequestsPerHolder);
      if (s.subscribed()) {
        ++subscribed[uid];
        ++subscribed_total;
      }
    }
    FUZZ_CHECK(shadow_held == held);
    for (const auto& [uid, n] : subscribed) {
      if (uid != 0) FUZZ_CHECK(n <= kMaxSubscriptionsPerUid);
    }
    // Root counts toward the global bound but is never refused, so only without root's
    // subscriptions can the total be held to it.
    FUZZ_CHECK(subscribed_total - subscribed[0] <= kMaxSubscriptions);
  }

  d::Logger log_{d::LogLevel::kError};
  Broker broker_;
  d::PolicyStore policy_;
  d::CgroupDataTracker cgroup_data_{broker_.registry(), policy_, nullptr, log_};
  d::Service service_;
  Shadow shadows_[kConnections];
};

// Profile names (protocol version 4, PROFILE): built in, unknown, empty, not a name.
const char* const kProfiles[] = {"balanced", "performance", "power-saver", "nosuch", "", "a b"};

// Reasons and application ids (protocol version 2): fine, empty, control characters, broken
// UTF-8, C1 controls, at the limits.
const std::string kNotes[] = {"",
                              "recording",
                              "a\nb",
                              "\x1b[2J",
                              "\xc3",
                              "\xc2\x85",
                              "\xed\xa0\x80",
                              "caf\xc3\xa9",
                              std::string(63, 'a'),
                              std::string(127, 'r')};

// Reads the input a byte at a time; 0 past the end.
class Bytes {
 public:
  explicit Bytes(std::span<const std::uint8_t> data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  std::uint8_t next() { return pos_ < data_.size() ? data_[pos_++] : 0; }
  std::span<const std::uint8_t> take(std::size_t n) {
    n = std::min(n, data_.size() - pos_);
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

template <class T, std::size_t N>
const T& pick(const T (&table)[N], std::uint8_t b) {
  return table[b % N];
}

// One structured step: the request the bytes choose, or nullopt for a reconnect.
std::optional<p::Message> structured(Bytes& in, const std::vector<std::uint32_t>& ids) {
  const std::uint8_t op = in.next();
  const std::string device = pick(kDevices, in.next());
  const std::string knob = pick(kKnobs, in.next());
  const std::uint8_t e = in.next();
  const p::End end = static_cast<p::End>(e % 3);
  const std::int32_t value = pick(kValues, in.next());
  const std::uint32_t id = ids.empty() || e >= 0xf0 ? e : ids[e % ids.size()];
  const std::uint16_t small = static_cast<std::uint16_t>(e % 5);
  switch (op % 19) {
    case 0: {
      p::HelloRequest hello;
      hello.max_version = static_cast<std::uint8_t>(e % 4);
      return hello;
    }
    case 1:
      return p::ListDevicesRequest{static_cast<std::uint32_t>(e % 8), small};
    case 2:
      return p::DescribeRequest{device};
    case 3:
    case 4:
      return p::AddRequest{
          device, knob, end, value, 0, pick(kNotes, in.next()), pick(kNotes, in.next())};
    case 5:
      return p::UpdateRequest{id, value};
    case 6:
      return p::RemoveRequest{id};
    case 7:
    case 8:
      return p::ReadRequest{device, knob};
    case 9:
      return p::SubscribeRequest{e & 1 ? std::vector<std::string>{}
                                       : std::vector<std::string>{device}};
    case 10:
      return p::UnsubscribeRequest{e & 1 ? std::vector<std::string>{}
                                         : std::vector<std::string>{device}};
    case 11:
      return p::StatusRequest{e & 0x80 ? device : "", static_cast<std::uint32_t>(e % 8), small};
    case 12:
      return p::BindRequest{"/batch.slice", device, knob, end, value};
    case 13:
      return p::CgroupDataRequest{e & 0x80 ? device : "", static_cast<std::uint32_t>(e % 4), small};
    case 14:
      return p::RescanRequest{};
    case 15:
      return p::ExplainRequest{device, knob, end, (e & 0x40) != 0, value};
    case 16:
      return p::BindingsRequest{static_cast<std::uint32_t>(e % 4), small};
    case 17:
      return p::ProfileRequest{pick(kProfiles, e)};
    default:
      return std::nullopt;
  }
}

}  // namespace
}  // namespace perfqos::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace perfqos::fuzz;
  namespace p = perfqos::protocol;
  if (size == 0) return 0;
  Harness harness;
  Bytes in({data + 1, size - 1});
  const bool raw = data[0] & 1;
  std::uint32_t tag = 0;
  for (int steps = 0; !in.empty() && steps < 256; ++steps) {
    const std::size_t conn = in.next() % kConnections;
    if (raw) {
      const auto frame_bytes = in.take(in.next());
      p::Frame frame;
      if (!p::decode(frame_bytes, p::Direction::kToServer, &frame).ok()) continue;
      harness.step(conn, frame.message, frame.tag);
      continue;
    }
    const std::optional<p::Message> request = structured(in, harness.request_ids(conn));
    if (request) {
      harness.step(conn, *request, ++tag);
    } else {
      harness.reconnect(conn);
    }
  }
  return 0;
}
