// The write and read side of the PM QoS class nodes (DESIGN §5), exactly as the kernel's
// /dev/cpu_dma_latency family behaves, as pure functions:
//
//   write of exactly 4 bytes   a native-endian s32
//   write of any other size    hexadecimal text, parsed as the kernel's kstrtos32(.., 16, ..):
//                              an optional '+' or '-', an optional "0x"/"0X", one or more hex
//                              digits, an optional single '\n', nothing else; a NUL byte ends the
//                              text (as the kernel's copy is NUL-terminated). "100" is 256.
//                              EINVAL: empty, a bad character, "0x" without digits, text longer
//                              than 34 bytes (the kernel's s32 buffer; perfqos refuses longer
//                              text where the kernel would parse only its first 34 bytes).
//                              ERANGE: does not fit an s32 (kernel kstrtos32 behaviour).
//   read                       the 4-byte effective value; at read position `off` the bytes
//                              [off, 4) of it (simple_read_from_buffer semantics). As in the
//                              kernel, writes do not move the read position (the FUSE tree
//                              subtracts what writes moved the file position by).
//
// Whether the value is acceptable for the class (-1 = default, other negatives and values above
// the class's range: EINVAL) is the model's check (ListSpec::accepts), done by the caller.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace perfqos::daemon {

inline constexpr std::size_t kClassNodeMaxText = 34;

// 0 and *value set, or EINVAL / ERANGE (and *value untouched).
int parse_class_node_write(const char* data, std::size_t size, std::int32_t* value);

// The kernel's kstrtos32(text, 16, ...) on a NUL-free string: 0, EINVAL or ERANGE.
int parse_hex_s32(std::string_view text, std::int32_t* value);

// The bytes a read of `size` bytes at `offset` returns: copies them to `out` (at least 4 bytes)
// and returns how many (0 at or past offset 4).
std::size_t read_class_node(std::int32_t effective, std::uint64_t offset, std::size_t size,
                            char* out);

}  // namespace perfqos::daemon
