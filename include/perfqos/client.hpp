// C++ wrapper of the perfqos client library (header-only, over include/perfqos/client.h).
//
// Client is one connection to perfqosd; it closes the connection when destroyed, which drops
// every request still held through it. HeldRequest is one request added through a Client; it
// removes the request when destroyed (unless released), and does nothing if its Client is
// already gone (closing the connection dropped the request).
//
// Errors are returned as Status values (code = positive errno, message from the daemon or the
// library); nothing throws except std::bad_alloc. Units, ranges and error codes are those of
// client.h.
//
// Thread safety: a Client and its HeldRequests may be used by one thread at a time.
#pragma once

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "perfqos/client.h"

namespace perfqos::client {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  // REQUIRES: code > 0.
  static Status Error(int code, std::string message) { return Status(code, std::move(message)); }
  // From a C API return value (0 or -errno) and the client whose last_error explains it.
  static Status FromC(int rc, const perfqos_client* client) {
    if (rc >= 0) return Status();
    return Status(-rc, perfqos_last_error(client));
  }

  bool ok() const { return code_ == 0; }
  int code() const { return code_; }  // 0 or a positive errno
  const std::string& message() const { return message_; }

 private:
  Status(int code, std::string message) : code_(code), message_(std::move(message)) {}
  int code_ = 0;
  std::string message_;
};

class Client;

// A request held through a Client. Move-only. Destroying it removes the request.
class HeldRequest {
 public:
  HeldRequest() = default;
  ~HeldRequest() { (void)remove(); }
  HeldRequest(HeldRequest&& other) noexcept
      : client_(std::move(other.client_)), id_(std::exchange(other.id_, 0)) {}
  HeldRequest& operator=(HeldRequest&& other) noexcept {
    if (this != &other) {
      (void)remove();
      client_ = std::move(other.client_);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  HeldRequest(const HeldRequest&) = delete;
  HeldRequest& operator=(const HeldRequest&) = delete;

  // True while this object holds a request.
  bool held() const { return id_ != 0; }
  // The daemon's id of the request (0 when none held).
  std::uint32_t id() const { return id_; }

  // REQUIRES: held().
  Status update(std::int32_t value, perfqos_change* change = nullptr) {
    auto c = client_.lock();
    if (!c || id_ == 0) return Status::Error(ENOTCONN, "request is not held");
    return Status::FromC(perfqos_update(c.get(), id_, value, change), c.get());
  }

  // Removes the request now. Ok when nothing is held or the Client is gone.
  Status remove(perfqos_change* change = nullptr) {
    std::uint32_t id = std::exchange(id_, 0);
    auto c = client_.lock();
    client_.reset();
    if (!c || id == 0) return Status::Ok();
    return Status::FromC(perfqos_remove(c.get(), id, change), c.get());
  }

  // Stops managing the request: it stays until removed by id or the connection closes.
  std::uint32_t release() {
    client_.reset();
    return std::exchange(id_, 0);
  }

 private:
  friend class Client;
  HeldRequest(std::weak_ptr<perfqos_client> client, std::uint32_t id)
      : client_(std::move(client)), id_(id) {}

  std::weak_ptr<perfqos_client> client_;
  std::uint32_t id_ = 0;
};

// One connection to perfqosd. Move-only; empty (not connected) when default-constructed.
class Client {
 public:
  Client() = default;
  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // path: nullptr for $PERFQOS_SOCKET or the default; timeout_ms 0 for the default.
  static Status connect(Client* out, const char* path = nullptr, int timeout_ms = 0) {
    perfqos_client* c = nullptr;
    int rc = perfqos_connect(path, timeout_ms, &c);
    if (rc < 0) return Status::FromC(rc, nullptr);
    out->client_.reset(c, perfqos_close);
    return Status::Ok();
  }
  // Takes ownership of a connected SOCK_SEQPACKET socket.
  static Status adopt_fd(Client* out, int fd, int timeout_ms = 0) {
    perfqos_client* c = nullptr;
    int rc = perfqos_connect_fd(fd, timeout_ms, &c);
    if (rc < 0) return Status::FromC(rc, nullptr);
    out->client_.reset(c, perfqos_close);
    return Status::Ok();
  }

  bool connected() const { return client_ != nullptr; }
  // The underlying C handle, for calls this wrapper does not cover. Owned by this Client.
  perfqos_client* get() const { return client_.get(); }
  int fd() const { return client_ ? perfqos_fd(client_.get()) : -1; }
  // Closes the connection now (its requests are dropped).
  void close() { client_.reset(); }

  Status set_timeout(int timeout_ms) { return check(perfqos_set_timeout(get(), timeout_ms)); }

  Status list(std::vector<perfqos_device_info>* devices) {
    perfqos_device_info* array = nullptr;
    size_t n = 0;
    int rc = perfqos_list(get(), &array, &n);
    if (rc == 0) devices->assign(array, array + n);
    perfqos_free(array);
    return check(rc);
  }

  // The named knobs (epp, profile) and their words; needs protocol version 3.
  Status list_choices(std::vector<perfqos_knob_choices>* choices) {
    perfqos_knob_choices* array = nullptr;
    size_t n = 0;
    int rc = perfqos_list_choices(get(), &array, &n);
    if (rc == 0) choices->assign(array, array + n);
    perfqos_free(array);
    return check(rc);
  }

  Status describe(const std::string& device, perfqos_device_info* out) {
    return check(perfqos_describe(get(), device.c_str(), out));
  }

  // knob: "" for the device's only knob, "min"/"max" for the ends of a range, "epp.min",
  // "profile.max", ... for the ends of a named knob.
  Status add(const std::string& device, const std::string& knob, std::int32_t value,
             HeldRequest* out, perfqos_change* change = nullptr, std::uint32_t duration_ms = 0) {
    std::uint32_t id = 0;
    int rc =
        perfqos_add_timed(get(), device.c_str(), knob.c_str(), value, duration_ms, &id, change);
    if (rc == 0) *out = HeldRequest(client_, id);
    return check(rc);
  }

  // Why a request is held and which application holds it (perfqos_add_noted); empty = not said.
  struct Note {
    std::string reason;
    std::string app_id;
  };
  // As add(), with a note; an empty note sends none (and works with any daemon).
  Status add(const std::string& device, const std::string& knob, std::int32_t value,
             const Note& note, HeldRequest* out, perfqos_change* change = nullptr,
             std::uint32_t duration_ms = 0) {
    std::uint32_t id = 0;
    int rc = perfqos_add_noted(get(), device.c_str(), knob.c_str(), value, duration_ms,
                               note.reason.c_str(), note.app_id.c_str(), &id, change);
    if (rc == 0) *out = HeldRequest(client_, id);
    return check(rc);
  }

  // perfqos_add_cpus_of: `knob`=`value` on each CPU of the cgroup `cpus_of`, following them.
  Status add_cpus_of(const std::string& cpus_of, const std::string& knob, std::int32_t value,
                     const Note& note, HeldRequest* out, perfqos_change* change = nullptr) {
    std::uint32_t id = 0;
    int rc = perfqos_add_cpus_of(get(), cpus_of.c_str(), knob.c_str(), value, note.reason.c_str(),
                                 note.app_id.c_str(), &id, change);
    if (rc == 0) *out = HeldRequest(client_, id);
    return check(rc);
  }

  Status read(const std::string& device, const std::string& knob, perfqos_effective* out) {
    return check(perfqos_read(get(), device.c_str(), knob.c_str(), out));
  }

  // An empty list subscribes to every device.
  Status subscribe(const std::vector<std::string>& devices) {
    std::vector<const char*> names = c_strings(devices);
    return check(perfqos_subscribe(get(), names.data(), names.size()));
  }
  // An empty list ends every subscription.
  Status unsubscribe(const std::vector<std::string>& devices) {
    std::vector<const char*> names = c_strings(devices);
    return check(perfqos_unsubscribe(get(), names.data(), names.size()));
  }

  // timeout_ms: 0 do not wait (EAGAIN when none), -1 without limit.
  Status next_event(perfqos_event* out, int timeout_ms) {
    return check(perfqos_next_event(get(), out, timeout_ms));
  }
  // As next_event, with which request caused it (perfqos_next_event_noted).
  Status next_event(perfqos_event* out, perfqos_event_cause* cause, int timeout_ms) {
    return check(perfqos_next_event_noted(get(), out, cause, timeout_ms));
  }

  // The holders of every request on `device`, or on every device when it is empty.
  Status holders(const std::string& device, std::vector<perfqos_holder_info>* out) {
    perfqos_holder_info* array = nullptr;
    size_t n = 0;
    int rc = perfqos_status(get(), device.c_str(), &array, &n);
    if (rc == 0) out->assign(array, array + n);
    perfqos_free(array);
    return check(rc);
  }

  // As holders(), each request with its reason and application id.
  Status holders(const std::string& device, std::vector<perfqos_holder_note_info>* out) {
    perfqos_holder_note_info* array = nullptr;
    size_t n = 0;
    int rc = perfqos_status_noted(get(), device.c_str(), &array, &n);
    if (rc == 0) out->assign(array, array + n);
    perfqos_free(array);
    return check(rc);
  }

  // perfqos_explain: `value` null explains the knob without judging a request.
  Status explain(const std::string& device, const std::string& knob, const std::int32_t* value,
                 perfqos_explain_info* out) {
    perfqos_explain_info* info = nullptr;
    int rc = perfqos_explain(get(), device.c_str(), knob.c_str(), value, &info);
    if (rc == 0) *out = *info;
    perfqos_free(info);
    return check(rc);
  }

  // Every cgroup binding (perfqos_bindings).
  Status bindings(std::vector<perfqos_binding_info>* out) {
    perfqos_binding_info* array = nullptr;
    size_t n = 0;
    int rc = perfqos_bindings(get(), &array, &n);
    if (rc == 0) out->assign(array, array + n);
    perfqos_free(array);
    return check(rc);
  }

  // The per-cgroup data of `device`, or of every device when it is empty.
  Status cgroup_data(const std::string& device, std::vector<perfqos_cgroup_info>* out) {
    perfqos_cgroup_info* array = nullptr;
    size_t n = 0;
    int rc = perfqos_cgroup_data(get(), device.c_str(), &array, &n);
    if (rc == 0) out->assign(array, array + n);
    perfqos_free(array);
    return check(rc);
  }

  Status bind(const std::string& cgroup, const std::string& device, const std::string& knob,
              std::int32_t value, std::uint32_t* binding_id, perfqos_change* change = nullptr) {
    return check(perfqos_bind(get(), cgroup.c_str(), device.c_str(), knob.c_str(), value,
                              binding_id, change));
  }
  // As bind(), with a note (perfqos_bind_noted); an empty note sends none.
  Status bind(const std::string& cgroup, const std::string& device, const std::string& knob,
              std::int32_t value, const Note& note, std::uint32_t* binding_id,
              perfqos_change* change = nullptr) {
    return check(perfqos_bind_noted(get(), cgroup.c_str(), device.c_str(), knob.c_str(), value,
                                    note.reason.c_str(), note.app_id.c_str(), binding_id, change));
  }
  // perfqos_bind_transient: bound until the cgroup empties after being populated, or goes.
  Status bind_transient(const std::string& cgroup, const std::string& device,
                        const std::string& knob, std::int32_t value, const Note& note,
                        std::uint32_t* binding_id, perfqos_change* change = nullptr) {
    return check(perfqos_bind_transient(get(), cgroup.c_str(), device.c_str(), knob.c_str(), value,
                                        note.reason.c_str(), note.app_id.c_str(), binding_id,
                                        change));
  }
  // perfqos_bind_cpus_of: bound to `cgroup`, placed on each CPU of `cpus_of`.
  Status bind_cpus_of(const std::string& cgroup, const std::string& cpus_of,
                      const std::string& knob, std::int32_t value, const Note& note,
                      unsigned flags, std::uint32_t* binding_id, perfqos_change* change = nullptr) {
    return check(perfqos_bind_cpus_of(get(), cgroup.c_str(), cpus_of.c_str(), knob.c_str(), value,
                                      note.reason.c_str(), note.app_id.c_str(), flags, binding_id,
                                      change));
  }
  // perfqos_profile: the requests of a profile on the devices served now (protocol version 4).
  Status profile(const std::string& name, std::vector<perfqos_profile_request>* requests,
                 std::size_t* absent = nullptr) {
    perfqos_profile_request* array = nullptr;
    size_t n = 0;
    int rc = perfqos_profile(get(), name.c_str(), &array, &n, absent);
    if (rc == 0) requests->assign(array, array + n);
    perfqos_free(array);
    return check(rc);
  }
  // perfqos_bind_container: as bind_transient, judged by the [[container]] policy (root only).
  Status bind_container(const std::string& cgroup, const std::string& device,
                        const std::string& knob, std::int32_t value, const Note& note,
                        std::uint32_t* binding_id, perfqos_change* change = nullptr) {
    return check(perfqos_bind_container(get(), cgroup.c_str(), device.c_str(), knob.c_str(), value,
                                        note.reason.c_str(), note.app_id.c_str(), binding_id,
                                        change));
  }
  Status unbind(std::uint32_t binding_id, perfqos_change* change = nullptr) {
    return check(perfqos_unbind(get(), binding_id, change));
  }

  Status rescan(std::uint32_t* added = nullptr, std::uint32_t* removed = nullptr) {
    return check(perfqos_rescan(get(), added, removed));
  }

 private:
  Status check(int rc) const {
    if (!client_) return Status::Error(ENOTCONN, "not connected");
    return Status::FromC(rc, client_.get());
  }
  static std::vector<const char*> c_strings(const std::vector<std::string>& v) {
    std::vector<const char*> out;
    out.reserve(v.size());
    for (const auto& s : v) out.push_back(s.c_str());
    return out;
  }

  std::shared_ptr<perfqos_client> client_;
};

}  // namespace perfqos::client
