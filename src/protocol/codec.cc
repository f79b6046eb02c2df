#include "protocol/codec.h"

#include <cerrno>
#include <cstdio>
#include <string>
#include <variant>

#include "protocol/field_reader.h"
#include "protocol/field_writer.h"
#include "protocol/layout.h"

namespace perfqos::protocol {
namespace {

std::string hex(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

void put_le(std::vector<std::uint8_t>* out, std::size_t at, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) (*out)[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint32_t get_le(std::span<const std::uint8_t> bytes, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint32_t>(bytes[at + i]) << (8 * i);
  return v;
}

// Decodes the body of the message type whose opcode is `op`; false when no type has it.
template <std::size_t I = 0>
bool decode_body(Opcode op, FieldReader& reader, Message* out) {
  if constexpr (I < std::variant_size_v<Message>) {
    using T = std::variant_alternative_t<I, Message>;
    if (T::kOpcode != op) return decode_body<I + 1>(op, reader, out);
    T message{};
    layout(reader, message);
    *out = std::move(message);
    return true;
  } else {
    return false;
  }
}

}  // namespace

Status encode(const Frame& frame, std::vector<std::uint8_t>* out) {
  out->assign(kHeaderSize, 0);
  if (frame.version < kMinVersion || frame.version > kVersion) {
    return Status::Error(EINVAL, "cannot encode version " + std::to_string(frame.version) +
                                     " (this side speaks " + std::to_string(kMinVersion) + ".." +
                                     std::to_string(kVersion) + ")");
  }
  if (const Opcode op = opcode_of(frame.message); frame.version < min_version(op)) {
    return Status::Error(EINVAL, std::string("cannot encode ") + opcode_name(op) +
                                     " in version " + std::to_string(frame.version) +
                                     " (it needs " + std::to_string(min_version(op)) + ")");
  }
  FieldWriter writer(out);
  writer.set_version(frame.version);
  std::visit([&writer](const auto& message) { layout(writer, message); }, frame.message);
  if (writer.failed()) return writer.status();
  if (out->size() > kMaxFrameSize) {
    return Status::Error(EMSGSIZE, std::string(opcode_name(opcode_of(frame.message))) +
                                       " frame of " + std::to_string(out->size()) +
                                       " bytes exceeds the maximum " +
                                       std::to_string(kMaxFrameSize) + " (paginate)");
  }
  (*out)[0] = frame.version;
  (*out)[1] = static_cast<std::uint8_t>(opcode_of(frame.message));
  put_le(out, 4, frame.tag, 4);
  put_le(out, 8, static_cast<std::uint32_t>(out->size() - kHeaderSize), 4);
  return Status::Ok();
}

Status decode(std::span<const std::uint8_t> bytes, Direction direction, Frame* out) {
  if (bytes.size() > kMaxFrameSize) {
    return Status::Error(EMSGSIZE, "frame of " + std::to_string(bytes.size()) +
                                       " bytes exceeds the maximum " +
                                       std::to_string(kMaxFrameSize));
  }
  if (bytes.size() < kHeaderSize) {
    return Status::Error(EBADMSG, "frame truncated in the header (" + std::to_string(bytes.size()) +
                                      " of " + std::to_string(kHeaderSize) + " bytes)");
  }
  if (bytes[0] < kMinVersion || bytes[0] > kVersion) {
    return Status::Error(EPROTONOSUPPORT, "unsupported version " + std::to_string(bytes[0]) +
                                              " (this side speaks " + std::to_string(kMinVersion) +
                                              ".." + std::to_string(kVersion) + ")");
  }
  if (!is_known_opcode(bytes[1])) {
    return Status::Error(EBADMSG, "unknown opcode " + hex(bytes[1]));
  }
  const auto op = static_cast<Opcode>(bytes[1]);
  if (bytes[0] < min_version(op)) {
    return Status::Error(EBADMSG, std::string(opcode_name(op)) + " needs protocol version " +
                                      std::to_string(min_version(op)) + ", the frame is version " +
                                      std::to_string(bytes[0]));
  }
  const bool to_server = is_request(op);
  if (to_server != (direction == Direction::kToServer)) {
    return Status::Error(EBADMSG, std::string("opcode ") + hex(bytes[1]) + " (" + opcode_name(op) +
                                      ") is not sent to the " + (to_server ? "client" : "server"));
  }
  if (std::uint32_t reserved = get_le(bytes, 2, 2); reserved != 0) {
    return Status::Error(EBADMSG, "reserved header field is " + hex(reserved) + ", must be 0");
  }
  const std::size_t payload = get_le(bytes, 8, 4);
  if (payload != bytes.size() - kHeaderSize) {
    return Status::Error(EBADMSG, "header announces a payload of " + std::to_string(payload) +
                                      " bytes, the frame carries " +
                                      std::to_string(bytes.size() - kHeaderSize));
  }
  out->tag = get_le(bytes, 4, 4);
  out->version = bytes[0];
  FieldReader reader(bytes.subspan(kHeaderSize));
  reader.set_version(bytes[0]);
  decode_body(op, reader, &out->message);
  if (reader.failed()) return reader.status();
  if (reader.remaining() != 0) {
    return Status::Error(EBADMSG, std::to_string(reader.remaining()) +
                                      " trailing bytes after the " + opcode_name(op) + " message");
  }
  return Status::Ok();
}

std::uint32_t peek_tag(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 8 ? get_le(bytes, 4, 4) : 0;
}

Frame error_frame(std::uint32_t tag, const Status& status) {
  ErrorReply reply;
  reply.status = ReplyStatus::Error(status.ok() ? EBADMSG : status.code(), status.message());
  // The ERROR layout is the same in every version; the oldest is one any client can read.
  return Frame{tag, std::move(reply), kMinVersion};
}

namespace {

template <class T>
std::size_t encoded_size_of(const T& item) {
  std::vector<std::uint8_t> bytes;
  FieldWriter writer(&bytes);
  layout(writer, item);
  return bytes.size();
}

}  // namespace

std::size_t encoded_size(const DeviceInfo& device) {
  return encoded_size_of(device);
}

std::size_t encoded_size(const HolderEntry& entry) {
  return encoded_size_of(entry);
}

std::size_t encoded_size(const CgroupDataEntry& entry) {
  return encoded_size_of(entry);
}

std::size_t encoded_size(const BindingEntry& entry) {
  return encoded_size_of(entry);
}

}  // namespace perfqos::protocol
