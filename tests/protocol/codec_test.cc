#include "protocol/codec.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <variant>

#include "protocol/field_rules.h"
#include "protocol/limits.h"
#include "protocol/pagination.h"
#include "protocol/sample_frames.h"

namespace perfqos::protocol {
namespace {

using Bytes = std::vector<std::uint8_t>;

Direction direction_of(const Frame& frame) {
  return is_request(opcode_of(frame.message)) ? Direction::kToServer : Direction::kToClient;
}

Bytes encoded(const Frame& frame) {
  Bytes bytes;
  Status s = encode(frame, &bytes);
  EXPECT_TRUE(s.ok()) << s.message();
  return bytes;
}

// A frame assembled by hand: header with a correct payload size, then `payload`.
Bytes raw_frame(std::uint8_t opcode, const Bytes& payload, std::uint8_t version = kVersion) {
  Bytes b = {version, opcode, 0, 0, 1, 0, 0, 0};
  std::uint32_t n = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

void set_payload_size(Bytes* b, std::size_t n) {
  for (int i = 0; i < 4; ++i) (*b)[8 + i] = static_cast<std::uint8_t>(n >> (8 * i));
}

void append_str(Bytes* b, const std::string& s) {
  b->push_back(static_cast<std::uint8_t>(s.size()));
  b->push_back(static_cast<std::uint8_t>(s.size() >> 8));
  b->insert(b->end(), s.begin(), s.end());
}

Status decode_as_server(const Bytes& b) {
  Frame f;
  return decode(b, Direction::kToServer, &f);
}

Status decode_as_client(const Bytes& b) {
  Frame f;
  return decode(b, Direction::kToClient, &f);
}

TEST(Codec, EveryMessageTypeHasASample) {
  std::vector<bool> seen(std::variant_size_v<Message>, false);
  for (const Frame& f : testing::sample_frames()) seen[f.message.index()] = true;
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "variant index " << i;
}

TEST(Codec, EveryMessageRoundTrips) {
  for (const Frame& frame : testing::sample_frames()) {
    SCOPED_TRACE(opcode_name(opcode_of(frame.message)));
    Bytes bytes = encoded(frame);
    Frame back;
    Status s = decode(bytes, direction_of(frame), &back);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(back, frame);
  }
}

TEST(Codec, Version1FramesRoundTripWithoutTheVersion2Fields) {
  for (const Frame& frame : testing::sample_frames_v1()) {
    SCOPED_TRACE(opcode_name(opcode_of(frame.message)));
    Bytes bytes = encoded(frame);
    EXPECT_EQ(bytes[0], 1);
    Frame back;
    Status s = decode(bytes, direction_of(frame), &back);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(back, frame);
  }
}

TEST(Codec, Version1LeavesOutReasonAndAppId) {
  AddRequest add{"cpu_dma_latency", "", End::kNone, 20, 0, "recording", "org.example.Rec"};
  const Bytes v2 = encoded(Frame{1, add, 2});
  const Bytes v1 = encoded(Frame{1, add, 1});
  // version 2 adds two strings: u16 length + bytes each.
  EXPECT_EQ(v2.size(), v1.size() + 2 + 9 + 2 + 15);
  Frame back;
  ASSERT_TRUE(decode(v1, Direction::kToServer, &back).ok());
  EXPECT_EQ(back.version, 1);
  const auto& got = std::get<AddRequest>(back.message);
  EXPECT_EQ(got.value, 20);
  EXPECT_EQ(got.reason, "");
  EXPECT_EQ(got.app_id, "");
  // A version-1 ADD read as version 2 is short by the two strings.
  Bytes relabeled = v1;
  relabeled[0] = 2;
  EXPECT_EQ(decode_as_server(relabeled).message(), "frame truncated in field 'reason'");
}

TEST(Codec, Version3AddsTransientToBind) {
  BindRequest bind{"/c.scope", "cpu_dma_latency", "", End::kNone, 25, "container c", "oci:c"};
  bind.transient = true;
  const Bytes v3 = encoded(Frame{1, bind, 3});
  const Bytes v2 = encoded(Frame{1, bind, 2});
  EXPECT_EQ(v3.size(), v2.size() + 1);  // one bool
  Frame back;
  ASSERT_TRUE(decode(v3, Direction::kToServer, &back).ok());
  EXPECT_TRUE(std::get<BindRequest>(back.message).transient);
  // Version 2 cannot carry it: the binding a version-2 client makes is not transient.
  ASSERT_TRUE(decode(v2, Direction::kToServer, &back).ok());
  EXPECT_FALSE(std::get<BindRequest>(back.message).transient);
  EXPECT_EQ(std::get<BindRequest>(back.message).reason, "container c");
  // A version-2 BIND read as version 3 is short by the bool.
  Bytes relabeled = v2;
  relabeled[0] = 3;
  EXPECT_EQ(decode_as_server(relabeled).message(), "frame truncated in field 'transient'");
  // Only the messages version 3 extends (BIND, KnobInfo's choices in LIST_DEVICES and
  // DESCRIBE, NOTIFY's cause) or adds (EXPLAIN, BINDINGS) differ from version 2.
  for (const Frame& frame : testing::sample_frames()) {
    if (std::holds_alternative<BindRequest>(frame.message) ||
        std::holds_alternative<ListDevicesReply>(frame.message) ||
        std::holds_alternative<DescribeReply>(frame.message) ||
        std::holds_alternative<Notification>(frame.message) ||
        min_version(opcode_of(frame.message)) > 2) {
      continue;
    }
    Frame two = frame, three = frame;
    two.version = 2;
    three.version = 3;
    EXPECT_EQ(encoded(three).size(), encoded(two).size()) << opcode_name(opcode_of(frame.message));
  }
}

TEST(Codec, Version4AddsCpusOfToAddAndBindAndContainerToBind) {
  AddRequest add{"cpus", "resume_latency", End::kNone, 0};
  add.cpus_of = "/kubepods/pod1/c1";
  const Bytes add4 = encoded(Frame{1, add, 4});
  Frame back;
  ASSERT_TRUE(decode(add4, Direction::kToServer, &back).ok());
  EXPECT_EQ(std::get<AddRequest>(back.message).cpus_of, "/kubepods/pod1/c1");
  // Version 3 cannot carry it: such an ADD is an ordinary one (and "cpus" no device).
  ASSERT_TRUE(decode(encoded(Frame{1, add, 3}), Direction::kToServer, &back).ok());
  EXPECT_EQ(std::get<AddRequest>(back.message).cpus_of, "");

  BindRequest bind{"/c.scope", "cpus", "resume_latency", End::kNone, 0};
  bind.cpus_of = "/c.scope";
  bind.container = true;
  const Bytes bind4 = encoded(Frame{1, bind, 4});
  ASSERT_TRUE(decode(bind4, Direction::kToServer, &back).ok());
  EXPECT_EQ(std::get<BindRequest>(back.message), bind);
  Bytes relabeled = encoded(Frame{1, bind, 3});
  relabeled[0] = 4;
  EXPECT_EQ(decode_as_server(relabeled).message(), "frame truncated in field 'cpus_of'");
  // Only ADD and BIND grow in version 4.
  for (const Frame& frame : testing::sample_frames()) {
    if (std::holds_alternative<AddRequest>(frame.message) ||
        std::holds_alternative<BindRequest>(frame.message) ||
        min_version(opcode_of(frame.message)) > 3) {
      continue;
    }
    Frame three = frame, four = frame;
    three.version = 3;
    four.version = 4;
    EXPECT_EQ(encoded(four).size(), encoded(three).size()) << opcode_name(opcode_of(frame.message));
  }
}

// Version 3: a named knob's words travel with its KnobInfo, bounded in count, length and charset.
TEST(Codec, Version3CarriesNamedKnobChoices) {
  KnobInfo epp{"epp",    ListType::kRange,
               "choice", 0,
               0,        0,
               0,        Effective::Range(0, 3),
               0,        3,
               0,        {"power", "balance_power", "balance_performance", "performance"}};
  DeviceInfo d{"policy0", "cpufreq", "", "", 0, "", 0, {epp}};
  const Frame reply{1, DescribeReply{{}, d}};
  Frame back;
  ASSERT_TRUE(decode(encoded(reply), Direction::kToClient, &back).ok());
  EXPECT_EQ(std::get<DescribeReply>(back.message).device.knobs[0].choices, epp.choices);
  Frame two = reply;
  two.version = 2;  // version 2 has no room for them: they are left out
  ASSERT_TRUE(decode(encoded(two), Direction::kToClient, &back).ok());
  EXPECT_TRUE(std::get<DescribeReply>(back.message).device.knobs[0].choices.empty());

  Bytes out;
  DescribeReply many{{}, d};
  many.device.knobs[0].choices.assign(kMaxChoices + 1, "power");
  EXPECT_EQ(encode(Frame{1, many}, &out).code(), EINVAL);
  DescribeReply spaced{{}, d};
  spaced.device.knobs[0].choices[0] = "low power";  // not a name
  EXPECT_EQ(encode(Frame{1, spaced}, &out).code(), EINVAL);
  DescribeReply longer{{}, d};
  longer.device.knobs[0].choices[0].assign(kMaxChoiceName + 1, 'w');
  EXPECT_EQ(encode(Frame{1, longer}, &out).code(), EINVAL);
}

TEST(Codec, ReasonAndAppIdAreBounded) {
  AddRequest add{"cpu_dma_latency",          "", End::kNone, 20, 0, std::string(kMaxReason, 'r'),
                 std::string(kMaxAppId, 'a')};
  Bytes ok = encoded(Frame{1, add, 3});  // app_id is ADD's last field in version 3
  add.reason += 'r';
  Bytes bytes;
  Status s = encode(Frame{1, add}, &bytes);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(), "field 'reason' longer than 127 bytes (128)");
  // The decoder refuses the same: claim one byte more for app_id (its length is 65 bytes
  // before the end).
  Bytes longer = ok;
  longer.push_back('a');
  longer[longer.size() - kMaxAppId - 3] = kMaxAppId + 1;
  set_payload_size(&longer, longer.size() - kHeaderSize);
  EXPECT_EQ(decode_as_server(longer).message(), "field 'app_id' longer than 63 bytes (64)");
}

TEST(FieldRules, NotesArePrintableUtf8WithinTheirLimit) {
  EXPECT_EQ(check_note("reason", "recording \xc3\xa0 48 kHz \xe2\x82\xac", 127), std::nullopt);
  EXPECT_EQ(check_note("reason", "", 127), std::nullopt);
  EXPECT_EQ(check_note("reason", std::string(128, 'x'), 127).value_or(""),
            "reason: longer than 127 bytes (128) (allowed: at most 127 bytes of printable UTF-8)");
  EXPECT_EQ(check_note("app_id", "a\nb", 63).value_or(""),
            "app_id: contains control character 0x0a at byte 1 (allowed: at most 63 bytes of "
            "printable UTF-8)");
  EXPECT_EQ(check_note("reason", "\x1b[31m", 127).value_or(""),
            "reason: contains control character 0x1b at byte 0 (allowed: at most 127 bytes of "
            "printable UTF-8)");
  EXPECT_EQ(check_note("reason", "x\x7f", 127).value_or(""),
            "reason: contains control character 0x7f at byte 1 (allowed: at most 127 bytes of "
            "printable UTF-8)");
  // Not UTF-8: a stray continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(check_note("reason", "\x80", 127).value_or(""),
            "reason: is not UTF-8: byte 0x80 at byte 0 (allowed: at most 127 bytes of printable "
            "UTF-8)");
  EXPECT_NE(check_note("reason", "ab\xe2\x82", 127), std::nullopt);
  EXPECT_NE(check_note("reason", "\xc0\xaf", 127), std::nullopt);
  EXPECT_NE(check_note("reason", "\xed\xa0\x80", 127), std::nullopt);
  // C1 controls (U+0085 NEL) are control characters too.
  EXPECT_EQ(check_note("reason", "\xc2\x85", 127).value_or("").substr(0, 34),
            "reason: contains control character");
}

TEST(Codec, HeaderIsLittleEndianAndGolden) {
  Bytes bytes = encoded(Frame{0x0a0b0c0d, UpdateRequest{0x01020304, -2}});
  Bytes expected = {kVersion, 0x05, 0,    0,    0x0d, 0x0c, 0x0b, 0x0a, 8,    0,
                    0,        0,    0x04, 0x03, 0x02, 0x01, 0xfe, 0xff, 0xff, 0xff};
  EXPECT_EQ(bytes, expected);
}

TEST(Codec, StringIsLengthPrefixedWithoutNul) {
  Bytes bytes = encoded(Frame{1, DescribeRequest{"gpu"}});
  Bytes expected = raw_frame(0x03, {3, 0, 'g', 'p', 'u'});
  EXPECT_EQ(bytes, expected);
}

TEST(Codec, FailedReplyCarriesNoBody) {
  Frame frame{5, failed_reply<RemoveReply>(ENOENT, "request 9: no such request")};
  Bytes bytes = encoded(frame);
  EXPECT_EQ(bytes.size(), kHeaderSize + 4 + 2 + std::strlen("request 9: no such request"));
  // A body after a failed status is trailing garbage.
  bytes.push_back(1);
  set_payload_size(&bytes, bytes.size() - kHeaderSize);
  Status s = decode_as_client(bytes);
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_EQ(s.message(), "1 trailing bytes after the REMOVE reply message");
}

TEST(Codec, TruncationAtEveryOffsetIsAnError) {
  for (const Frame& frame : testing::sample_frames()) {
    SCOPED_TRACE(opcode_name(opcode_of(frame.message)));
    Bytes bytes = encoded(frame);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      Bytes cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      Frame out;
      Status s = decode(cut, direction_of(frame), &out);
      ASSERT_FALSE(s.ok()) << "prefix of " << n << " bytes decoded";
      EXPECT_EQ(s.code(), EBADMSG);
      // With the header's payload size patched to match, the field decoder has to find the cut.
      if (n >= kHeaderSize) {
        set_payload_size(&cut, n - kHeaderSize);
        s = decode(cut, direction_of(frame), &out);
        ASSERT_FALSE(s.ok()) << "patched prefix of " << n << " bytes decoded";
        EXPECT_EQ(s.code(), EBADMSG) << s.message();
      }
    }
  }
}

TEST(Codec, TruncatedFieldIsNamed) {
  Bytes b = raw_frame(0x04, {});  // ADD
  append_str(&b, "gpu");
  append_str(&b, "range");
  b.push_back(1);     // end
  b.push_back(0x10);  // two bytes of the four of value
  b.push_back(0x00);
  set_payload_size(&b, b.size() - kHeaderSize);
  Status s = decode_as_server(b);
  EXPECT_EQ(s.message(), "frame truncated in field 'value'");

  Bytes header_only = {1, 4, 0};
  EXPECT_EQ(decode_as_server(header_only).message(),
            "frame truncated in the header (3 of 12 bytes)");
}

TEST(Codec, NestedFieldNamesCarryTheirPath) {
  Frame frame{1, ListDevicesReply{{}, 1, 1, {testing::sample_device("gpu")}}};
  Bytes bytes = encoded(frame);
  // Cut inside devices[0].knobs[1] and patch the size.
  Bytes cut(bytes.begin(), bytes.end() - 15);
  set_payload_size(&cut, cut.size() - kHeaderSize);
  EXPECT_EQ(decode_as_client(cut).message(),
            "frame truncated in field 'devices[0].knobs[1].effective.max'");
}

TEST(Codec, OversizedFrameIsRefused) {
  Bytes big(kMaxFrameSize + 1, 0);
  big[0] = kVersion;
  big[1] = 0x04;
  Status s = decode_as_server(big);
  EXPECT_EQ(s.code(), EMSGSIZE);
  EXPECT_EQ(s.message(), "frame of 65537 bytes exceeds the maximum 65536");
}

TEST(Codec, EncoderRefusesAPageThatDoesNotFit) {
  ListDevicesReply reply;
  reply.total = 100;
  for (int i = 0; i < 100; ++i)
    reply.devices.push_back(testing::largest_device("dev" + std::to_string(i)));
  Bytes bytes;
  Status s = encode(Frame{1, reply}, &bytes);
  EXPECT_EQ(s.code(), EMSGSIZE);
  EXPECT_NE(s.message().find("exceeds the maximum 65536"), std::string::npos) << s.message();
}

TEST(Codec, EncoderRefusesOversizedString) {
  Bytes bytes;
  Status s =
      encode(Frame{1, AddRequest{std::string(64, 'a'), "latency", End::kNone, 5, 0}}, &bytes);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(), "field 'device' longer than 63 bytes (64)");

  HolderEntry h = testing::sample_holder(1);
  h.comm = std::string(16, 'c');
  s = encode(Frame{1, StatusReply{{}, 1, 1, {h}}}, &bytes);
  EXPECT_EQ(s.message(), "field 'entries[0].comm' longer than 15 bytes (16)");
}

TEST(Codec, EncoderRefusesBadNameAndBadEnum) {
  Bytes bytes;
  Status s = encode(Frame{1, DescribeRequest{"../etc"}}, &bytes);
  EXPECT_EQ(s.message(), "field 'device' contains byte 0x2f; allowed [A-Za-z0-9_.:-]");
  s = encode(Frame{1, AddRequest{"gpu", "range", static_cast<End>(3), 1, 0}}, &bytes);
  EXPECT_EQ(s.message(), "field 'end' has invalid value 3 (allowed 0..2)");
  s = encode(Frame{1, ReadReply{{}, Effective{false, 1, 2}}}, &bytes);
  EXPECT_EQ(s.message(), "field 'effective.max' must equal 'min' for a one-valued knob");
}

TEST(Codec, DecoderRefusesOversizedString) {
  Bytes b = raw_frame(0x03, {});
  append_str(&b, std::string(64, 'a'));
  set_payload_size(&b, b.size() - kHeaderSize);
  EXPECT_EQ(decode_as_server(b).message(), "field 'device' longer than 63 bytes (64)");

  // A length beyond the remaining bytes (but within the limit) is a truncation.
  Bytes c = raw_frame(0x03, {40, 0, 'a', 'b'});
  EXPECT_EQ(decode_as_server(c).message(), "frame truncated in field 'device'");

  // comm in a STATUS entry.
  HolderEntry h = testing::sample_holder(1);
  h.comm = "123456789012345";  // 15: the limit
  Bytes ok = encoded(Frame{1, StatusReply{{}, 1, 1, {h}}});
  auto at = std::search(ok.begin(), ok.end(), h.comm.begin(), h.comm.end()) - ok.begin();
  ok[static_cast<std::size_t>(at) - 2] = 16;  // claim one byte more
  EXPECT_EQ(decode_as_client(ok).message(), "field 'entries[0].comm' longer than 15 bytes (16)");
}

TEST(Codec, DecoderRefusesBadVersion) {
  Bytes b = encoded(Frame{1, RescanRequest{}});
  b[0] = 9;
  Status s = decode_as_server(b);
  EXPECT_EQ(s.code(), EPROTONOSUPPORT);
  EXPECT_EQ(s.message(), "unsupported version 9 (this side speaks 1..4)");
}

// EXPLAIN (0x0f, reply 0x8f) exists from version 3 on: older frames carrying it are refused
// by the decoder and never written by the encoder.
TEST(Codec, ExplainNeedsVersion3) {
  const Frame request{7, ExplainRequest{"cpu_dma_latency", "", End::kNone, true, 20}};
  Bytes b = encoded(request);
  EXPECT_EQ(b[1], 0x0f);
  for (std::uint8_t version : {1, 2}) {
    b[0] = version;
    Status s = decode_as_server(b);
    EXPECT_EQ(s.code(), EBADMSG);
    EXPECT_EQ(s.message(),
              "EXPLAIN needs protocol version 3, the frame is version " + std::to_string(version));
    Frame old = request;
    old.version = version;
    Bytes out;
    EXPECT_EQ(encode(old, &out).code(), EINVAL);
  }
  Bytes reply = encoded(Frame{7, ExplainReply{}});
  EXPECT_EQ(reply[1], 0x8f);
  reply[0] = 2;
  EXPECT_EQ(decode_as_client(reply).code(), EBADMSG);
}

// PROFILE (0x11, reply 0x91) exists from version 4 on, as EXPLAIN from version 3.
TEST(Codec, ProfileNeedsVersion4) {
  const Frame request{7, ProfileRequest{"lowlat"}};
  Bytes b = encoded(request);
  EXPECT_EQ(b[1], 0x11);
  for (std::uint8_t version : {1, 2, 3}) {
    b[0] = version;
    Status s = decode_as_server(b);
    EXPECT_EQ(s.code(), EBADMSG);
    EXPECT_EQ(s.message(),
              "PROFILE needs protocol version 4, the frame is version " + std::to_string(version));
    Frame old = request;
    old.version = version;
    Bytes out;
    EXPECT_EQ(encode(old, &out).code(), EINVAL);
  }
  Bytes reply = encoded(Frame{7, ProfileReply{}});
  EXPECT_EQ(reply[1], 0x91);
  reply[0] = 3;
  EXPECT_EQ(decode_as_client(reply).code(), EBADMSG);
}

TEST(Codec, ProfileRepliesAreBoundedAndTheLargestFitsAFrame) {
  ProfileReply big;
  big.requests.assign(kMaxProfileRequests,
                      ProfileEntry{std::string(kMaxDeviceName, 'd'), std::string(kMaxKnobName, 'k'),
                                   End::kMax, INT32_MAX});
  Bytes out;
  EXPECT_TRUE(encode(Frame{1, big}, &out).ok());
  big.requests.emplace_back();
  EXPECT_EQ(encode(Frame{1, big}, &out).code(), EINVAL);
  EXPECT_EQ(encode(Frame{1, ProfileRequest{std::string(kMaxProfileName + 1, 'p')}}, &out).code(),
            EINVAL);
}

// Garbage EXPLAIN frames: every field is checked and named.
TEST(Codec, GarbageExplainFramesAreRefusedNamingTheField) {
  Bytes payload;
  append_str(&payload, "cpu dma");  // a space: not a device name
  append_str(&payload, "");
  payload.insert(payload.end(), {0, 0, 0, 0, 0, 0});
  Status s = decode_as_server(raw_frame(0x0f, payload));
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_NE(s.message().find("'device'"), std::string::npos) << s.message();

  payload.clear();
  append_str(&payload, "cpu_dma_latency");
  append_str(&payload, "");
  payload.insert(payload.end(), {3, 0, 0, 0, 0, 0});  // end 3 does not exist
  s = decode_as_server(raw_frame(0x0f, payload));
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_NE(s.message().find("'end'"), std::string::npos) << s.message();

  payload.clear();
  append_str(&payload, "cpu_dma_latency");
  append_str(&payload, "");
  payload.insert(payload.end(), {0, 2, 0, 0, 0, 0});  // has_value 2 is no boolean
  s = decode_as_server(raw_frame(0x0f, payload));
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_NE(s.message().find("'has_value'"), std::string::npos) << s.message();

  payload[payload.size() - 5] = 1;
  payload.pop_back();  // truncated in 'value'
  s = decode_as_server(raw_frame(0x0f, payload));
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_NE(s.message().find("'value'"), std::string::npos) << s.message();

  // A reply with more setters than kMaxExplainSetters does not encode.
  ExplainReply big;
  big.setters.resize(kMaxExplainSetters + 1);
  Bytes out;
  EXPECT_FALSE(encode(Frame{1, big}, &out).ok());
  ExplainReply bad_errno;
  bad_errno.verdict_errno = -1;
  EXPECT_FALSE(encode(Frame{1, bad_errno}, &out).ok());
}

// The largest EXPLAIN reply the limits allow still fits one frame.
TEST(Codec, LargestExplainReplyFitsAFrame) {
  ExplainReply x;
  for (const Frame& f : testing::sample_frames()) {
    if (const auto* sample = std::get_if<ExplainReply>(&f.message)) x = *sample;
  }
  x.caller_cgroup.assign(kMaxCgroupPath, 'c');
  x.verdict.assign(kMaxReplyMessage, 'v');
  x.limit_origin.assign(kMaxOrigin, 'o');
  HolderEntry h = testing::sample_holder(1);
  h.cgroup.assign(kMaxCgroupPath, 'g');
  h.comm.assign(kMaxComm, 'm');
  h.label.assign(kMaxLabel, 'l');
  h.reason.assign(kMaxReason, 'r');
  h.app_id.assign(kMaxAppId, 'a');
  h.device.assign(kMaxDeviceName, 'd');
  x.setters.assign(kMaxExplainSetters, h);
  x.grants.assign(kMaxExplainGrants,
                  ExplainGrant{std::string(kMaxDeviceName, 'd'), std::string(kMaxKnobName, 'k'), 0,
                               1, std::string(kMaxOrigin, 'o')});
  Bytes out;
  Status s = encode(Frame{1, x}, &out);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(Codec, DecoderRefusesUnknownOpcode) {
  Bytes b = raw_frame(0x7f, {});
  Status s = decode_as_server(b);
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_EQ(s.message(), "unknown opcode 0x7f");
}

TEST(Codec, DecoderRefusesWrongDirection) {
  Bytes reply = encoded(Frame{1, RescanReply{}});
  EXPECT_EQ(decode_as_server(reply).message(),
            "opcode 0x8d (RESCAN reply) is not sent to the server");
  Bytes request = encoded(Frame{1, RescanRequest{}});
  EXPECT_EQ(decode_as_client(request).message(), "opcode 0x0d (RESCAN) is not sent to the client");
}

TEST(Codec, DecoderRefusesReservedBitsAndSizeMismatch) {
  Bytes b = encoded(Frame{1, RemoveRequest{3}});
  b[3] = 1;
  EXPECT_EQ(decode_as_server(b).message(), "reserved header field is 0x100, must be 0");
  b = encoded(Frame{1, RemoveRequest{3}});
  set_payload_size(&b, 5);
  EXPECT_EQ(decode_as_server(b).message(),
            "header announces a payload of 5 bytes, the frame carries 4");
}

TEST(Codec, DecoderRefusesTrailingBytes) {
  Bytes b = raw_frame(0x06, {3, 0, 0, 0, 0xaa, 0xbb});  // REMOVE id 3 + 2 bytes
  Status s = decode_as_server(b);
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_EQ(s.message(), "2 trailing bytes after the REMOVE message");
}

TEST(Codec, DecoderRefusesCountsTheFrameCannotHold) {
  // SUBSCRIBE with 200 names but no bytes for them.
  Bytes b = raw_frame(0x08, {200, 0});
  EXPECT_EQ(decode_as_server(b).message(),
            "field 'devices' count 200 needs at least 400 bytes, 0 remain");
  // Over the maximum.
  Bytes c = raw_frame(0x08, {0xff, 0xff});
  EXPECT_EQ(decode_as_server(c).message(), "field 'devices' count 65535 exceeds the maximum 256");
  // A page of 1000 devices in a tiny frame.
  Bytes d = raw_frame(0x82, {0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xe8, 0x03});
  Status s = decode_as_client(d);
  EXPECT_EQ(s.code(), EBADMSG);
  EXPECT_NE(s.message().find("field 'devices' count 1000 needs at least"), std::string::npos)
      << s.message();
}

TEST(Codec, DecoderRefusesBadEnumBoolCharsetAndNul) {
  Bytes add = raw_frame(0x04, {});
  append_str(&add, "gpu");
  append_str(&add, "range");
  add.insert(add.end(), {7, 1, 0, 0, 0, 0, 0, 0, 0});
  set_payload_size(&add, add.size() - kHeaderSize);
  EXPECT_EQ(decode_as_server(add).message(), "field 'end' has invalid value 7 (allowed 0..2)");

  Bytes read = raw_frame(0x87, {0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0});
  EXPECT_EQ(decode_as_client(read).message(),
            "field 'effective.is_range' has invalid value 2 (allowed 0..1)");

  Bytes name = raw_frame(0x03, {});
  append_str(&name, "gp u");
  set_payload_size(&name, name.size() - kHeaderSize);
  EXPECT_EQ(decode_as_server(name).message(),
            "field 'device' contains byte 0x20; allowed [A-Za-z0-9_.:-]");

  Bytes bind = raw_frame(0x0b, {});
  append_str(&bind, std::string("/a\0b", 4));
  set_payload_size(&bind, bind.size() - kHeaderSize);
  EXPECT_EQ(decode_as_server(bind).message(), "field 'cgroup' contains a NUL byte");

  Bytes err = raw_frame(0xff, {0xff, 0xff, 0xff, 0xff, 0, 0});
  EXPECT_EQ(decode_as_client(err).message(), "field 'errno' must lie in 0..4095");
}

TEST(Codec, ErrorFrameCarriesTagAndCode) {
  Bytes garbage = {1, 4, 0, 0, 0x2a, 0, 0, 0, 99};
  Status s = decode_as_server(garbage);
  ASSERT_FALSE(s.ok());
  Frame reply = error_frame(peek_tag(garbage), s);
  EXPECT_EQ(reply.tag, 42u);
  Bytes bytes = encoded(reply);
  Frame back;
  ASSERT_TRUE(decode(bytes, Direction::kToClient, &back).ok());
  const auto& e = std::get<ErrorReply>(back.message);
  EXPECT_EQ(e.status.error, EBADMSG);
  EXPECT_EQ(e.status.message, s.message());
  EXPECT_EQ(peek_tag(Bytes{1, 2, 3}), 0u);
}

TEST(Codec, ReplyStatusErrorTruncatesLongMessages) {
  auto reply = failed_reply<AddReply>(EINVAL, std::string(5000, 'x'));
  EXPECT_EQ(reply.status.message.size(), kMaxReplyMessage);
  Bytes bytes;
  EXPECT_TRUE(encode(Frame{1, reply}, &bytes).ok());
}

TEST(Pagination, FitPageStopsAtTheFrameLimit) {
  std::vector<DeviceInfo> devices;
  for (int i = 0; i < 200; ++i) {
    std::string name = "d";  // not "d" + std::to_string(i): GCC 12 -O3 -Wrestrict (PR105329)
    name += std::to_string(i);
    devices.push_back(testing::largest_device(name));
  }
  std::size_t n = fit_page(devices, 0);
  ASSERT_GT(n, 1u);
  ASSERT_LT(n, devices.size());
  ListDevicesReply page{{},
                        200,
                        static_cast<std::uint32_t>(n),
                        std::vector<DeviceInfo>(devices.begin(), devices.begin() + n)};
  Bytes bytes;
  EXPECT_TRUE(encode(Frame{1, page}, &bytes).ok());
  EXPECT_GT(bytes.size() + encoded_size(devices[n]), kMaxFrameSize);
  page.devices.push_back(devices[n]);
  EXPECT_EQ(encode(Frame{1, page}, &bytes).code(), EMSGSIZE);

  EXPECT_EQ(fit_page(devices, 5), 5u);
  EXPECT_EQ(fit_page(std::span<const DeviceInfo>(), 0), 0u);
}

TEST(Pagination, WorstCaseEntriesFitOnePage) {
  HolderEntry h = testing::sample_holder(1);
  h.device = std::string(kMaxDeviceName, 'd');
  h.cgroup = std::string(kMaxCgroupPath, 'c');
  h.comm = std::string(kMaxComm, 'c');
  h.label = std::string(kMaxLabel, 'l');
  h.reason = std::string(kMaxReason, 'r');
  h.app_id = std::string(kMaxAppId, 'a');
  std::vector<HolderEntry> entries(50, h);
  std::size_t n = fit_page(entries, 0);
  EXPECT_GE(n, 10u);
  StatusReply page{{},
                   50,
                   static_cast<std::uint32_t>(n),
                   std::vector<HolderEntry>(entries.begin(), entries.begin() + n)};
  Bytes bytes;
  EXPECT_TRUE(encode(Frame{1, page}, &bytes).ok());
}

}  // namespace
}  // namespace perfqos::protocol
