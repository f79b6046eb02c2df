// Writes the generated seed files of the corpora: fuzz/corpus/<target>/seed-* (the config
// corpus is written by hand). Run it after a protocol or ABI change and commit what changes:
//
//   cmake --build build --target fuzz_write_seeds && build/fuzz/fuzz_write_seeds fuzz/corpus
//
// Seeds are starting points for libFuzzer's mutations and inputs of the replay tests: one valid
// example of each kind of input, plus a few near misses.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "perfqos/perf_qos_ioctl.h"
#include "protocol/codec.h"
#include "protocol/sample_frames.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

void write(const fs::path& dir, const std::string& name, const Bytes& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "write_seeds: cannot write %s\n", (dir / ("seed-" + name)).c_str());
    std::exit(1);
  }
}

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

void frame_seeds(const fs::path& dir) {
  const auto frames = perfqos::protocol::testing::sample_frames();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    Bytes bytes;
    if (!perfqos::protocol::encode(frames[i], &bytes).ok()) {
      std::fprintf(stderr, "write_seeds: sample frame %zu does not encode\n", i);
      std::exit(1);
    }
    char name[32];
    std::snprintf(name, sizeof name, "%02zu-opcode-%02x", i, bytes[1]);
    write(dir, name, bytes);
  }
}

void class_node_seeds(const fs::path& dir) {
  const std::int32_t binary = 20;
  Bytes four(sizeof binary);
  std::memcpy(four.data(), &binary, sizeof binary);
  write(dir, "binary-s32", four);
  const std::pair<const char*, std::string_view> texts[] = {
      {"hex", "100"},
      {"hex-0x-newline", "0x64\n"},
      {"minus-one", "-1"},
      {"plus-max", "+7fffffff"},
      {"min", "-80000000"},
      {"erange", "80000000\n"},
      {"overflow-u64", "10000000000000000"},
      {"upper-0X", "0X1F"},
      {"prefix-only", "0x"},
      {"two-newlines", "12\n\n"},
      {"nul-ends-text", std::string_view("1f\0zz", 5)},
      {"34-bytes", "0000000000000000000000000000000001"},
      {"35-bytes", "00000000000000000000000000000000001"},
      {"empty", ""},
      // The first 16 bytes also give read_class_node() an offset and a size.
      {"read-offset", std::string_view("\x02\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0", 16)},
  };
  for (const auto& [name, t] : texts) write(dir, name, text(t));
}

// perf_ioctl_fuzzer's input: a device header, then records (see that file).
class IoctlSeed {
 public:
  IoctlSeed(std::uint8_t unit, std::int32_t limit_min, std::int32_t limit_max) {
    bytes_.push_back(unit);
    u32(static_cast<std::uint32_t>(limit_min));
    u32(static_cast<std::uint32_t>(limit_max));
  }
  IoctlSeed& get(int file, unsigned int cmd) {
    bytes_.push_back(static_cast<std::uint8_t>(file));
    u32(cmd);
    return *this;
  }
  IoctlSeed& set(int file, unsigned int cmd, std::int32_t value) {
    get(file, cmd);
    u32(static_cast<std::uint32_t>(value));
    bytes_.resize(bytes_.size() + _IOC_SIZE(cmd) - 4, 0);
    return *this;
  }
  IoctlSeed& reopen(int file) {
    bytes_.push_back(static_cast<std::uint8_t>(3 + 4 * file));
    return *this;
  }
  IoctlSeed& unregister() {
    bytes_.push_back(3 + 4 * 3);
    return *this;
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  Bytes bytes_;
};

void perf_ioctl_seeds(const fs::path& dir) {
  constexpr std::uint8_t kNormal = PERF_QOS_UNIT_NORMAL, kKbps = PERF_QOS_UNIT_KBPS;
  const auto rfc4 = [](unsigned direction, unsigned nr) { return _IOC(direction, 'P', nr, 4); };
  write(dir, "every-get",
        IoctlSeed(kNormal, 0, 1024)
            .set(0, PERF_QOS_IOC_SET_MIN, 300)
            .get(0, PERF_QOS_IOC_GET_MIN)
            .get(1, PERF_QOS_IOC_GET_MAX)
            .get(0, PERF_QOS_IOC_GET_UNIT)
            .get(0, PERF_QOS_IOC_GET_LIMITS)
            .get(2, PERF_QOS_IOC_GET_EFFECTIVE_MIN)
            .get(2, PERF_QOS_IOC_GET_EFFECTIVE_MAX)
            .bytes());
  write(dir, "rfc-pointer-sized",
        IoctlSeed(kNormal, 100, 900)
            .set(0, PERF_QOS_IOC_RFC_SET_MAX, 700)
            .get(0, PERF_QOS_IOC_RFC_GET_MAX)
            .get(0, PERF_QOS_IOC_RFC_GET_UNIT)
            .get(0, PERF_QOS_IOC_RFC_GET_LIMITS)
            .set(1, PERF_QOS_IOC_RFC_SET_MIN, 200)
            .get(1, PERF_QOS_IOC_RFC_GET_MIN)
            .bytes());
  write(dir, "rfc-32-bit",
        IoctlSeed(kNormal, 0, 1024)
            .set(0, rfc4(_IOC_WRITE, PERF_QOS_IOC_SET_MIN_CMD), 5)
            .get(0, rfc4(_IOC_READ, PERF_QOS_IOC_GET_MIN_CMD))
            .get(0, rfc4(_IOC_READ, PERF_QOS_IOC_GET_UNIT_CMD))
            .get(0, rfc4(_IOC_READ, PERF_QOS_IOC_GET_LIMITS_CMD))
            .bytes());
  write(dir, "ealready-and-hard-limit",
        IoctlSeed(kNormal, 10, 1000)
            .set(0, PERF_QOS_IOC_SET_MIN, 300)
            .set(0, PERF_QOS_IOC_SET_MIN, 300)
            .set(0, PERF_QOS_IOC_SET_MIN, 10)
            .set(0, PERF_QOS_IOC_SET_MIN, 10)
            .set(0, PERF_QOS_IOC_SET_MAX, 1001)
            .set(0, PERF_QOS_IOC_SET_MIN, 9)
            .bytes());
  write(dir, "cap-wins-then-close",
        IoctlSeed(kNormal, 0, 1024)
            .set(0, PERF_QOS_IOC_SET_MIN, 800)
            .set(1, PERF_QOS_IOC_SET_MAX, 200)
            .get(2, PERF_QOS_IOC_GET_EFFECTIVE_MIN)
            .reopen(1)
            .get(2, PERF_QOS_IOC_GET_MAX)
            .get(2, PERF_QOS_IOC_GET_EFFECTIVE_MAX)
            .bytes());
  write(dir, "device-gone",
        IoctlSeed(kNormal, 0, 1024)
            .set(0, PERF_QOS_IOC_SET_MIN, 400)
            .unregister()
            .get(0, PERF_QOS_IOC_GET_MIN)
            .set(0, PERF_QOS_IOC_SET_MIN, 500)
            .get(1, PERF_QOS_IOC_GET_LIMITS)
            .bytes());
  write(dir, "kbps",
        IoctlSeed(kKbps, 1000, 2147483647)
            .set(0, PERF_QOS_IOC_SET_MAX, 50000)
            .get(0, PERF_QOS_IOC_GET_UNIT)
            .set(1, PERF_QOS_IOC_SET_MIN, 2147483647)
            .bytes());
  write(dir, "not-ours",
        IoctlSeed(kNormal, 0, 1024)
            .get(0, _IOR('Q', PERF_QOS_IOC_GET_MIN_CMD, perf_qos_ioctl_arg))
            .get(0, _IOR('P', PERF_QOS_IOC_MAX_CMD, perf_qos_ioctl_arg))
            .get(0, _IOW('P', PERF_QOS_IOC_GET_MIN_CMD, perf_qos_ioctl_arg))
            .get(0, _IOWR('P', PERF_QOS_IOC_SET_MIN_CMD, perf_qos_ioctl_arg))
            .get(0, _IOR('P', PERF_QOS_IOC_GET_MIN_CMD, std::uint16_t))
            .get(0, _IOC(_IOC_NONE, 'P', 0, 0))
            .bytes());
  write(dir, "bad-spec-inverted", IoctlSeed(kNormal, 900, 100).bytes());
  write(dir, "bad-spec-unit", IoctlSeed(7, 0, 1024).bytes());
  write(dir, "bad-spec-normal-range", IoctlSeed(kNormal, 0, 1025).bytes());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS-DIR (fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path corpus = argv[1];
  frame_seeds(corpus / "frame_decoder");
  class_node_seeds(corpus / "class_node");
  perf_ioctl_seeds(corpus / "perf_ioctl");
  return 0;
}
