#include "protocol/messages.h"

#include <utility>

namespace perfqos::protocol {
namespace {

template <std::size_t I = 0>
bool opcode_exists(std::uint8_t value) {
  if constexpr (I < std::variant_size_v<Message>) {
    return static_cast<std::uint8_t>(std::variant_alternative_t<I, Message>::kOpcode) == value ||
           opcode_exists<I + 1>(value);
  } else {
    return false;
  }
}

}  // namespace

ReplyStatus ReplyStatus::Error(std::int32_t code, std::string message) {
  if (message.size() > kMaxReplyMessage) message.resize(kMaxReplyMessage);
  return ReplyStatus{code, std::move(message)};
}

Opcode opcode_of(const Message& message) {
  return std::visit([](const auto& m) { return std::remove_cvref_t<decltype(m)>::kOpcode; },
                    message);
}

bool is_known_opcode(std::uint8_t value) {
  return opcode_exists(value);
}

std::uint8_t min_version(Opcode opcode) {
  switch (opcode) {
    case Opcode::kExplain:
    case Opcode::kExplainReply:
    case Opcode::kBindings:
    case Opcode::kBindingsReply:
      return 3;
    case Opcode::kProfile:
    case Opcode::kProfileReply:
      return 4;
    default:
      return 1;
  }
}

bool is_request(Opcode opcode) {
  return static_cast<std::uint8_t>(opcode) < 0x40;
}

const char* opcode_name(Opcode opcode) {
  switch (opcode) {
    case Opcode::kHello:
      return "HELLO";
    case Opcode::kListDevices:
      return "LIST_DEVICES";
    case Opcode::kDescribe:
      return "DESCRIBE";
    case Opcode::kAdd:
      return "ADD";
    case Opcode::kUpdate:
      return "UPDATE";
    case Opcode::kRemove:
      return "REMOVE";
    case Opcode::kRead:
      return "READ";
    case Opcode::kSubscribe:
      return "SUBSCRIBE";
    case Opcode::kUnsubscribe:
      return "UNSUBSCRIBE";
    case Opcode::kStatus:
      return "STATUS";
    case Opcode::kBind:
      return "BIND";
    case Opcode::kUnbind:
      return "UNBIND";
    case Opcode::kRescan:
      return "RESCAN";
    case Opcode::kCgroupData:
      return "CGROUP_DATA";
    case Opcode::kExplain:
      return "EXPLAIN";
    case Opcode::kBindings:
      return "BINDINGS";
    case Opcode::kProfile:
      return "PROFILE";
    case Opcode::kNotify:
      return "NOTIFY";
    case Opcode::kHelloReply:
      return "HELLO reply";
    case Opcode::kListDevicesReply:
      return "LIST_DEVICES reply";
    case Opcode::kDescribeReply:
      return "DESCRIBE reply";
    case Opcode::kAddReply:
      return "ADD reply";
    case Opcode::kUpdateReply:
      return "UPDATE reply";
    case Opcode::kRemoveReply:
      return "REMOVE reply";
    case Opcode::kReadReply:
      return "READ reply";
    case Opcode::kSubscribeReply:
      return "SUBSCRIBE reply";
    case Opcode::kUnsubscribeReply:
      return "UNSUBSCRIBE reply";
    case Opcode::kStatusReply:
      return "STATUS reply";
    case Opcode::kBindReply:
      return "BIND reply";
    case Opcode::kUnbindReply:
      return "UNBIND reply";
    case Opcode::kRescanReply:
      return "RESCAN reply";
    case Opcode::kCgroupDataReply:
      return "CGROUP_DATA reply";
    case Opcode::kExplainReply:
      return "EXPLAIN reply";
    case Opcode::kBindingsReply:
      return "BINDINGS reply";
    case Opcode::kProfileReply:
      return "PROFILE reply";
    case Opcode::kError:
      return "ERROR";
  }
  return "unknown";
}

}  // namespace perfqos::protocol
