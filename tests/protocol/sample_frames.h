// One frame of every message type with every field set to a non-default value, for round-trip,
// truncation and mutation tests.
#pragma once

#include <cerrno>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "protocol/messages.h"

namespace perfqos::protocol::testing {

inline KnobInfo sample_knob(bool range) {
  KnobInfo k;
  k.name = range ? "range" : "latency";
  k.list_type = range ? ListType::kRange : ListType::kMin;
  k.unit = range ? "kHz" : "us";
  k.default_value = 2000000000;
  k.no_constraint_value = 2000000000;
  k.min_request = 0;
  k.max_request = 2000000000;
  k.effective = range ? Effective::Range(600000, 1800000) : Effective::Single(20);
  k.limit_min = range ? 400000 : 0;
  k.limit_max = range ? 2400000 : 0;
  k.active_requests = 3;
  return k;
}

inline DeviceInfo sample_device(const std::string& name) {
  DeviceInfo d;
  d.name = name;
  d.kind = "cpufreq";
  d.parent = "cpu0";
  d.perf_unit = "normal";
  d.last_errno = 13;
  d.last_error = "write scaling_max_freq: Permission denied";
  d.error_count = 2;
  d.knobs = {sample_knob(false), sample_knob(true)};
  return d;
}

// A device as large as the limits allow: for pagination tests.
inline DeviceInfo largest_device(const std::string& name) {
  DeviceInfo d = sample_device(name);
  d.name.resize(kMaxDeviceName, 'x');
  d.parent.assign(kMaxDeviceName, 'p');
  d.last_error.assign(kMaxBackendMessage, 'e');
  d.knobs.assign(kMaxKnobsPerDevice, sample_knob(true));
  return d;
}

inline HolderEntry sample_holder(std::uint32_t id) {
  HolderEntry h;
  h.device = "policy0";
  h.knob = "range";
  h.end = End::kMax;
  h.value = 1800000;
  h.request_id = id;
  h.holder_kind = HolderKind::kCgroupBinding;
  h.pid = 1234;
  h.uid = 1000;
  h.gid = 100;
  h.comm = "ffmpeg";
  h.cgroup = "/user.slice/user-1000.slice/app.scope";
  h.label = "process_1234";
  h.binding = true;
  h.remaining_ms = 1500;
  h.reason = "recording \xc3\xa0 48 kHz";
  h.app_id = "org.example.Recorder";
  return h;
}

inline Change sample_change() {
  return Change{true, Effective::Range(1, 2)};
}

inline std::vector<Frame> sample_frames() {
  std::vector<Frame> f;
  std::uint32_t tag = 1;
  auto add = [&](Message m) { f.push_back(Frame{tag++ * 0x01010101u, std::move(m)}); };
  add(HelloRequest{1, "perfqosctl"});
  add(HelloReply{{}, 1, 65536, "perfqosd 0.1.0"});
  add(ListDevicesRequest{7, 20});
  add(ListDevicesReply{{}, 9, 9, {sample_device("policy0"), sample_device("gpu")}});
  add(DescribeRequest{"cpu_dma_latency"});
  add(DescribeReply{{}, sample_device("cpu_dma_latency")});
  add(AddRequest{"policy0", "range", End::kMin, 600000, 2500, "video call", "org.example.Call"});
  add(AddReply{{}, 17, sample_change()});
  add(UpdateRequest{17, -1});
  add(UpdateReply{{}, Change{false, Effective::Single(-5)}});
  add(RemoveRequest{17});
  add(RemoveReply{{}, sample_change()});
  add(ReadRequest{"cpu_dma_latency", "latency"});
  add(ReadReply{{}, Effective::Single(2000000000)});
  add(SubscribeRequest{{"cpu_dma_latency", "policy0", "0000:00:02.0"}});
  add(SubscribeReply{});
  add(UnsubscribeRequest{{"policy0"}});
  add(UnsubscribeReply{});
  add(StatusRequest{"policy0", 3, 100});
  add(StatusReply{{}, 5, 5, {sample_holder(1), sample_holder(2)}});
  add(BindRequest{"/batch.slice", "gpu", "range", End::kMax, 300, "batch jobs", "batchd", true});
  add(BindReply{{}, 4, sample_change()});
  add(UnbindRequest{4});
  add(UnbindReply{{}, sample_change()});
  add(RescanRequest{});
  add(RescanReply{{}, 2, 1});
  add(CgroupDataRequest{"gpu", 1, 10});
  add(CgroupDataReply{{},
                      2,
                      2,
                      {CgroupDataEntry{"gpu",
                                       "/batch.slice/job.scope",
                                       {CgroupKnobLimit{"max", false, 0, true, 300},
                                        CgroupKnobLimit{"min", true, 100, false, 0}},
                                       7,
                                       2},
                       CgroupDataEntry{"cpu_dma_latency", "/", {}, 1, 0}}});
  add(ExplainRequest{"policy0", "range", End::kMax, true, 1800000});
  {
    ExplainReply x;
    x.device = "policy0";
    x.knob = "range";
    x.end = End::kMax;
    x.unit = "kHz";
    x.effective = Effective::Range(600000, 1800000);
    x.min_request = 400000;
    x.max_request = 2400000;
    x.caller_uid = 1000;
    x.caller_cgroup = "/user.slice/user-1000.slice/app.scope";
    x.unrestricted = true;
    x.grants_total = 3;
    x.grants = {ExplainGrant{"policy*", "range", 400000, 1800000, "/etc/perfqosd.toml:10"},
                ExplainGrant{"*", "*", 0, 7, "/etc/perfqos.d/x.toml:2"}};
    x.limit = CgroupKnobLimit{"max", true, 500000, true, 2000000};
    x.limit_origin = "/etc/perfqosd.toml:20";
    x.setters_total = 9;
    x.setters = {sample_holder(1), sample_holder(2)};
    x.has_value = true;
    x.value = 1700000;
    x.verdict_errno = EACCES;
    x.verdict = "policy0.max=1700000: outside the grants of uid 1000";
    x.would_change = true;
    x.would_be = Effective::Range(600000, 1700000);
    add(x);
  }
  add(BindingsRequest{2, 50});
  add(BindingsReply{{},
                    3,
                    3,
                    {BindingEntry{7, "/batch.slice", "gpu", "range", End::kMax, 300, true, 1000, "",
                                  "batch jobs", "batchd"},
                     BindingEntry{1, "/audio.slice", "cpu_dma_latency", "latency", End::kNone, 20,
                                  false, 0, "/etc/perfqosd.toml:30", "", ""}}});
  add(ProfileRequest{"lowlat"});
  add(ProfileReply{{},
                   {ProfileEntry{"cpu_dma_latency", "latency", End::kNone, 30},
                    ProfileEntry{"policy0", "epp.min", End::kMin, 3},
                    ProfileEntry{"gpu", "max", End::kMax, 600}},
                   1});
  add(Notification{"gpu", "range", Effective::Range(0, 1024), Effective::Range(600, 1024), true,
                   HolderKind::kFuse, 4242, 1000, "arecord", 3, CauseAction::kRemove,
                   "recording", "org.example.Recorder"});
  add(ErrorReply{ReplyStatus::Error(EBADMSG, "frame truncated in field 'device'")});
  // A failed reply carries only its status.
  add(failed_reply<AddReply>(
      EINVAL, "cpu_dma_latency.latency: value -5 out of range: allowed 0..2000000000 or -1"));
  return f;
}

// The samples as version 1 carries them: the fields versions 2 and 3 added are left at their
// defaults, and the messages of later versions (EXPLAIN, BINDINGS) are left out.
inline std::vector<Frame> sample_frames_v1() {
  std::vector<Frame> f = sample_frames();
  std::erase_if(f, [](const Frame& frame) { return min_version(opcode_of(frame.message)) > 1; });
  for (Frame& frame : f) {
    frame.version = 1;
    std::visit(
        [](auto& m) {
          using M = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<M, AddRequest> || std::is_same_v<M, BindRequest>) {
            m.reason.clear();
            m.app_id.clear();
          }
          if constexpr (std::is_same_v<M, BindRequest>) m.transient = false;  // version 3
          if constexpr (std::is_same_v<M, ListDevicesReply>) {
            for (DeviceInfo& d : m.devices)
              for (KnobInfo& k : d.knobs) k.choices.clear();  // version 3
          }
          if constexpr (std::is_same_v<M, DescribeReply>) {
            for (KnobInfo& k : m.device.knobs) k.choices.clear();  // version 3
          }
          if constexpr (std::is_same_v<M, Notification>) {
            m = Notification{m.device, m.knob, m.old_value, m.new_value};
          } else if constexpr (std::is_same_v<M, StatusReply>) {
            for (HolderEntry& e : m.entries) {
              e.reason.clear();
              e.app_id.clear();
            }
          }
        },
        frame.message);
  }
  return f;
}

}  // namespace perfqos::protocol::testing
