// The C API of include/perfqos/client.h on top of Connection. No C++ exception leaves this file.
// One file (~450 lines): one thin wrapper per C function, each turning a Status into 0 / -errno
// and its message into perfqos_last_error(); splitting would only scatter that one pattern.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "client/c_structs.h"
#include "client/connection.h"
#include "client/socket_connect.h"
#include "perfqos/client.h"
#include "protocol/field_rules.h"
#include "protocol/limits.h"

struct perfqos_client {
  perfqos_client(int fd, int timeout_ms, bool own_socket = false)
      : connection(fd, timeout_ms, own_socket) {}
  perfqos::clientlib::Connection connection;
  std::string last_error;
};

namespace {

using perfqos::clientlib::Clock;
using perfqos::clientlib::Connection;
using perfqos::clientlib::Status;
namespace protocol = perfqos::protocol;

// The message of the last failed perfqos_connect in this thread (there is no client to keep it).
thread_local std::string t_connect_error;

int effective_timeout(int timeout_ms) {
  return timeout_ms > 0 ? timeout_ms : PERFQOS_DEFAULT_TIMEOUT_MS;
}

int report(std::string* sink, const Status& s) {
  if (s.ok()) return 0;
  *sink = s.message();
  errno = s.code();
  return -s.code();
}

// Runs `body` (returning a Status) for a client: null check, errno, last_error, no exceptions.
template <class Body>
int run(perfqos_client* c, Body&& body) {
  if (c == nullptr) {
    errno = EINVAL;
    return -EINVAL;
  }
  try {
    return report(&c->last_error, body());
  } catch (const std::bad_alloc&) {
    return report(&c->last_error, Status::Error(ENOMEM, "out of memory"));
  }
}

// One request, one reply of type Reply; a reply that reports an error becomes this Status.
template <class Reply, class Request>
Status call(perfqos_client* c, const Request& request, Reply* reply) {
  protocol::Message m;
  Status s = c->connection.call(request, &m);
  if (!s.ok()) return s;
  *reply = std::get<Reply>(std::move(m));
  if (!reply->status.ok()) return Status::Error(reply->status.error, reply->status.message);
  return Status::Ok();
}

void set_change(const protocol::Change& in, perfqos_change* out) {
  if (out != nullptr) perfqos::clientlib::to_c(in, out);
}

const char* or_empty(const char* s) {
  return s != nullptr ? s : "";
}

Status invalid(const std::string& what) {
  return Status::Error(EINVAL, what);
}

// Agrees on the protocol version once per connection (a HELLO; version 1 frames until then,
// which every daemon reads). A daemon that answers with version 1 keeps the connection there.
Status negotiate(perfqos_client* c) {
  if (c->connection.negotiated()) return Status::Ok();
  protocol::HelloReply reply;
  Status s = call(c, protocol::HelloRequest{protocol::kVersion, "libperfqos"}, &reply);
  if (!s.ok()) return s;
  c->connection.set_version(std::clamp(reply.version, protocol::kMinVersion, protocol::kVersion));
  c->connection.set_negotiated();
  return Status::Ok();
}

// Fetches every page of a paginated list. fetch(offset, &page_items, &total, &next) -> Status.
template <class Item, class Fetch, class Key>
Status fetch_all(Fetch fetch, Key key, std::vector<Item>* all) {
  std::set<std::string> seen;
  std::uint32_t offset = 0;
  for (;;) {
    std::vector<Item> page;
    std::uint32_t total = 0, next = 0;
    Status s = fetch(offset, &page, &total, &next);
    if (!s.ok()) return s;
    for (auto& item : page) {
      if (seen.insert(key(item)).second) all->push_back(std::move(item));
    }
    if (page.empty() || next >= total || next <= offset) return Status::Ok();
    offset = next;
  }
}

template <class CStruct, class Item>
Status to_c_array(const std::vector<Item>& items, CStruct** out, size_t* count) {
  *out = nullptr;
  *count = 0;
  if (items.empty()) return Status::Ok();
  auto* array = static_cast<CStruct*>(std::calloc(items.size(), sizeof(CStruct)));
  if (array == nullptr) return Status::Error(ENOMEM, "out of memory");
  for (std::size_t i = 0; i < items.size(); ++i) perfqos::clientlib::to_c(items[i], &array[i]);
  *out = array;
  *count = items.size();
  return Status::Ok();
}

// Every device, page by page.
Status fetch_devices(perfqos_client* client, std::vector<protocol::DeviceInfo>* all) {
  return fetch_all<protocol::DeviceInfo>(
      [&](std::uint32_t offset, std::vector<protocol::DeviceInfo>* page, std::uint32_t* total,
          std::uint32_t* next) {
        protocol::ListDevicesReply reply;
        Status r = call(client, protocol::ListDevicesRequest{offset, 0}, &reply);
        *page = std::move(reply.devices);
        *total = reply.total;
        *next = reply.next_offset;
        return r;
      },
      [](const protocol::DeviceInfo& d) { return d.name; }, all);
}

Status subscription(perfqos_client* c, bool subscribe, const char* const* devices, size_t count) {
  if (count > 0 && devices == nullptr) return invalid("devices is NULL but count is not 0");
  std::size_t i = 0;
  do {  // one frame per kMaxSubscribeDevices names; one empty frame for "all"
    std::vector<std::string> chunk;
    for (; i < count && chunk.size() < protocol::kMaxSubscribeDevices; ++i) {
      if (devices[i] == nullptr) return invalid("a device name is NULL");
      chunk.emplace_back(devices[i]);
    }
    Status s;
    if (subscribe) {
      protocol::SubscribeReply reply;
      s = call(c, protocol::SubscribeRequest{std::move(chunk)}, &reply);
    } else {
      protocol::UnsubscribeReply reply;
      s = call(c, protocol::UnsubscribeRequest{std::move(chunk)}, &reply);
    }
    if (!s.ok()) return s;
  } while (i < count);
  return Status::Ok();
}

}  // namespace

extern "C" {

int perfqos_connect(const char* path, int timeout_ms, perfqos_client** out) {
  if (out == nullptr) {
    errno = EINVAL;
    return -EINVAL;
  }
  *out = nullptr;
  try {
    const int timeout = effective_timeout(timeout_ms);
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout);
    int fd = -1;
    Status s =
        perfqos::clientlib::connect_socket(perfqos::clientlib::socket_path(path), deadline, &fd);
    if (!s.ok()) return report(&t_connect_error, s);
    *out = new perfqos_client(fd, timeout, /*own_socket=*/true);
    return 0;
  } catch (const std::bad_alloc&) {
    return report(&t_connect_error, Status::Error(ENOMEM, "out of memory"));
  }
}

int perfqos_connect_fd(int fd, int timeout_ms, perfqos_client** out) {
  if (out == nullptr || fd < 0) {
    if (fd >= 0) close(fd);
    return report(&t_connect_error, Status::Error(EINVAL, "invalid fd or out pointer"));
  }
  *out = nullptr;
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET) {
    close(fd);
    return report(&t_connect_error, Status::Error(EINVAL, "fd " + std::to_string(fd) +
                                                              " is not a SOCK_SEQPACKET socket"));
  }
  try {
    *out = new perfqos_client(fd, effective_timeout(timeout_ms));
    return 0;
  } catch (const std::bad_alloc&) {
    close(fd);
    return report(&t_connect_error, Status::Error(ENOMEM, "out of memory"));
  }
}

void perfqos_close(perfqos_client* client) {
  delete client;
}

int perfqos_fd(const perfqos_client* client) {
  if (client == nullptr) {
    errno = EINVAL;
    return -EINVAL;
  }
  return client->connection.fd();
}

int perfqos_set_timeout(perfqos_client* client, int timeout_ms) {
  return run(client, [&] {
    if (timeout_ms <= 0) return invalid("timeout_ms must be > 0");
    client->connection.set_timeout_ms(timeout_ms);
    return Status::Ok();
  });
}

const char* perfqos_last_error(const perfqos_client* client) {
  return client != nullptr ? client->last_error.c_str() : t_connect_error.c_str();
}

void perfqos_free(void* array) {
  std::free(array);
}

int perfqos_hello(perfqos_client* client, int* version, char server_name[64]) {
  return run(client, [&] {
    protocol::HelloReply reply;
    Status s = call(client, protocol::HelloRequest{protocol::kVersion, "libperfqos"}, &reply);
    if (!s.ok()) return s;
    client->connection.set_version(
        std::clamp(reply.version, protocol::kMinVersion, protocol::kVersion));
    client->connection.set_negotiated();
    if (version != nullptr) *version = reply.version;
    if (server_name != nullptr) {
      std::size_t n = std::min<std::size_t>(reply.server_name.size(), 63);
      std::memcpy(server_name, reply.server_name.data(), n);
      server_name[n] = '\0';
    }
    return Status::Ok();
  });
}

int perfqos_list(perfqos_client* client, perfqos_device_info** devices, size_t* count) {
  return run(client, [&] {
    if (devices == nullptr || count == nullptr) return invalid("devices or count is NULL");
    std::vector<protocol::DeviceInfo> all;
    if (Status s = fetch_devices(client, &all); !s.ok()) return s;
    return to_c_array(all, devices, count);
  });
}

int perfqos_list_choices(perfqos_client* client, perfqos_knob_choices** choices, size_t* count) {
  return run(client, [&] {
    if (choices == nullptr || count == nullptr) return invalid("choices or count is NULL");
    if (Status s = negotiate(client); !s.ok()) return s;
    if (client->connection.version() < 3) {
      return Status::Error(EPROTONOSUPPORT, "this perfqosd speaks protocol version " +
                                                std::to_string(client->connection.version()) +
                                                ", which carries no named knob choices");
    }
    std::vector<protocol::DeviceInfo> all;
    if (Status s = fetch_devices(client, &all); !s.ok()) return s;
    std::vector<perfqos::clientlib::NamedKnob> named;
    for (const protocol::DeviceInfo& d : all) {
      for (const protocol::KnobInfo& k : d.knobs) {
        if (!k.choices.empty()) named.push_back({&d, &k});
      }
    }
    return to_c_array(named, choices, count);
  });
}

int perfqos_describe(perfqos_client* client, const char* device, perfqos_device_info* out) {
  return run(client, [&] {
    if (device == nullptr || out == nullptr) return invalid("device or out is NULL");
    protocol::DescribeReply reply;
    Status s = call(client, protocol::DescribeRequest{device}, &reply);
    if (s.ok()) perfqos::clientlib::to_c(reply.device, out);
    return s;
  });
}

int perfqos_add_timed(perfqos_client* client, const char* device, const char* knob, int32_t value,
                      uint32_t duration_ms, uint32_t* id, perfqos_change* change) {
  return run(client, [&] {
    if (device == nullptr) return invalid("device is NULL");
    auto address = perfqos::clientlib::knob_address(knob);
    protocol::AddReply reply;
    Status s =
        call(client, protocol::AddRequest{device, address.knob, address.end, value, duration_ms},
             &reply);
    if (!s.ok()) return s;
    if (id != nullptr) *id = reply.request_id;
    set_change(reply.change, change);
    return Status::Ok();
  });
}

int perfqos_add_noted(perfqos_client* client, const char* device, const char* knob, int32_t value,
                      uint32_t duration_ms, const char* reason, const char* app_id, uint32_t* id,
                      perfqos_change* change) {
  return run(client, [&] {
    if (device == nullptr) return invalid("device is NULL");
    protocol::AddRequest add;
    add.device = device;
    auto address = perfqos::clientlib::knob_address(knob);
    add.knob = std::move(address.knob);
    add.end = address.end;
    add.value = value;
    add.duration_ms = duration_ms;
    add.reason = or_empty(reason);
    add.app_id = or_empty(app_id);
    if (auto why = protocol::check_notes(add.reason, add.app_id)) return invalid(*why);
    if (!add.reason.empty() || !add.app_id.empty()) {
      if (Status s = negotiate(client); !s.ok()) return s;
      if (client->connection.version() < 2) {
        return Status::Error(EPROTONOSUPPORT,
                             "this perfqosd speaks protocol version 1, which carries no reason "
                             "or application id");
      }
    }
    protocol::AddReply reply;
    Status s = call(client, add, &reply);
    if (!s.ok()) return s;
    if (id != nullptr) *id = reply.request_id;
    set_change(reply.change, change);
    return Status::Ok();
  });
}

int perfqos_add(perfqos_client* client, const char* device, const char* knob, int32_t value,
                uint32_t* id, perfqos_change* change) {
  return perfqos_add_timed(client, device, knob, value, 0, id, change);
}

namespace {

// How many ADDs perfqos_add_many keeps in flight. A SOCK_SEQPACKET queue holds at most
// net.unix.max_dgram_qlen datagrams each way (512 by default, 10 in some containers): with more
// sent unanswered, the daemon's replies fill this end's queue, it stops reading, and the next
// send blocks until the timeout. Read once; two below the limit, at most 256.
std::size_t add_window() {
  static const std::size_t window = [] {
    long qlen = 10;
    if (FILE* f = std::fopen("/proc/sys/net/unix/max_dgram_qlen", "re")) {
      if (std::fscanf(f, "%ld", &qlen) != 1) qlen = 10;
      std::fclose(f);
    }
    return static_cast<std::size_t>(std::clamp(qlen - 2, 1L, 256L));
  }();
  return window;
}

}  // namespace

int perfqos_add_many(perfqos_client* client, const perfqos_add_spec* specs, size_t n, uint32_t* ids,
                     int* results) {
  return run(client, [&] {
    if (n > 0 && (specs == nullptr || ids == nullptr)) return invalid("specs or ids is NULL");
    Connection& conn = client->connection;
    std::vector<Status> outcome(n);
    std::vector<std::uint32_t> tags(n, 0);
    const std::size_t window = add_window();
    std::deque<std::size_t> in_flight;
    const auto collect_oldest = [&] {
      const std::size_t i = in_flight.front();
      in_flight.pop_front();
      protocol::Message m;
      outcome[i] = conn.await(tags[i], protocol::Opcode::kAdd, conn.deadline(), &m);
      if (!outcome[i].ok()) return;
      auto& reply = std::get<protocol::AddReply>(m);
      if (!reply.status.ok()) {
        outcome[i] = Status::Error(reply.status.error, reply.status.message);
      } else {
        ids[i] = reply.request_id;
      }
    };
    for (std::size_t i = 0; i < n; ++i) {
      ids[i] = 0;
      if (specs[i].device == nullptr) {
        outcome[i] = invalid("device is NULL");
        continue;
      }
      if (in_flight.size() == window) collect_oldest();
      auto address = perfqos::clientlib::knob_address(specs[i].knob);
      outcome[i] = conn.submit(protocol::AddRequest{specs[i].device, address.knob, address.end,
                                                    specs[i].value, specs[i].duration_ms},
                               &tags[i]);
      if (outcome[i].ok()) in_flight.push_back(i);
    }
    while (!in_flight.empty()) collect_oldest();
    Status first;
    for (std::size_t i = 0; i < n; ++i) {
      if (results != nullptr) results[i] = -outcome[i].code();
      if (first.ok() && !outcome[i].ok()) {
        first = Status::Error(outcome[i].code(),
                              "request " + std::to_string(i) + ": " + outcome[i].message());
      }
    }
    return first;
  });
}

int perfqos_update(perfqos_client* client, uint32_t id, int32_t value, perfqos_change* change) {
  return run(client, [&] {
    protocol::UpdateReply reply;
    Status s = call(client, protocol::UpdateRequest{id, value}, &reply);
    if (s.ok()) set_change(reply.change, change);
    return s;
  });
}

int perfqos_remove(perfqos_client* client, uint32_t id, perfqos_change* change) {
  return run(client, [&] {
    protocol::RemoveReply reply;
    Status s = call(client, protocol::RemoveRequest{id}, &reply);
    if (s.ok()) set_change(reply.change, change);
    return s;
  });
}

int perfqos_read(perfqos_client* client, const char* device, const char* knob,
                 perfqos_effective* out) {
  return run(client, [&] {
    if (device == nullptr || out == nullptr) return invalid("device or out is NULL");
    protocol::ReadReply reply;
    Status s = call(
        client, protocol::ReadRequest{device, perfqos::clientlib::knob_address(knob).knob}, &reply);
    if (s.ok()) perfqos::clientlib::to_c(reply.effective, out);
    return s;
  });
}

int perfqos_subscribe(perfqos_client* client, const char* const* devices, size_t count) {
  return run(client, [&] { return subscription(client, true, devices, count); });
}

int perfqos_unsubscribe(perfqos_client* client, const char* const* devices, size_t count) {
  return run(client, [&] { return subscription(client, false, devices, count); });
}

int perfqos_next_event(perfqos_client* client, perfqos_event* out, int timeout_ms) {
  return perfqos_next_event_noted(client, out, nullptr, timeout_ms);
}

int perfqos_next_event_noted(perfqos_client* client, perfqos_event* out, perfqos_event_cause* cause,
                             int timeout_ms) {
  return run(client, [&] {
    if (out == nullptr) return invalid("out is NULL");
    std::optional<Clock::time_point> deadline;
    if (timeout_ms >= 0) deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    perfqos::clientlib::EventQueue::Next next;
    Status s = client->connection.next_event(deadline, &next);
    if (s.code() == EAGAIN && timeout_ms > 0) {
      return Status::Error(ETIMEDOUT,
                           "no notification within " + std::to_string(timeout_ms) + " ms");
    }
    if (s.ok()) perfqos::clientlib::to_c(next.event, next.dropped, out);
    if (s.ok() && cause != nullptr) perfqos::clientlib::to_c(next.event, cause);
    return s;
  });
}

// Every STATUS entry of `device` ("" or NULL: all), page by page.
static Status fetch_holders(perfqos_client* client, const char* device,
                            std::vector<protocol::HolderEntry>* all) {
  return fetch_all<protocol::HolderEntry>(
      [&](std::uint32_t offset, std::vector<protocol::HolderEntry>* page, std::uint32_t* total,
          std::uint32_t* next) {
        protocol::StatusReply reply;
        Status r = call(client, protocol::StatusRequest{or_empty(device), offset, 0}, &reply);
        *page = std::move(reply.entries);
        *total = reply.total;
        *next = reply.next_offset;
        return r;
      },
      // No key identifies one request across holders (ids are per holder, and one process
      // may hold many connections or open files), so nothing is folded: every entry counts.
      [n = 0](const protocol::HolderEntry&) mutable { return std::to_string(n++); }, all);
}

int perfqos_status(perfqos_client* client, const char* device, perfqos_holder_info** holders,
                   size_t* count) {
  return run(client, [&] {
    if (holders == nullptr || count == nullptr) return invalid("holders or count is NULL");
    std::vector<protocol::HolderEntry> all;
    if (Status s = fetch_holders(client, device, &all); !s.ok()) return s;
    return to_c_array(all, holders, count);
  });
}

int perfqos_status_noted(perfqos_client* client, const char* device,
                         perfqos_holder_note_info** holders, size_t* count) {
  return run(client, [&] {
    if (holders == nullptr || count == nullptr) return invalid("holders or count is NULL");
    if (Status s = negotiate(client); !s.ok()) return s;
    std::vector<protocol::HolderEntry> all;
    if (Status s = fetch_holders(client, device, &all); !s.ok()) return s;
    return to_c_array<perfqos_holder_note_info>(all, holders, count);
  });
}

int perfqos_explain(perfqos_client* client, const char* device, const char* knob,
                    const int32_t* value, perfqos_explain_info** out) {
  return run(client, [&] {
    if (device == nullptr || out == nullptr) return invalid("device or out is NULL");
    *out = nullptr;
    protocol::ExplainRequest explain;
    explain.device = device;
    auto address = perfqos::clientlib::knob_address(knob);
    explain.knob = std::move(address.knob);
    explain.end = address.end;
    explain.has_value = value != nullptr;
    explain.value = value != nullptr ? *value : -1;
    if (Status s = negotiate(client); !s.ok()) return s;
    if (client->connection.version() < 3) {
      return Status::Error(EPROTONOSUPPORT, "explain: this perfqosd speaks protocol version " +
                                                std::to_string(client->connection.version()) +
                                                "; EXPLAIN needs version 3");
    }
    protocol::ExplainReply reply;
    if (Status s = call(client, explain, &reply); !s.ok()) return s;
    auto* info = static_cast<perfqos_explain_info*>(std::calloc(1, sizeof(perfqos_explain_info)));
    if (info == nullptr) return Status::Error(ENOMEM, "out of memory");
    perfqos::clientlib::to_c(reply, info);
    *out = info;
    return Status::Ok();
  });
}

int perfqos_bindings(perfqos_client* client, perfqos_binding_info** bindings, size_t* count) {
  return run(client, [&] {
    if (bindings == nullptr || count == nullptr) return invalid("bindings or count is NULL");
    if (Status s = negotiate(client); !s.ok()) return s;
    if (client->connection.version() < 3) {
      return Status::Error(EPROTONOSUPPORT, "bindings: this perfqosd speaks protocol version " +
                                                std::to_string(client->connection.version()) +
                                                "; BINDINGS needs version 3");
    }
    std::vector<protocol::BindingEntry> all;
    Status s = fetch_all<protocol::BindingEntry>(
        [&](std::uint32_t offset, std::vector<protocol::BindingEntry>* page, std::uint32_t* total,
            std::uint32_t* next) {
          protocol::BindingsReply reply;
          Status r = call(client, protocol::BindingsRequest{offset, 0}, &reply);
          *page = std::move(reply.entries);
          *total = reply.total;
          *next = reply.next_offset;
          return r;
        },
        // Ids are unique per daemon: a binding is never listed twice.
        [](const protocol::BindingEntry& e) { return std::to_string(e.binding_id); }, &all);
    if (!s.ok()) return s;
    return to_c_array(all, bindings, count);
  });
}

int perfqos_cgroup_data(perfqos_client* client, const char* device, perfqos_cgroup_info** entries,
                        size_t* count) {
  return run(client, [&] {
    if (entries == nullptr || count == nullptr) return invalid("entries or count is NULL");
    std::vector<protocol::CgroupDataEntry> all;
    Status s = fetch_all<protocol::CgroupDataEntry>(
        [&](std::uint32_t offset, std::vector<protocol::CgroupDataEntry>* page,
            std::uint32_t* total, std::uint32_t* next) {
          protocol::CgroupDataReply reply;
          Status r = call(client, protocol::CgroupDataRequest{or_empty(device), offset, 0}, &reply);
          *page = std::move(reply.entries);
          *total = reply.total;
          *next = reply.next_offset;
          return r;
        },
        [](const protocol::CgroupDataEntry& e) { return e.device + '\0' + e.cgroup; }, &all);
    if (!s.ok()) return s;
    return to_c_array(all, entries, count);
  });
}

namespace {

// BIND with notes (protocol version 2), transient or not (version 3), marked as a container
// runtime hook's when `container` (perfqos_bind_container, version 4, always transient), on the
// CPUs of a cgroup when `cpus_of` is not empty (perfqos_bind_cpus_of, version 4). A bind
// without any of them is sent to any daemon.
Status bind_noted(perfqos_client* client, const char* cgroup, const char* device, const char* knob,
                  int32_t value, const char* reason, const char* app_id, bool transient,
                  uint32_t* binding_id, perfqos_change* change, bool container = false,
                  const char* cpus_of = "") {
  if (cgroup == nullptr || device == nullptr) return invalid("cgroup or device is NULL");
  auto address = perfqos::clientlib::knob_address(knob);
  protocol::BindRequest bind{cgroup, device, address.knob, address.end, value};
  bind.reason = or_empty(reason);
  bind.app_id = or_empty(app_id);
  bind.transient = transient || container;
  bind.container = container;
  bind.cpus_of = cpus_of;
  if (auto why = protocol::check_notes(bind.reason, bind.app_id)) return invalid(*why);
  const int needs = container || !bind.cpus_of.empty()             ? 4
                    : transient                                    ? 3
                    : !bind.reason.empty() || !bind.app_id.empty() ? 2
                                                                   : 1;
  if (needs > 1) {
    if (Status s = negotiate(client); !s.ok()) return s;
    if (client->connection.version() < needs) {
      return Status::Error(
          EPROTONOSUPPORT,
          "this perfqosd speaks protocol version " + std::to_string(client->connection.version()) +
              (!bind.cpus_of.empty() ? ", which has no requests on a cgroup's CPUs (version 4)"
               : container           ? ", which has no container bindings (version 4)"
               : transient           ? ", which has no transient bindings (version 3)"
                                     : ", which carries no reason or application id of a "
                                       "binding (version 2)"));
    }
  }
  protocol::BindReply reply;
  Status s = call(client, bind, &reply);
  if (!s.ok()) return s;
  if (binding_id != nullptr) *binding_id = reply.binding_id;
  set_change(reply.change, change);
  return Status::Ok();
}

}  // namespace

int perfqos_bind(perfqos_client* client, const char* cgroup, const char* device, const char* knob,
                 int32_t value, uint32_t* binding_id, perfqos_change* change) {
  return run(client, [&] {
    return bind_noted(client, cgroup, device, knob, value, nullptr, nullptr, false, binding_id,
                      change);
  });
}

int perfqos_bind_noted(perfqos_client* client, const char* cgroup, const char* device,
                       const char* knob, int32_t value, const char* reason, const char* app_id,
                       uint32_t* binding_id, perfqos_change* change) {
  return run(client, [&] {
    return bind_noted(client, cgroup, device, knob, value, reason, app_id, false, binding_id,
                      change);
  });
}

namespace {

// -EPROTONOSUPPORT unless the daemon speaks version 4 (CPU-set requests).
Status need_cpu_sets(perfqos_client* client) {
  if (Status s = negotiate(client); !s.ok()) return s;
  if (client->connection.version() >= 4) return Status::Ok();
  return Status::Error(EPROTONOSUPPORT, "this perfqosd speaks protocol version " +
                                            std::to_string(client->connection.version()) +
                                            ", which has no requests on a cgroup's CPUs "
                                            "(version 4)");
}

}  // namespace

int perfqos_add_cpus_of(perfqos_client* client, const char* cpus_of, const char* knob,
                        int32_t value, const char* reason, const char* app_id, uint32_t* id,
                        perfqos_change* change) {
  return run(client, [&] {
    if (cpus_of == nullptr || knob == nullptr) return invalid("cpus_of or knob is NULL");
    protocol::AddRequest add;
    add.device = "cpus";
    add.knob = knob;
    add.value = value;
    add.reason = or_empty(reason);
    add.app_id = or_empty(app_id);
    add.cpus_of = cpus_of;
    if (auto why = protocol::check_notes(add.reason, add.app_id)) return invalid(*why);
    if (Status s = need_cpu_sets(client); !s.ok()) return s;
    protocol::AddReply reply;
    Status s = call(client, add, &reply);
    if (!s.ok()) return s;
    if (id != nullptr) *id = reply.request_id;
    set_change(reply.change, change);
    return Status::Ok();
  });
}

int perfqos_bind_cpus_of(perfqos_client* client, const char* cgroup, const char* cpus_of,
                         const char* knob, int32_t value, const char* reason, const char* app_id,
                         unsigned flags, uint32_t* binding_id, perfqos_change* change) {
  return run(client, [&] {
    if (cgroup == nullptr || cpus_of == nullptr || knob == nullptr) {
      return invalid("cgroup, cpus_of or knob is NULL");
    }
    if (cpus_of[0] == '\0') return invalid("cpus_of is empty: name the cgroup whose CPUs");
    if ((flags & ~(PERFQOS_BIND_TRANSIENT | PERFQOS_BIND_CONTAINER)) != 0) {
      return invalid("flags " + std::to_string(flags) +
                     ": allowed PERFQOS_BIND_TRANSIENT (0x1), PERFQOS_BIND_CONTAINER (0x2)");
    }
    return bind_noted(client, cgroup, "cpus", knob, value, reason, app_id,
                      (flags & PERFQOS_BIND_TRANSIENT) != 0, binding_id, change,
                      (flags & PERFQOS_BIND_CONTAINER) != 0, cpus_of);
  });
}

int perfqos_bind_transient(perfqos_client* client, const char* cgroup, const char* device,
                           const char* knob, int32_t value, const char* reason, const char* app_id,
                           uint32_t* binding_id, perfqos_change* change) {
  return run(client, [&] {
    return bind_noted(client, cgroup, device, knob, value, reason, app_id, true, binding_id,
                      change);
  });
}

int perfqos_bind_container(perfqos_client* client, const char* cgroup, const char* device,
                           const char* knob, int32_t value, const char* reason, const char* app_id,
                           uint32_t* binding_id, perfqos_change* change) {
  return run(client, [&] {
    return bind_noted(client, cgroup, device, knob, value, reason, app_id, true, binding_id, change,
                      true);
  });
}

int perfqos_profile(perfqos_client* client, const char* name, perfqos_profile_request** requests,
                    size_t* count, size_t* absent) {
  return run(client, [&] {
    if (name == nullptr || requests == nullptr || count == nullptr) {
      return invalid("name, requests or count is NULL");
    }
    *requests = nullptr;
    *count = 0;
    if (Status s = negotiate(client); !s.ok()) return s;
    if (client->connection.version() < 4) {
      return Status::Error(EPROTONOSUPPORT, "profile: this perfqosd speaks protocol version " +
                                                std::to_string(client->connection.version()) +
                                                "; PROFILE needs version 4");
    }
    protocol::ProfileReply reply;
    if (Status s = call(client, protocol::ProfileRequest{name}, &reply); !s.ok()) return s;
    if (absent != nullptr) *absent = reply.absent;
    return to_c_array(reply.requests, requests, count);
  });
}

int perfqos_unbind(perfqos_client* client, uint32_t binding_id, perfqos_change* change) {
  return run(client, [&] {
    protocol::UnbindReply reply;
    Status s = call(client, protocol::UnbindRequest{binding_id}, &reply);
    if (s.ok()) set_change(reply.change, change);
    return s;
  });
}

int perfqos_rescan(perfqos_client* client, uint32_t* added, uint32_t* removed) {
  return run(client, [&] {
    protocol::RescanReply reply;
    Status s = call(client, protocol::RescanRequest{}, &reply);
    if (!s.ok()) return s;
    if (added != nullptr) *added = reply.devices_added;
    if (removed != nullptr) *removed = reply.devices_removed;
    return Status::Ok();
  });
}

}  // extern "C"
