// The messages of the perfqos socket protocol (docs/protocol.md): one struct per request, reply
// and notification, shared by perfqosd and the client library. Plain values, no I/O; the wire
// layout of each is in layout.h and the codec in codec.h.
//
// Every reply carries a ReplyStatus; when it is not ok the reply's other fields are absent on the
// wire and read as their defaults.
//
// Thread safety: values; distinct objects may be used from distinct threads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/limits.h"

namespace perfqos::protocol {

// Requests have the low values; their reply is the request's opcode | 0x80.
enum class Opcode : std::uint8_t {
  kHello = 0x01,
  kListDevices = 0x02,
  kDescribe = 0x03,
  kAdd = 0x04,
  kUpdate = 0x05,
  kRemove = 0x06,
  kRead = 0x07,
  kSubscribe = 0x08,
  kUnsubscribe = 0x09,
  kStatus = 0x0a,
  kBind = 0x0b,
  kUnbind = 0x0c,
  kRescan = 0x0d,
  kCgroupData = 0x0e,
  kExplain = 0x0f,   // version 3
  kBindings = 0x10,  // version 3
  kProfile = 0x11,   // version 4
  kNotify = 0x40,    // server -> client, unsolicited, tag 0
  kHelloReply = 0x81,
  kListDevicesReply = 0x82,
  kDescribeReply = 0x83,
  kAddReply = 0x84,
  kUpdateReply = 0x85,
  kRemoveReply = 0x86,
  kReadReply = 0x87,
  kSubscribeReply = 0x88,
  kUnsubscribeReply = 0x89,
  kStatusReply = 0x8a,
  kBindReply = 0x8b,
  kUnbindReply = 0x8c,
  kRescanReply = 0x8d,
  kCgroupDataReply = 0x8e,
  kExplainReply = 0x8f,
  kBindingsReply = 0x90,
  kProfileReply = 0x91,
  kError = 0xff,  // server -> client: the frame with this tag could not be parsed
};

enum class ListType : std::uint8_t { kMin = 0, kMax = 1, kSum = 2, kFlags = 3, kRange = 4 };
inline constexpr ListType kLastListType = ListType::kRange;

// Which end of a range knob a request targets; kNone for one-valued knobs.
enum class End : std::uint8_t { kNone = 0, kMin = 1, kMax = 2 };
inline constexpr End kLastEnd = End::kMax;

enum class HolderKind : std::uint8_t {
  kConnection = 0,
  kFuse = 1,
  kCgroupBinding = 2,
  kInternal = 3,
};
inline constexpr HolderKind kLastHolderKind = HolderKind::kInternal;

// A knob's effective value. One-valued knobs: is_range false and min == max == the value.
// Range knobs: [min, max] are the effective ends.
struct Effective {
  bool is_range = false;
  std::int32_t min = 0;
  std::int32_t max = 0;

  static Effective Single(std::int32_t value) { return {false, value, value}; }
  static Effective Range(std::int32_t lo, std::int32_t hi) { return {true, lo, hi}; }
  std::int32_t value() const { return min; }
  bool operator==(const Effective&) const = default;
};

// What an add/update/remove/bind did to the knob it targets.
struct Change {
  bool changed = false;  // the effective value changed
  Effective effective;   // the effective value after the operation
  bool operator==(const Change&) const = default;
};

struct ReplyStatus {
  std::int32_t error = 0;  // 0 or a positive errno
  std::string message;     // at most kMaxReplyMessage bytes; names field, value and allowed range

  // Truncates the message to kMaxReplyMessage bytes so that it always encodes.
  static ReplyStatus Error(std::int32_t code, std::string message);
  bool ok() const { return error == 0; }
  bool operator==(const ReplyStatus&) const = default;
};

struct KnobInfo {
  // latency, throughput, bandwidth, resume_latency, latency_tolerance, flags, range, epp, profile
  std::string name;
  ListType list_type = ListType::kMin;
  std::string unit;  // "us", "kbit/s", "Mbit/s", "kHz", "Hz", "normal", "kbps", "uW", "flags"
  std::int32_t default_value = 0;
  std::int32_t no_constraint_value = 0;
  std::int32_t min_request = 0;  // valid requests: [min_request, max_request] or -1
  std::int32_t max_request = 0;
  Effective effective;
  std::int32_t limit_min = 0;  // range knobs: the hard limits; 0 otherwise
  std::int32_t limit_max = 0;
  std::uint32_t active_requests = 0;
  // Version 3: a named knob's words (epp, profile): value i of the range is choices[i]; empty
  // for every other knob.
  std::vector<std::string> choices{};
  bool operator==(const KnobInfo&) const = default;
};

struct DeviceInfo {
  std::string name;             // [A-Za-z0-9_.:-], at most kMaxDeviceName bytes
  std::string kind;             // class, cpu, cpufreq, devfreq, cooling, powercap, perf, device
  std::string parent;           // empty when the device has no parent
  std::string perf_unit;        // "", "normal" or "kbps"
  std::int32_t last_errno = 0;  // the backend's last error, 0 when none
  std::string last_error;
  std::uint32_t error_count = 0;
  std::vector<KnobInfo> knobs;  // at most kMaxKnobsPerDevice
  bool operator==(const DeviceInfo&) const = default;
};

struct HolderEntry {
  std::string device;
  std::string knob;
  End end = End::kNone;
  std::int32_t value = 0;
  std::uint32_t request_id = 0;
  HolderKind holder_kind = HolderKind::kConnection;
  std::int32_t pid = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string comm;
  std::string cgroup;
  std::string label;               // e.g. "process_1234"
  bool binding = false;            // this request currently sets the effective value
  std::uint32_t remaining_ms = 0;  // until expiry; 0 = untimed
  std::string reason{};            // version 2: why it is held, "" when not said
  std::string app_id{};            // version 2: the application that holds it, "" when not said
  bool operator==(const HolderEntry&) const = default;
};

// ---- requests (client -> server) and their replies ----

struct HelloRequest {
  static constexpr Opcode kOpcode = Opcode::kHello;
  std::uint8_t max_version = kVersion;  // the highest version the client speaks
  std::string client_name;              // informational, at most kMaxPeerName bytes
  bool operator==(const HelloRequest&) const = default;
};
struct HelloReply {
  static constexpr Opcode kOpcode = Opcode::kHelloReply;
  ReplyStatus status;
  std::uint8_t version = kVersion;  // the version the server uses on this connection
  std::uint32_t max_frame_size = kMaxFrameSize;
  std::string server_name;
  bool operator==(const HelloReply&) const = default;
};

struct ListDevicesRequest {
  static constexpr Opcode kOpcode = Opcode::kListDevices;
  std::uint32_t offset = 0;
  std::uint16_t max_entries = 0;  // 0 = as many as fit in one frame
  bool operator==(const ListDevicesRequest&) const = default;
};
struct ListDevicesReply {
  static constexpr Opcode kOpcode = Opcode::kListDevicesReply;
  ReplyStatus status;
  std::uint32_t total = 0;        // devices in the registry
  std::uint32_t next_offset = 0;  // offset of the next page; >= total when this is the last
  std::vector<DeviceInfo> devices;
  bool operator==(const ListDevicesReply&) const = default;
};

struct DescribeRequest {
  static constexpr Opcode kOpcode = Opcode::kDescribe;
  std::string device;
  bool operator==(const DescribeRequest&) const = default;
};
struct DescribeReply {
  static constexpr Opcode kOpcode = Opcode::kDescribeReply;
  ReplyStatus status;
  DeviceInfo device;
  bool operator==(const DescribeReply&) const = default;
};

// Range knobs are addressed as knob "range" with end kMin or kMax; every other knob with
// kNone. An empty knob names the device's only knob.
struct AddRequest {
  static constexpr Opcode kOpcode = Opcode::kAdd;
  std::string device;
  std::string knob;
  End end = End::kNone;
  std::int32_t value = -1;        // -1 = the knob's default
  std::uint32_t duration_ms = 0;  // 0 = untimed
  std::string reason{};           // version 2: at most kMaxReason bytes of printable UTF-8
  std::string app_id{};           // version 2: at most kMaxAppId bytes of printable UTF-8
  // Version 4: "" or a cgroup v2 path; the request is then scoped to the CPUs of that cgroup
  // (its cpuset.cpus.effective, followed as it changes): device must be "cpus" and knob a
  // per-CPU knob (resume_latency, flags); the daemon places one request on each cpuN, and
  // request_id names them all (an id with bit 31 set). duration_ms must be 0.
  std::string cpus_of{};
  bool operator==(const AddRequest&) const = default;
};
struct AddReply {
  static constexpr Opcode kOpcode = Opcode::kAddReply;
  ReplyStatus status;
  std::uint32_t request_id = 0;  // unique per connection, never 0
  Change change;
  bool operator==(const AddReply&) const = default;
};

struct UpdateRequest {
  static constexpr Opcode kOpcode = Opcode::kUpdate;
  std::uint32_t request_id = 0;
  std::int32_t value = -1;
  bool operator==(const UpdateRequest&) const = default;
};
struct UpdateReply {
  static constexpr Opcode kOpcode = Opcode::kUpdateReply;
  ReplyStatus status;
  Change change;
  bool operator==(const UpdateReply&) const = default;
};

struct RemoveRequest {
  static constexpr Opcode kOpcode = Opcode::kRemove;
  std::uint32_t request_id = 0;
  bool operator==(const RemoveRequest&) const = default;
};
struct RemoveReply {
  static constexpr Opcode kOpcode = Opcode::kRemoveReply;
  ReplyStatus status;
  Change change;
  bool operator==(const RemoveReply&) const = default;
};

struct ReadRequest {
  static constexpr Opcode kOpcode = Opcode::kRead;
  std::string device;
  std::string knob;  // empty = the device's only knob
  bool operator==(const ReadRequest&) const = default;
};
struct ReadReply {
  static constexpr Opcode kOpcode = Opcode::kReadReply;
  ReplyStatus status;
  Effective effective;
  bool operator==(const ReadReply&) const = default;
};

// An empty device list means every device, including devices registered later.
struct SubscribeRequest {
  static constexpr Opcode kOpcode = Opcode::kSubscribe;
  std::vector<std::string> devices;
  bool operator==(const SubscribeRequest&) const = default;
};
struct SubscribeReply {
  static constexpr Opcode kOpcode = Opcode::kSubscribeReply;
  ReplyStatus status;
  bool operator==(const SubscribeReply&) const = default;
};

// The per-cgroup data of one cgroup on one device (DESIGN §8, the cgroup driver-data model).
// A cap or floor of it on one knob ("min"/"max" for range knobs) from the config:
struct CgroupKnobLimit {
  std::string knob;
  bool has_floor = false;
  std::int32_t floor = 0;
  bool has_cap = false;
  std::int32_t cap = 0;
  bool operator==(const CgroupKnobLimit&) const = default;
};
struct CgroupDataEntry {
  std::string device;
  std::string cgroup;
  std::vector<CgroupKnobLimit> limits;  // at most kMaxCgroupKnobLimits
  std::uint32_t admitted = 0;           // requests of members the policy admitted (saturating)
  std::uint32_t refused = 0;            // requests of members the policy refused (saturating)
  bool operator==(const CgroupDataEntry&) const = default;
};

// An empty device list ends every subscription of the connection.
struct UnsubscribeRequest {
  static constexpr Opcode kOpcode = Opcode::kUnsubscribe;
  std::vector<std::string> devices;
  bool operator==(const UnsubscribeRequest&) const = default;
};
struct UnsubscribeReply {
  static constexpr Opcode kOpcode = Opcode::kUnsubscribeReply;
  ReplyStatus status;
  bool operator==(const UnsubscribeReply&) const = default;
};

struct StatusRequest {
  static constexpr Opcode kOpcode = Opcode::kStatus;
  std::string device;  // empty = every device
  std::uint32_t offset = 0;
  std::uint16_t max_entries = 0;  // 0 = as many as fit in one frame
  bool operator==(const StatusRequest&) const = default;
};
struct StatusReply {
  static constexpr Opcode kOpcode = Opcode::kStatusReply;
  ReplyStatus status;
  std::uint32_t total = 0;
  std::uint32_t next_offset = 0;
  std::vector<HolderEntry> entries;
  bool operator==(const StatusReply&) const = default;
};

struct BindRequest {
  static constexpr Opcode kOpcode = Opcode::kBind;
  std::string cgroup;  // cgroup v2 path relative to the cgroup2 mount, e.g. "/batch.slice"
  std::string device;
  std::string knob;
  End end = End::kNone;
  std::int32_t value = -1;
  std::string reason{};  // version 2, as AddRequest's
  std::string app_id{};  // version 2, as AddRequest's
  // Version 3: the binding is removed for good (its slot given back) when its cgroup empties
  // after having been populated, or is removed; a container's requests end with it.
  bool transient = false;
  // Version 4: as AddRequest's: the bound request is placed on each CPU of this cgroup while
  // the bound cgroup is populated, and follows its CPUs.
  std::string cpus_of{};
  // Version 4: asked by a container runtime's hook (perfqos-oci-hook) for a container's
  // annotations: judged by the config's [[container]] policy instead of the binder's grants.
  bool container = false;
  bool operator==(const BindRequest&) const = default;
};
struct BindReply {
  static constexpr Opcode kOpcode = Opcode::kBindReply;
  ReplyStatus status;
  std::uint32_t binding_id = 0;  // unique per daemon, never 0
  Change change;  // changed is true only when the cgroup is populated and the request took effect
  bool operator==(const BindReply&) const = default;
};

struct UnbindRequest {
  static constexpr Opcode kOpcode = Opcode::kUnbind;
  std::uint32_t binding_id = 0;
  bool operator==(const UnbindRequest&) const = default;
};
struct UnbindReply {
  static constexpr Opcode kOpcode = Opcode::kUnbindReply;
  ReplyStatus status;
  Change change;
  bool operator==(const UnbindReply&) const = default;
};

struct RescanRequest {
  static constexpr Opcode kOpcode = Opcode::kRescan;
  bool operator==(const RescanRequest&) const = default;
};
struct RescanReply {
  static constexpr Opcode kOpcode = Opcode::kRescanReply;
  ReplyStatus status;
  std::uint32_t devices_added = 0;
  std::uint32_t devices_removed = 0;
  bool operator==(const RescanReply&) const = default;
};

struct CgroupDataRequest {
  static constexpr Opcode kOpcode = Opcode::kCgroupData;
  std::string device;  // empty = every device
  std::uint32_t offset = 0;
  std::uint16_t max_entries = 0;  // 0 = as many as fit in one frame
  bool operator==(const CgroupDataRequest&) const = default;
};
struct CgroupDataReply {
  static constexpr Opcode kOpcode = Opcode::kCgroupDataReply;
  ReplyStatus status;
  std::uint32_t total = 0;
  std::uint32_t next_offset = 0;
  std::vector<CgroupDataEntry> entries;
  bool operator==(const CgroupDataReply&) const = default;
};

// Version 3: who sets a knob's value, what bounds a request of the caller, and (with a value)
// what an ADD of it would do, judged by the daemon without doing it. The caller is the
// frame's sender, as for ADD. device/knob/end address the knob as ADD does, except that a
// range may be named without an end when no value is given (knob "range", or "" on a device
// whose only knob is the range).
struct ExplainRequest {
  static constexpr Opcode kOpcode = Opcode::kExplain;
  std::string device;
  std::string knob;
  End end = End::kNone;
  bool has_value = false;
  std::int32_t value = -1;
  bool operator==(const ExplainRequest&) const = default;
};
// A grant of the policy that matches the caller and the knob.
struct ExplainGrant {
  std::string device;  // glob
  std::string knob;    // pattern: a knob name, "range" or "*"
  std::int32_t min = 0;
  std::int32_t max = 0;
  std::string origin;  // "file:line" of the config, at most kMaxOrigin bytes
  bool operator==(const ExplainGrant&) const = default;
};
struct ExplainReply {
  static constexpr Opcode kOpcode = Opcode::kExplainReply;
  ReplyStatus status;
  std::string device;
  std::string knob;  // the resolved knob: "latency", ..., "range"
  End end = End::kNone;
  std::string unit;
  Effective effective;
  std::int32_t min_request = 0;  // valid requests: [min_request, max_request] or -1; for a range,
  std::int32_t max_request = 0;  // its hard limits
  std::uint32_t caller_uid = 0;
  std::string caller_cgroup;
  bool unrestricted = false;  // uid 0: the policy admits any value
  std::uint32_t grants_total = 0;
  std::vector<ExplainGrant> grants;  // the first kMaxExplainGrants
  CgroupKnobLimit limit;             // the caps and floors for the caller's cgroup on this knob
  std::string limit_origin;          // where they come from ("" when none)
  std::uint32_t setters_total = 0;
  std::vector<HolderEntry> setters;  // the first kMaxExplainSetters requests setting the value
  bool has_value = false;            // the rest is the verdict on the request's value
  std::int32_t value = 0;
  std::int32_t verdict_errno = 0;  // 0: an ADD would be admitted
  std::string verdict;             // the ADD's refusal message; "" when admitted
  bool would_change = false;       // admitted: the effective value would change
  Effective would_be;              // admitted: the effective value after the ADD
  bool operator==(const ExplainReply&) const = default;
};

// Version 3: the cgroup bindings (of the config and of clients), active or waiting for their
// cgroup to fill, in id order.
struct BindingEntry {
  std::uint32_t binding_id = 0;
  std::string cgroup;
  std::string device;
  std::string knob;  // "range" for both ends of a range, see end
  End end = End::kNone;
  std::int32_t value = -1;
  bool active = false;  // its request is in force (the cgroup is populated)
  std::uint32_t uid = 0;  // the binder (0 for the config's)
  std::string origin;     // "file:line" of a [[bind]] of the config; "" for BIND's
  std::string reason;
  std::string app_id;
  bool operator==(const BindingEntry&) const = default;
};
struct BindingsRequest {
  static constexpr Opcode kOpcode = Opcode::kBindings;
  std::uint32_t offset = 0;
  std::uint16_t max_entries = 0;  // 0 = as many as fit in one frame
  bool operator==(const BindingsRequest&) const = default;
};
struct BindingsReply {
  static constexpr Opcode kOpcode = Opcode::kBindingsReply;
  ReplyStatus status;
  std::uint32_t total = 0;
  std::uint32_t next_offset = 0;
  std::vector<BindingEntry> entries;
  bool operator==(const BindingsReply&) const = default;
};

// Version 4: a profile's requests (the D-Bus front end's profiles: the built-ins and the config's
// [[profile]]s), resolved against the devices registered now, for a client that places them
// itself (perfqos-oci-hook binds them to a container's cgroup). ENOENT names the profiles there
// are.
struct ProfileRequest {
  static constexpr Opcode kOpcode = Opcode::kProfile;
  std::string name;
  bool operator==(const ProfileRequest&) const = default;
};
struct ProfileEntry {
  std::string device;
  std::string knob;      // as users write it, with its end: "latency", "min", "epp.max"
  End end = End::kNone;  // the end the knob name carries (kNone for one-valued knobs)
  std::int32_t value = -1;
  bool operator==(const ProfileEntry&) const = default;
};
struct ProfileReply {
  static constexpr Opcode kOpcode = Opcode::kProfileReply;
  ReplyStatus status;
  std::vector<ProfileEntry> requests;  // in the profile's order, cpus[LIST] expanded
  std::uint32_t absent = 0;            // requests skipped: their device is not registered now
  bool operator==(const ProfileReply&) const = default;
};

// ---- server -> client only ----

// What a request did that changed an effective value (version 3, NOTIFY's cause).
enum class CauseAction : std::uint8_t { kAdd = 0, kUpdate = 1, kRemove = 2 };
inline constexpr CauseAction kLastCauseAction = CauseAction::kRemove;

// One effective-value change of a subscribed device (tag 0).
struct Notification {
  static constexpr Opcode kOpcode = Opcode::kNotify;
  std::string device;
  std::string knob;
  Effective old_value;
  Effective new_value;
  // Version 3: the request whose add, update or removal (expiry, end of its holder) made the
  // change; has_cause false when the daemon cannot say (a perf QoS handle).
  bool has_cause = false;
  HolderKind cause_kind = HolderKind::kConnection;
  std::int32_t cause_pid = 0;
  std::uint32_t cause_uid = 0;
  std::string cause_comm{};
  std::uint32_t cause_request_id = 0;
  CauseAction cause_action = CauseAction::kAdd;
  std::string cause_reason{};
  std::string cause_app_id{};
  bool operator==(const Notification&) const = default;
};

// Reply to a frame that could not be parsed (tag of that frame if its header was readable,
// otherwise 0). The server closes the connection after sending it.
struct ErrorReply {
  static constexpr Opcode kOpcode = Opcode::kError;
  ReplyStatus status;
  bool operator==(const ErrorReply&) const = default;
};

using Message =
    std::variant<HelloRequest, HelloReply, ListDevicesRequest, ListDevicesReply, DescribeRequest,
                 DescribeReply, AddRequest, AddReply, UpdateRequest, UpdateReply, RemoveRequest,
                 RemoveReply, ReadRequest, ReadReply, SubscribeRequest, SubscribeReply,
                 UnsubscribeRequest, UnsubscribeReply, StatusRequest, StatusReply, BindRequest,
                 BindReply, UnbindRequest, UnbindReply, RescanRequest, RescanReply,
                 CgroupDataRequest, CgroupDataReply, ExplainRequest, ExplainReply, BindingsRequest,
                 BindingsReply, ProfileRequest, ProfileReply, Notification, ErrorReply>;

// One frame: the header's tag plus the message (whose type gives the opcode).
struct Frame {
  std::uint32_t tag = 0;  // chosen by the client, echoed in the reply; 0 in notifications
  Message message;
  // The header's version: a reply goes in the version of its request. Fields a version lacks
  // are neither sent nor read in it (they read as their defaults).
  std::uint8_t version = kVersion;
  bool operator==(const Frame&) const = default;
};

// A reply of type R that reports `code` and `message` (truncated to kMaxReplyMessage bytes).
template <class R>
R failed_reply(std::int32_t code, std::string message) {
  R reply;
  reply.status = ReplyStatus::Error(code, std::move(message));
  return reply;
}

Opcode opcode_of(const Message& message);
// "ADD", "ADD reply", "NOTIFY", ...; "unknown" for values that are no opcode.
const char* opcode_name(Opcode opcode);
bool is_known_opcode(std::uint8_t value);
// The first protocol version that has `opcode` (1 for the original ones, 3 for EXPLAIN and
// BINDINGS, 4 for PROFILE).
std::uint8_t min_version(Opcode opcode);
// True for the opcodes a client sends (requests); false for replies and notifications.
bool is_request(Opcode opcode);

}  // namespace perfqos::protocol
