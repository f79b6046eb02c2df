// The pure parts of the FUSE nodes: the class-node write parser (the kernel's exact semantics),
// the class-node read, the perf ioctl decoder and encoder, and the uapi header's layout.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "frontends/fuse/class_node.h"
#include "frontends/fuse/perf_qos_node.h"
#include "perfqos/perf_qos_ioctl.h"

namespace perfqos::daemon {
namespace {

int parse(const std::string& text, std::int32_t* value) {
  return parse_class_node_write(text.data(), text.size(), value);
}

TEST(ClassNodeWrite, FourBytesAreANativeS32) {
  for (std::int32_t v : {0, 1, -1, -2, 2000000000, INT32_MIN, INT32_MAX}) {
    char bytes[4];
    std::memcpy(bytes, &v, 4);
    std::int32_t out = 7;
    EXPECT_EQ(parse_class_node_write(bytes, 4, &out), 0);
    EXPECT_EQ(out, v);
  }
  std::int32_t out = 0;
  EXPECT_EQ(parse("abc\n", &out), 0);  // text of 4 bytes is binary too, as in the kernel
  EXPECT_EQ(out, 0x0a636261);
}

TEST(ClassNodeWrite, OtherSizesAreHexText) {
  const std::pair<const char*, std::int32_t> good[] = {
      {"100", 256},
      {"0x10\n", 16},
      {"0X10\n", 16},
      {"ff\n", 255},
      {"FF", 255},
      {"-1", -1},
      {"-1\n", -1},
      {"+1f", 31},
      {"0", 0},
      {"-0", 0},
      {"7fffffff", INT32_MAX},
      {"-80000000", INT32_MIN},
      {"00000001", 1},
      {"-0x10", -16},
      {"1", 1},
      {"0x0", 0},
      {"000000000000000000000000000000000f", 15},
  };
  for (const auto& [text, want] : good) {
    std::int32_t out = 12345;
    EXPECT_EQ(parse(text, &out), 0) << text;
    EXPECT_EQ(out, want) << text;
  }
}

TEST(ClassNodeWrite, BadTextIsEinvalAndOverflowErange) {
  const std::pair<std::string, int> bad[] = {
      {"", EINVAL},
      {"zz", EINVAL},
      {"0x", EINVAL},
      {"-", EINVAL},
      {"+", EINVAL},
      {"\n", EINVAL},
      {"1\n\n", EINVAL},
      {"1 ", EINVAL},
      {" 1", EINVAL},
      {"1g", EINVAL},
      {"--1", EINVAL},
      {"-+1", EINVAL},
      {"0x0x1", EINVAL},
      {"1\r\n", EINVAL},
      {"12345", 0},  // 5 bytes: fine
      {"80000000", ERANGE},
      {"-80000001", ERANGE},
      {"ffffffffffffffff", ERANGE},
      {"10000000000000000", ERANGE},   // past 64 bits: the kernel's accumulator overflows
      {std::string(35, '0'), EINVAL},  // longer than the kernel's 34-byte buffer
      {std::string(34, '0'), 0},
  };
  for (const auto& [text, want] : bad) {
    std::int32_t out = 12345;
    EXPECT_EQ(parse(text, &out), want) << '"' << text << '"';
    if (want != 0) {
      EXPECT_EQ(out, 12345) << "an error leaves the value alone: " << text;
    }
  }
}

TEST(ClassNodeWrite, ANulByteEndsTheText) {
  std::int32_t out = 0;
  EXPECT_EQ(parse_class_node_write("1c\0zz", 5, &out), 0);
  EXPECT_EQ(out, 28);
  EXPECT_EQ(parse_class_node_write("\0abcd", 5, &out), EINVAL);
}

TEST(ClassNodeRead, ReturnsTheBytesFromTheOffset) {
  const std::int32_t v = 0x01020304;
  char out[8];
  EXPECT_EQ(read_class_node(v, 0, 8, out), 4u);
  std::int32_t back;
  std::memcpy(&back, out, 4);
  EXPECT_EQ(back, v);
  EXPECT_EQ(read_class_node(v, 0, 2, out), 2u);
  EXPECT_EQ(read_class_node(v, 3, 8, out), 1u);
  EXPECT_EQ(read_class_node(v, 4, 8, out), 0u);
  EXPECT_EQ(read_class_node(v, 1u << 31, 8, out), 0u);
}

TEST(PerfIoctlAbi, StructAndNumbers) {
  EXPECT_EQ(sizeof(struct perf_qos_ioctl_arg), 16u);
  EXPECT_EQ(offsetof(struct perf_qos_ioctl_arg, unit), 12u);
  EXPECT_EQ(_IOC_SIZE(PERF_QOS_IOC_SET_MIN), 16u);
  EXPECT_EQ(_IOC_SIZE(PERF_QOS_IOC_RFC_SET_MIN), sizeof(void*));
  EXPECT_EQ(_IOC_DIR(PERF_QOS_IOC_SET_MAX), static_cast<unsigned>(_IOC_WRITE));
  EXPECT_EQ(_IOC_DIR(PERF_QOS_IOC_GET_EFFECTIVE_MAX), static_cast<unsigned>(_IOC_READ));
  EXPECT_EQ(_IOC_NR(PERF_QOS_IOC_GET_EFFECTIVE_MAX), 7u);
  EXPECT_EQ(_IOC_TYPE(PERF_QOS_IOC_GET_LIMITS), static_cast<unsigned>('P'));
}

TEST(PerfIoctlDecode, AcceptsTheHeadersCommands) {
  const std::pair<unsigned long, PerfIoctlOp> cmds[] = {
      {PERF_QOS_IOC_SET_MIN, PerfIoctlOp::kSetMin},
      {PERF_QOS_IOC_GET_MIN, PerfIoctlOp::kGetMin},
      {PERF_QOS_IOC_SET_MAX, PerfIoctlOp::kSetMax},
      {PERF_QOS_IOC_GET_MAX, PerfIoctlOp::kGetMax},
      {PERF_QOS_IOC_GET_UNIT, PerfIoctlOp::kGetUnit},
      {PERF_QOS_IOC_GET_LIMITS, PerfIoctlOp::kGetLimits},
      {PERF_QOS_IOC_GET_EFFECTIVE_MIN, PerfIoctlOp::kGetEffectiveMin},
      {PERF_QOS_IOC_GET_EFFECTIVE_MAX, PerfIoctlOp::kGetEffectiveMax},
  };
  for (const auto& [cmd, op] : cmds) {
    PerfIoctl d;
    ASSERT_EQ(decode_perf_ioctl(static_cast<unsigned>(cmd), &d), 0) << cmd;
    EXPECT_EQ(d.op, op);
    EXPECT_EQ(d.size, 16u);
    EXPECT_FALSE(d.pointer_sized);
  }
}

TEST(PerfIoctlDecode, AcceptsPointerSizedWhereTheAnswerFits) {
  PerfIoctl d;
  ASSERT_EQ(decode_perf_ioctl(PERF_QOS_IOC_RFC_SET_MIN, &d), 0);
  EXPECT_TRUE(d.pointer_sized);
  EXPECT_EQ(d.size, sizeof(void*));
  ASSERT_EQ(decode_perf_ioctl(PERF_QOS_IOC_RFC_GET_LIMITS, &d), 0);
  ASSERT_EQ(decode_perf_ioctl(_IOR('P', PERF_QOS_IOC_GET_UNIT_CMD, int), &d), 0);  // 32-bit
  ASSERT_EQ(decode_perf_ioctl(_IOW('P', PERF_QOS_IOC_SET_MAX_CMD, int), &d), 0);
  // GET_LIMITS needs two ints: not with a 4-byte pointer.
  EXPECT_EQ(decode_perf_ioctl(_IOR('P', PERF_QOS_IOC_GET_LIMITS_CMD, int), &d), ENOTTY);
}

TEST(PerfIoctlDecode, EverythingElseIsEnotty) {
  PerfIoctl d;
  const unsigned bad[] = {
      _IOR('Q', 1, struct perf_qos_ioctl_arg),
      _IOR('P', 8, struct perf_qos_ioctl_arg),
      _IOR('P', 200, struct perf_qos_ioctl_arg),
      _IOW('P', PERF_QOS_IOC_GET_MIN_CMD, struct perf_qos_ioctl_arg),  // GET written to
      _IOWR('P', PERF_QOS_IOC_GET_MIN_CMD, struct perf_qos_ioctl_arg),
      _IOR('P', PERF_QOS_IOC_SET_MIN_CMD, struct perf_qos_ioctl_arg),  // SET read from
      _IOWR('P', PERF_QOS_IOC_SET_MIN_CMD, struct perf_qos_ioctl_arg),
      _IO('P', PERF_QOS_IOC_SET_MIN_CMD),
      _IO('P', PERF_QOS_IOC_GET_UNIT_CMD),
      _IOW('P', PERF_QOS_IOC_SET_MIN_CMD, char[12]),
      _IOW('P', PERF_QOS_IOC_SET_MIN_CMD, char[2]),
      _IOR('P', PERF_QOS_IOC_GET_MIN_CMD, char[32]),
      _IOR('P', PERF_QOS_IOC_GET_MIN_CMD, char[17]),
  };
  for (unsigned cmd : bad) EXPECT_EQ(decode_perf_ioctl(cmd, &d), ENOTTY) << std::hex << cmd;
}

TEST(PerfIoctlEncode, WritesOnlyTheCommandsBytesAndZeroesTheRest) {
  PerfAnswer a;
  a.value = 0;
  a.limits = Range{100, 900};
  a.unit = PerfUnit::kKbps;
  PerfIoctl d;
  unsigned char out[32];

  ASSERT_EQ(decode_perf_ioctl(PERF_QOS_IOC_GET_LIMITS, &d), 0);
  std::memset(out, 0xa5, sizeof out);
  ASSERT_EQ(encode_perf_answer(d, a, out), 16u);
  perf_qos_ioctl_arg arg;
  std::memcpy(&arg, out, sizeof arg);
  EXPECT_EQ(arg.value, 0);
  EXPECT_EQ(arg.limit_min, 100);
  EXPECT_EQ(arg.limit_max, 900);
  EXPECT_EQ(arg.unit, 0);
  EXPECT_EQ(out[16], 0xa5);

  ASSERT_EQ(decode_perf_ioctl(PERF_QOS_IOC_RFC_GET_LIMITS, &d), 0);
  std::memset(out, 0xa5, sizeof out);
  ASSERT_EQ(encode_perf_answer(d, a, out), sizeof(void*));
  std::memcpy(&arg, out, sizeof arg);
  EXPECT_EQ(arg.value, 900);  // limit_max moves into value
  EXPECT_EQ(arg.limit_min, 100);
  EXPECT_EQ(out[8], 0xa5);

  ASSERT_EQ(decode_perf_ioctl(PERF_QOS_IOC_GET_UNIT, &d), 0);
  ASSERT_EQ(encode_perf_answer(d, a, out), 16u);
  std::memcpy(&arg, out, sizeof arg);
  EXPECT_EQ(arg.unit, PERF_QOS_UNIT_KBPS);
  EXPECT_EQ(arg.value, 0);

  ASSERT_EQ(decode_perf_ioctl(PERF_QOS_IOC_RFC_GET_UNIT, &d), 0);
  std::memset(out, 0xa5, sizeof out);
  ASSERT_EQ(encode_perf_answer(d, a, out), sizeof(void*));
  std::memcpy(&arg, out, 4);
  EXPECT_EQ(arg.value, PERF_QOS_UNIT_KBPS);

  a.value = 321;
  ASSERT_EQ(decode_perf_ioctl(PERF_QOS_IOC_GET_EFFECTIVE_MIN, &d), 0);
  ASSERT_EQ(encode_perf_answer(d, a, out), 16u);
  std::memcpy(&arg, out, sizeof arg);
  EXPECT_EQ(arg.value, 321);
  EXPECT_EQ(arg.limit_min, 0);
  EXPECT_EQ(arg.limit_max, 0);
}

TEST(PerfNodeSummary, OneLine) {
  EXPECT_EQ(perf_node_summary(Range{300, 1024}, Range{0, 1024}, PerfUnit::kNormal),
            "min 300 max 1024 limits 0..1024 unit normal\n");
  EXPECT_EQ(perf_node_summary(Range{0, 5}, Range{0, 100000}, PerfUnit::kKbps),
            "min 0 max 5 limits 0..100000 unit kbps\n");
}

}  // namespace
}  // namespace perfqos::daemon
