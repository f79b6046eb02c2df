// libFuzzer target: the socket protocol's frame decoder (src/protocol/codec.h), in both
// directions. Properties:
//   - decode() never reads outside the input (the input buffer is exactly `size` bytes: ASan);
//   - a refusal has a positive errno and a message, and the ERROR frame a server answers it with
//     (error_frame(peek_tag(...))) encodes;
//   - a frame that decodes re-encodes to exactly the input (the encoding is canonical) and
//     carries the tag peek_tag() reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "protocol/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace perfqos::protocol;
  using perfqos::Status;
  const std::span<const std::uint8_t> bytes(data, size);
  for (Direction direction : {Direction::kToServer, Direction::kToClient}) {
    Frame frame;
    const Status decoded = decode(bytes, direction, &frame);
    std::vector<std::uint8_t> out;
    if (!decoded.ok()) {
      FUZZ_CHECK(decoded.code() > 0);
      FUZZ_CHECK(!decoded.message().empty());
      const Status reply = encode(error_frame(peek_tag(bytes), decoded), &out);
      FUZZ_CHECK_MSG(reply.ok(), reply.message());
      continue;
    }
    FUZZ_CHECK(frame.tag == peek_tag(bytes));
    const Status encoded = encode(frame, &out);
    FUZZ_CHECK_MSG(encoded.ok(), encoded.message());
    FUZZ_CHECK(std::equal(out.begin(), out.end(), bytes.begin(), bytes.end()));
  }
  return 0;
}
