// The codec of the perfqos socket protocol (docs/protocol.md): Frame <-> bytes of one
// SOCK_SEQPACKET message. No I/O, no exceptions across the API (std::bad_alloc aside).
//
// Frame header, little-endian, 12 bytes:
//   0 u8 version | 1 u8 opcode | 2 u16 reserved (0) | 4 u32 tag | 8 u32 payload size
//
// decode() never reads outside `bytes`, never allocates from a length it has not checked against
// the limits and the remaining bytes, and refuses trailing bytes. Its errors name the field:
// "frame truncated in field 'device'", "field 'comm' longer than 15 bytes (20)",
// "unknown opcode 0x7f", "unsupported version 9 (this side speaks 1..2)".
//
// Thread safety: stateless; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/messages.h"
#include "util/status.h"

namespace perfqos::protocol {

// Which way a frame travels; decode() refuses opcodes that do not travel that way.
enum class Direction { kToServer, kToClient };

// Replaces *out with the encoding of `frame`. Fails with EINVAL when a field breaks its limit and
// EMSGSIZE when the frame would exceed kMaxFrameSize (paginate: see fit_page()).
Status encode(const Frame& frame, std::vector<std::uint8_t>* out);

// Decodes one whole frame. On error *out is unspecified. Codes: EBADMSG malformed, EMSGSIZE too
// large, EPROTONOSUPPORT other version.
Status decode(std::span<const std::uint8_t> bytes, Direction direction, Frame* out);

// The tag of a frame whose header is at least partly readable (for the ERROR reply to a frame
// decode() refused); 0 when the tag bytes are missing.
std::uint32_t peek_tag(std::span<const std::uint8_t> bytes);

// The ERROR frame a server sends for a frame it could not parse, before closing the connection.
Frame error_frame(std::uint32_t tag, const Status& status);

// Bytes one list entry adds to a page.
std::size_t encoded_size(const DeviceInfo& device);
std::size_t encoded_size(const HolderEntry& entry);
std::size_t encoded_size(const CgroupDataEntry& entry);
std::size_t encoded_size(const BindingEntry& entry);

}  // namespace perfqos::protocol
