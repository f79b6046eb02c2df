// Random and mutated frames: the decoder must return an error or a frame that re-encodes to the
// same bytes (the encoding is canonical); it must never crash or read out of bounds (run under
// ASan in the sanitizer build).
#include <gtest/gtest.h>

#include <random>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/sample_frames.h"

namespace perfqos::protocol {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Decodes `bytes` both ways; whenever that succeeds, re-encoding must give `bytes` back.
// Returns how many of the two directions accepted the frame.
int check_decode(const Bytes& bytes) {
  int accepted = 0;
  for (Direction d : {Direction::kToServer, Direction::kToClient}) {
    Frame frame;
    Status s = decode(bytes, d, &frame);
    if (!s.ok()) {
      EXPECT_GT(s.code(), 0);
      EXPECT_FALSE(s.message().empty());
      continue;
    }
    ++accepted;
    Bytes again;
    Status e = encode(frame, &again);
    EXPECT_TRUE(e.ok()) << e.message();
    EXPECT_EQ(again, bytes);
  }
  return accepted;
}

TEST(CodecFuzz, RandomBytesNeverCrash) {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 300);
  int rejected = 0;
  for (int i = 0; i < 50000; ++i) {
    Bytes b(static_cast<std::size_t>(length(rng)));
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
    // Give half of them a plausible header so the body decoders get exercised too.
    if (i % 2 == 0 && b.size() >= kHeaderSize) {
      b[0] = kVersion;
      b[2] = b[3] = 0;
      std::size_t n = b.size() - kHeaderSize;
      for (int k = 0; k < 4; ++k) b[8 + k] = static_cast<std::uint8_t>(n >> (8 * k));
    }
    if (check_decode(b) == 0) ++rejected;
  }
  EXPECT_GT(rejected, 45000);
}

TEST(CodecFuzz, MutatedValidFramesNeverCrash) {
  std::mt19937 rng(7);
  const auto frames = testing::sample_frames();
  int accepted = 0;
  for (int i = 0; i < 40000; ++i) {
    const Frame& f = frames[static_cast<std::size_t>(i) % frames.size()];
    Bytes b;
    ASSERT_TRUE(encode(f, &b).ok());
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      std::size_t at = kHeaderSize + rng() % (b.size() - kHeaderSize + 1);
      if (at >= b.size()) {
        b.push_back(static_cast<std::uint8_t>(rng()));
      } else {
        b[at] = static_cast<std::uint8_t>(rng());
      }
    }
    std::size_t n = b.size() - kHeaderSize;
    for (int k = 0; k < 4; ++k) b[8 + k] = static_cast<std::uint8_t>(n >> (8 * k));
    accepted += check_decode(b);
  }
  // Mutations of integer fields are still valid frames; the rest must have been refused.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 40000);
}

}  // namespace
}  // namespace perfqos::protocol
