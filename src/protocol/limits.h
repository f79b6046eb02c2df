// Wire limits of the perfqos socket protocol (docs/protocol.md, "Limits"). Every string and list
// on the wire is bounded by one of these; encoder and decoder enforce them alike.
#pragma once

#include <cstddef>
#include <cstdint>

namespace perfqos::protocol {

// The newest protocol version this code speaks; every frame header carries its version. Frames of
// every version from kMinVersion to kVersion are understood; a reply is sent in the version of
// its request (docs/protocol.md, "Versioning").
inline constexpr std::uint8_t kVersion = 4;
inline constexpr std::uint8_t kMinVersion = 1;

// Bytes of the fixed frame header: version u8, opcode u8, reserved u16, tag u32, payload u32.
inline constexpr std::size_t kHeaderSize = 12;
// Largest frame (header + payload) either side sends or accepts; one SOCK_SEQPACKET message.
inline constexpr std::size_t kMaxFrameSize = 64 * 1024;

// String fields: maximum length in bytes (no terminating NUL on the wire).
inline constexpr std::size_t kMaxDeviceName = 63;
inline constexpr std::size_t kMaxKind = 31;
inline constexpr std::size_t kMaxKnobName = 31;
inline constexpr std::size_t kMaxUnit = 15;
inline constexpr std::size_t kMaxBackendMessage = 255;
inline constexpr std::size_t kMaxReplyMessage = 1023;
inline constexpr std::size_t kMaxComm = 15;
inline constexpr std::size_t kMaxCgroupPath = 4095;
inline constexpr std::size_t kMaxLabel = 63;
inline constexpr std::size_t kMaxPeerName = 63;
// Version 2: why a request is held and which application holds it (logged, shown by STATUS).
inline constexpr std::size_t kMaxReason = 127;
inline constexpr std::size_t kMaxAppId = 63;

// Version 3: where a grant or cgroup limit comes from ("file:line", cut to fit).
inline constexpr std::size_t kMaxOrigin = 255;

// List fields: maximum element count.
inline constexpr std::size_t kMaxKnobsPerDevice = 16;
// A named knob's words (version 3): how many, and the bytes of each.
inline constexpr std::size_t kMaxChoices = 16;
inline constexpr std::size_t kMaxChoiceName = 31;
inline constexpr std::size_t kMaxPageEntries = 1024;
inline constexpr std::size_t kMaxSubscribeDevices = 256;
inline constexpr std::size_t kMaxCgroupKnobLimits = 2 * kMaxKnobsPerDevice;
// Version 3, EXPLAIN: the caller's grants and the setters of a knob carried in one reply (the
// totals say how many there are); 8 setters with the longest cgroup paths still fit a frame.
inline constexpr std::size_t kMaxExplainGrants = 16;
inline constexpr std::size_t kMaxExplainSetters = 8;
// Version 4, PROFILE: a profile's name (as [[profile]] names it) and how many requests one reply
// carries (a profile of 64 SPECs expands cpus[LIST]; 256 of the longest entries fit a frame).
inline constexpr std::size_t kMaxProfileName = 32;
inline constexpr std::size_t kMaxProfileRequests = 256;

}  // namespace perfqos::protocol
