#include "oci_hook/oci_state.h"

#include <cerrno>
#include <limits>
#include <nlohmann/json.hpp>

namespace perfqos::oci {
namespace {

Status bad(const std::string& what) {
  return Status::Error(EINVAL, "state: " + what);
}

}  // namespace

Status parse_container_state(std::string_view text, ContainerState* out) {
  if (text.size() > kMaxStateBytes) {
    return bad("larger than " + std::to_string(kMaxStateBytes) + " bytes");
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not a JSON document");
  if (!j.is_object()) return bad("must be a JSON object");
  ContainerState s;
  if (auto it = j.find("id"); it != j.end()) {
    if (!it->is_string()) return bad("id must be a string");
    s.id = it->get<std::string>();
  }
  if (auto it = j.find("status"); it != j.end()) {
    if (!it->is_string()) return bad("status must be a string");
    s.status = it->get<std::string>();
  }
  if (auto it = j.find("pid"); it != j.end()) {
    if (!it->is_number_integer() || it->get<long long>() <= 0 ||
        it->get<long long>() > std::numeric_limits<int>::max()) {
      return bad("pid must be a positive integer");
    }
    s.pid = static_cast<int>(it->get<long long>());
  }
  if (auto it = j.find("annotations"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return bad("annotations must be an object of strings");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) return bad("annotations.\"" + key + "\" must be a string");
      s.annotations.emplace(key, value.get<std::string>());
    }
  }
  *out = std::move(s);
  return Status::Ok();
}

Status need_pid(const ContainerState& state) {
  if (state.pid > 0) return Status::Ok();
  return bad("pid must be a positive integer (the runtime gave none)");
}

}  // namespace perfqos::oci
