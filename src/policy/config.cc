// The config parser: one FileParser walks every table of a file ([daemon], [quotas],
// [[device]], [[grant]], [[cgroup]], [[container]], [[bind]], [[profile]]) and load_config
// merges conf.d. One file (~490
// lines) because each table's keys, ranges and messages read best beside the others'.
#include "policy/config.h"

#include <grp.h>
#include <pwd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/device_specs.h"
#include "model/knob.h"
#include "policy/toml_guard.h"
#include "protocol/field_rules.h"
#include "protocol/limits.h"
#include "tools/request_spec.h"
#include "util/inet_address.h"

namespace perfqos::daemon {

namespace {

namespace fs = std::filesystem;

constexpr const char* kKnobNames =
    "latency, throughput, bandwidth, resume_latency, latency_tolerance, flags, min, max, range, "
    "epp, epp.min, epp.max, profile, profile.min, profile.max, *";

// Parses one file; every error names file:line and the key.
class FileParser {
 public:
  FileParser(const std::string& file, Config* config) : file_(file), config_(config) {}

  Status parse(std::string_view text) {
    if (const int line = non_ascii_line(text); line != 0) {
      return Status::Error(EINVAL, file_ + ":" + std::to_string(line) +
                                       ": non-ASCII character outside a comment: keys and "
                                       "values must be ASCII");
    }
    toml::table root;
    try {
      root = toml::parse(text, file_);
    } catch (const toml::parse_error& e) {
      return Status::Error(EINVAL, file_ + ":" + std::to_string(e.source().begin.line) +
                                       ": TOML syntax: " + std::string(e.description()));
    }
    for (auto&& [key, node] : root) {
      const std::string name(key.str());
      const int line = static_cast<int>(key.source().begin.line);
      Status s;
      if (name == "daemon") {
        s = table_of(node, name, line, [&](const toml::table& t) { return daemon(t); });
      } else if (name == "quotas") {
        s = table_of(node, name, line, [&](const toml::table& t) { return quotas(t); });
      } else if (name == "device" || name == "grant" || name == "cgroup" || name == "container" ||
                 name == "bind" || name == "profile") {
        s = tables_of(node, name, line);
      } else {
        s = error(line, name,
                  "unknown key: allowed [daemon], [quotas], [[device]], [[grant]], "
                  "[[cgroup]], [[container]], [[bind]], [[profile]]");
      }
      note(s);
    }
    return first_error_;
  }

  // Every error met, in order (parse() returns the first): --check-config lists them all.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  // Records an error and goes on, so that one run reports every bad key or entry. A table with
  // an error stops at its first one (what follows in it may only be a consequence).
  void note(const Status& s) {
    if (s.ok()) return;
    if (first_error_.ok()) first_error_ = s;
    errors_.push_back(s.message());
  }

  Status error(int line, const std::string& key, const std::string& message) const {
    return Status::Error(EINVAL, file_ + ":" + std::to_string(line) + ": " + key + ": " + message);
  }
  static int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

  template <class F>
  Status table_of(const toml::node& node, const std::string& name, int line, F&& f) {
    const toml::table* t = node.as_table();
    if (t == nullptr) return error(line, name, "must be a table: [" + name + "]");
    return f(*t);
  }

  Status tables_of(const toml::node& node, const std::string& name, int line) {
    const toml::array* a = node.as_array();
    if (a == nullptr || !a->is_array_of_tables()) {
      return error(line, name, "must be an array of tables: [[" + name + "]]");
    }
    for (const toml::node& entry : *a) {
      const toml::table& t = *entry.as_table();
      Status s;
      if (name == "device") s = device(t);
      if (name == "grant") s = grant(t);
      if (name == "cgroup") s = cgroup(t);
      if (name == "container") s = container(t);
      if (name == "bind") s = bind(t);
      if (name == "profile") s = profile(t);
      note(s);
    }
    return Status::Ok();
  }

  // Checks that every key of `t` is one of `allowed`.
  Status only_keys(const toml::table& t, const std::string& section,
                   std::initializer_list<const char*> allowed) {
    return only_keys(t, section, std::vector<std::string>(allowed.begin(), allowed.end()));
  }
  Status only_keys(const toml::table& t, const std::string& section,
                   const std::vector<std::string>& allowed) {
    for (auto&& [key, node] : t) {
      const std::string name(key.str());
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return error(static_cast<int>(key.source().begin.line), section + "." + name,
                     "unknown key: allowed " + list);
      }
    }
    return Status::Ok();
  }

  Status string_of(const toml::table& t, const std::string& section, const char* key,
                   std::string* out, bool required) {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      return required ? error(line_of(t), section + "." + key, "missing: a string is required")
                      : Status::Ok();
    }
    if (!n->is_string()) return error(line_of(*n), section + "." + key, "must be a string");
    *out = n->as_string()->get();
    return Status::Ok();
  }

  // An optional reason or application id, under the rules a client's are checked by.
  Status note_of(const toml::table& t, const std::string& section, const char* key,
                 std::size_t max_bytes, std::string* out) {
    if (Status s = string_of(t, section, key, out, false); !s.ok()) return s;
    if (auto why = protocol::check_note(section + "." + key, *out, max_bytes)) {
      return Status::Error(EINVAL,
                           file_ + ":" + std::to_string(line_of(*t.get(key))) + ": " + *why);
    }
    return Status::Ok();
  }

  Status int_of(const toml::table& t, const std::string& section, const char* key, std::int64_t lo,
                std::int64_t hi, std::optional<std::int64_t>* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    const std::string where = section + "." + key;
    if (!n->is_integer()) {
      return error(line_of(*n), where,
                   "must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    const std::int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) {
      return error(line_of(*n), where,
                   std::to_string(v) + " out of range: allowed " + std::to_string(lo) + ".." +
                       std::to_string(hi));
    }
    *out = v;
    return Status::Ok();
  }

  Status knob_of(const toml::table& t, const std::string& section, std::string* out,
                 bool patterns) {
    const toml::node* n = t.get("knob");
    if (Status s = string_of(t, section, "knob", out, false); !s.ok()) return s;
    if (n == nullptr || (patterns && (*out == "*" || *out == "range"))) return Status::Ok();
    KnobId id;
    RangeEnd end;
    if (!parse_knob_name(*out, &id, &end)) {
      return error(line_of(*n), section + ".knob",
                   "unknown knob \"" + *out + "\": allowed " + kKnobNames);
    }
    if (!patterns && is_named_knob(id) && !knob_name_has_end(*out)) {
      return error(line_of(*n), section + ".knob",
                   "\"" + *out + "\" needs its end: \"" + *out + ".min\" (a floor) or \"" + *out +
                       ".max\" (a cap)");
    }
    return Status::Ok();
  }

  Status daemon(const toml::table& t) {
    if (Status s = only_keys(t, "daemon", {"socket", "state_dir", "mount", "log_level", "metrics"});
        !s.ok())
      return s;
    DaemonSettings& d = config_->daemon;
    for (auto [key, field] : {std::pair{"socket", &d.socket}, std::pair{"state_dir", &d.state_dir},
                              std::pair{"mount", &d.mount}}) {
      std::string v;
      if (!t.contains(key)) continue;
      if (Status s = string_of(t, "daemon", key, &v, false); !s.ok()) return s;
      if (v.empty() || v[0] != '/') {
        return error(line_of(*t.get(key)), std::string("daemon.") + key,
                     "\"" + v + "\": must be an absolute path");
      }
      *field = v;
    }
    if (t.contains("log_level")) {
      std::string v;
      if (Status s = string_of(t, "daemon", "log_level", &v, false); !s.ok()) return s;
      if (v != "error" && v != "warning" && v != "info" && v != "debug") {
        return error(line_of(*t.get("log_level")), "daemon.log_level",
                     "\"" + v + "\": allowed error, warning, info, debug");
      }
      d.log_level = v;
    }
    if (t.contains("metrics")) {
      std::string v;
      if (Status s = string_of(t, "daemon", "metrics", &v, false); !s.ok()) return s;
      InetAddress address;
      if (Status s = parse_inet_address(v, "", &address); !s.ok()) {
        return error(line_of(*t.get("metrics")), "daemon.metrics", s.message());
      }
      d.metrics = v;
    }
    return Status::Ok();
  }

  Status quotas(const toml::table& t) {
    // Every [quotas] integer: 0 ... UINT32_MAX, 0 = unlimited.
    const std::pair<const char*, std::uint32_t Quotas::*> keys[] = {
        {"max_requests_per_holder", &Quotas::max_requests_per_holder},
        {"max_connections_per_uid", &Quotas::max_connections_per_uid},
        {"max_connections", &Quotas::max_connections},
        {"max_queued_bytes_per_connection", &Quotas::max_queued_bytes_per_connection},
        {"max_queued_bytes_per_uid", &Quotas::max_queued_bytes_per_uid},
        {"max_queued_bytes", &Quotas::max_queued_bytes},
        {"max_subscriptions_per_uid", &Quotas::max_subscriptions_per_uid},
        {"max_subscriptions", &Quotas::max_subscriptions},
        {"max_bindings_per_uid", &Quotas::max_bindings_per_uid},
        {"max_bindings", &Quotas::max_bindings},
    };
    std::vector<std::string> allowed{"apply_to_root"};
    for (const auto& [key, member] : keys) allowed.emplace_back(key);
    if (Status s = only_keys(t, "quotas", allowed); !s.ok()) return s;
    for (const auto& [key, member] : keys) {
      std::optional<std::int64_t> v;
      if (Status s = int_of(t, "quotas", key, 0, UINT32_MAX, &v); !s.ok()) return s;
      if (v) config_->quotas.*member = static_cast<std::uint32_t>(*v);
    }
    if (const toml::node* n = t.get("apply_to_root")) {
      if (!n->is_boolean()) {
        return error(line_of(*n), "quotas.apply_to_root", "must be a boolean: true or false");
      }
      config_->quotas.apply_to_root = n->as_boolean()->get();
    }
    return Status::Ok();
  }

  Status device(const toml::table& t) {
    const std::string sec = "device";
    if (Status s = only_keys(t, sec, {"name", "unit", "limit_min", "limit_max"}); !s.ok()) return s;
    std::string name, unit_text;
    if (Status s = string_of(t, sec, "name", &name, true); !s.ok()) return s;
    // Checked here, not first by register_device(): a config with any error is rejected whole.
    if (Status s = check_device_name(name); !s.ok()) {
      return error(line_of(*t.get("name")), sec + ".name", s.message());
    }
    if (Status s = string_of(t, sec, "unit", &unit_text, true); !s.ok()) return s;
    PerfUnit unit;
    if (unit_text == "normal") {
      unit = PerfUnit::kNormal;
    } else if (unit_text == "kbps") {
      unit = PerfUnit::kKbps;
    } else {
      return error(line_of(*t.get("unit")), sec + ".unit",
                   "\"" + unit_text + "\": allowed normal, kbps");
    }
    const std::int64_t hi = unit == PerfUnit::kNormal ? 1024 : INT32_MAX;
    std::optional<std::int64_t> lo_v, hi_v;
    if (Status s = int_of(t, sec, "limit_min", 0, hi, &lo_v); !s.ok()) return s;
    if (Status s = int_of(t, sec, "limit_max", 0, hi, &hi_v); !s.ok()) return s;
    const auto lmin = static_cast<std::int32_t>(lo_v.value_or(0));
    const auto lmax = static_cast<std::int32_t>(hi_v.value_or(hi));
    DeviceSpec spec;
    if (Status s = perf_device_spec(name, unit, lmin, lmax, &spec); !s.ok()) {
      return error(line_of(t), sec + " \"" + name + "\"", s.message());
    }
    for (const DeviceSpec& d : config_->devices) {
      if (d.name == name) return error(line_of(t), sec + ".name", "\"" + name + "\" defined twice");
    }
    config_->devices.push_back(std::move(spec));
    return Status::Ok();
  }

  // An array of names or ids; names resolved with `lookup`.
  template <class Id, class Lookup>
  Status ids_of(const toml::table& t, const std::string& section, const char* key, const char* what,
                Lookup&& lookup, std::vector<Id>* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    const std::string where = section + "." + key;
    const toml::array* a = n->as_array();
    if (a == nullptr) {
      return error(line_of(*n), where,
                   std::string("must be an array of ") + what + " names or numeric ids");
    }
    for (const toml::node& e : *a) {
      if (const auto* i = e.as_integer()) {
        if (i->get() < 0 || i->get() > INT32_MAX) {
          return error(line_of(e), where,
                       std::to_string(i->get()) + " out of range: allowed 0..2147483647");
        }
        out->push_back(static_cast<Id>(i->get()));
      } else if (const auto* s = e.as_string()) {
        std::optional<Id> id = lookup(s->get());
        if (!id) {
          return error(line_of(e), where,
                       std::string("no ") + what + " named \"" + s->get() +
                           "\" on this system: allowed existing names or numeric ids");
        }
        out->push_back(*id);
      } else {
        return error(line_of(e), where, std::string("must be ") + what + " names or numeric ids");
      }
    }
    return Status::Ok();
  }

  Status globs_of(const toml::table& t, const std::string& section, const char* key,
                  std::vector<std::string>* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    const toml::array* a = n->as_array();
    const std::string where = section + "." + key;
    if (a == nullptr) return error(line_of(*n), where, "must be an array of cgroup path globs");
    for (const toml::node& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr || s->get().empty() || s->get()[0] != '/') {
        return error(line_of(e), where,
                     "must be absolute cgroup v2 path globs such as \"/user.slice/*\"");
      }
      out->push_back(s->get());
    }
    return Status::Ok();
  }

  Status grant(const toml::table& t) {
    const std::string sec = "grant";
    if (Status s =
            only_keys(t, sec, {"users", "groups", "cgroups", "device", "knob", "min", "max"});
        !s.ok())
      return s;
    Grant g;
    g.origin = file_ + ":" + std::to_string(line_of(t));
    const auto user = [](const std::string& name) -> std::optional<uid_t> {
      if (const passwd* p = ::getpwnam(name.c_str())) return p->pw_uid;
      return std::nullopt;
    };
    const auto group = [](const std::string& name) -> std::optional<gid_t> {
      if (const struct group* p = ::getgrnam(name.c_str())) return p->gr_gid;
      return std::nullopt;
    };
    if (Status s = ids_of<uid_t>(t, sec, "users", "user", user, &g.uids); !s.ok()) return s;
    if (Status s = ids_of<gid_t>(t, sec, "groups", "group", group, &g.gids); !s.ok()) return s;
    if (Status s = globs_of(t, sec, "cgroups", &g.cgroups); !s.ok()) return s;
    if (g.uids.empty() && g.gids.empty() && g.cgroups.empty()) {
      return error(line_of(t), sec,
                   "names nobody: give at least one of users, groups, cgroups (non-empty)");
    }
    if (Status s = string_of(t, sec, "device", &g.device, true); !s.ok()) return s;
    if (Status s = knob_of(t, sec, &g.knob, true); !s.ok()) return s;
    std::optional<std::int64_t> lo, hi;
    if (Status s = int_of(t, sec, "min", -1, INT32_MAX, &lo); !s.ok()) return s;
    if (Status s = int_of(t, sec, "max", -1, INT32_MAX, &hi); !s.ok()) return s;
    g.min = static_cast<std::int32_t>(lo.value_or(0));
    g.max = static_cast<std::int32_t>(hi.value_or(INT32_MAX));
    if (g.min > g.max) {
      return error(line_of(*t.get(hi ? "max" : "min")), sec + ".max",
                   "max " + std::to_string(g.max) + " below min " + std::to_string(g.min) +
                       ": allowed min <= max");
    }
    config_->grants.push_back(std::move(g));
    return Status::Ok();
  }

  // As a grant's target and range, without subjects: the container is who asks.
  Status container(const toml::table& t) {
    const std::string sec = "container";
    if (Status s = only_keys(t, sec, {"device", "knob", "min", "max"}); !s.ok()) return s;
    ContainerRule r;
    r.origin = file_ + ":" + std::to_string(line_of(t));
    if (Status s = string_of(t, sec, "device", &r.device, true); !s.ok()) return s;
    if (r.device.empty()) {
      return error(line_of(*t.get("device")), sec + ".device",
                   "empty: a device name or glob such as \"cpu_dma_latency\" or \"cpu[0-9]*\"");
    }
    if (Status s = knob_of(t, sec, &r.knob, true); !s.ok()) return s;
    std::optional<std::int64_t> lo, hi;
    if (Status s = int_of(t, sec, "min", -1, INT32_MAX, &lo); !s.ok()) return s;
    if (Status s = int_of(t, sec, "max", -1, INT32_MAX, &hi); !s.ok()) return s;
    r.min = static_cast<std::int32_t>(lo.value_or(0));
    r.max = static_cast<std::int32_t>(hi.value_or(INT32_MAX));
    if (r.min > r.max) {
      return error(line_of(*t.get(hi ? "max" : "min")), sec + ".max",
                   "max " + std::to_string(r.max) + " below min " + std::to_string(r.min) +
                       ": allowed min <= max");
    }
    if (!config_->containers) config_->containers.emplace();
    config_->containers->push_back(std::move(r));
    return Status::Ok();
  }

  Status cgroup(const toml::table& t) {
    const std::string sec = "cgroup";
    if (Status s = only_keys(t, sec, {"path", "device", "knob", "floor", "cap"}); !s.ok()) return s;
    CgroupLimit l;
    l.origin = file_ + ":" + std::to_string(line_of(t));
    if (Status s = string_of(t, sec, "path", &l.cgroup, true); !s.ok()) return s;
    if (l.cgroup.empty() || l.cgroup[0] != '/') {
      return error(line_of(*t.get("path")), sec + ".path",
                   "\"" + l.cgroup + "\": must be an absolute cgroup v2 path glob");
    }
    if (Status s = string_of(t, sec, "device", &l.device, true); !s.ok()) return s;
    if (Status s = knob_of(t, sec, &l.knob, true); !s.ok()) return s;
    std::optional<std::int64_t> floor, cap;
    if (Status s = int_of(t, sec, "floor", 0, INT32_MAX, &floor); !s.ok()) return s;
    if (Status s = int_of(t, sec, "cap", 0, INT32_MAX, &cap); !s.ok()) return s;
    if (!floor && !cap) return error(line_of(t), sec, "sets nothing: give floor, cap or both");
    if (floor && cap && *floor > *cap) {
      return error(line_of(*t.get("cap")), sec + ".cap",
                   "cap " + std::to_string(*cap) + " below floor " + std::to_string(*floor) +
                       ": allowed floor <= cap");
    }
    if (floor) l.floor = static_cast<std::int32_t>(*floor);
    if (cap) l.cap = static_cast<std::int32_t>(*cap);
    config_->cgroup_limits.push_back(std::move(l));
    return Status::Ok();
  }

  Status bind(const toml::table& t) {
    const std::string sec = "bind";
    if (Status s = only_keys(t, sec, {"cgroup", "device", "knob", "value", "cpus_of", "reason",
                                     "app_id"});
        !s.ok()) {
      return s;
    }
    BindingConfig b;
    b.origin = file_ + ":" + std::to_string(line_of(t));
    if (Status s = string_of(t, sec, "cgroup", &b.cgroup, true); !s.ok()) return s;
    if (b.cgroup.empty() || b.cgroup[0] != '/' || b.cgroup.find("..") != std::string::npos) {
      return error(line_of(*t.get("cgroup")), sec + ".cgroup",
                   "\"" + b.cgroup + "\": must be an absolute cgroup v2 path without ..");
    }
    if (Status s = string_of(t, sec, "device", &b.device, true); !s.ok()) return s;
    if (Status s = knob_of(t, sec, &b.knob, false); !s.ok()) return s;
    if (Status s = string_of(t, sec, "cpus_of", &b.cpus_of, false); !s.ok()) return s;
    if (t.contains("cpus_of")) {
      const std::size_t line = line_of(*t.get("cpus_of"));
      if (b.cpus_of.empty() || b.cpus_of[0] != '/' || b.cpus_of.find("..") != std::string::npos) {
        return error(line, sec + ".cpus_of",
                     "\"" + b.cpus_of + "\": must be an absolute cgroup v2 path without ..");
      }
      if (b.device != "cpus" || (b.knob != "resume_latency" && b.knob != "flags")) {
        return error(line, sec + ".cpus_of",
                     "a binding on a cgroup's CPUs takes device = \"cpus\" and knob = "
                     "\"resume_latency\" or \"flags\"");
      }
    } else if (b.device == "cpus") {
      return error(line_of(*t.get("device")), sec + ".device",
                   "\"cpus\" (a cgroup's CPUs) needs cpus_of = \"/CGROUP\"");
    }
    std::optional<std::int64_t> v;
    if (!t.contains("value")) return error(line_of(t), sec + ".value", "missing: an integer");
    if (Status s = int_of(t, sec, "value", -1, INT32_MAX, &v); !s.ok()) return s;
    b.value = static_cast<std::int32_t>(*v);
    if (Status s = note_of(t, sec, "reason", protocol::kMaxReason, &b.reason); !s.ok()) return s;
    if (Status s = note_of(t, sec, "app_id", protocol::kMaxAppId, &b.app_id); !s.ok()) return s;
    config_->bindings.push_back(std::move(b));
    return Status::Ok();
  }

  Status profile(const toml::table& t) {
    const std::string sec = "profile";
    if (Status s = only_keys(t, sec, {"name", "requests", "holders"}); !s.ok()) return s;
    ProfileConfig p;
    p.origin = file_ + ":" + std::to_string(line_of(t));
    if (Status s = string_of(t, sec, "name", &p.name, true); !s.ok()) return s;
    const bool name_ok = !p.name.empty() && p.name.size() <= 32 &&
                         p.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") ==
                             std::string::npos;
    if (!name_ok) {
      return error(line_of(*t.get("name")), sec + ".name",
                   "\"" + p.name + "\": allowed 1..32 of a-z, 0-9, _ and -");
    }
    if (const toml::node* n = t.get("requests")) {
      const toml::array* a = n->as_array();
      if (a == nullptr) return error(line_of(*n), sec + ".requests", "must be an array of SPECs");
      if (a->size() > 64) return error(line_of(*n), sec + ".requests", "at most 64 SPECs");
      for (const toml::node& e : *a) {
        const auto* text = e.as_string();
        if (text == nullptr) return error(line_of(e), sec + ".requests", "must be SPEC strings");
        tools::RequestSpec spec;
        if (Status s = tools::parse_request_spec(text->get(), &spec); !s.ok()) {
          return error(line_of(e), sec + ".requests", s.message());
        }
        p.requests.push_back(text->get());
      }
    }
    std::string holders = "granted";
    if (Status s = string_of(t, sec, "holders", &holders, false); !s.ok()) return s;
    if (holders != "anyone" && holders != "granted") {
      return error(line_of(*t.get("holders")), sec + ".holders",
                   "\"" + holders + "\": allowed \"anyone\" or \"granted\"");
    }
    p.anyone = holders == "anyone";
    std::erase_if(config_->profiles, [&](const ProfileConfig& q) { return q.name == p.name; });
    config_->profiles.push_back(std::move(p));
    return Status::Ok();
  }

  std::string file_;
  Config* config_;
  Status first_error_;
  std::vector<std::string> errors_;
};

Status read_file(const std::string& path, std::string* text) {
  std::ifstream in(path);
  if (!in)
    return Status::Error(errno ? errno : EIO, path + ": cannot read: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  *text = s.str();
  return Status::Ok();
}

}  // namespace

Status parse_config(std::string_view text, const std::string& file, Config* config,
                    std::vector<std::string>* errors) {
  FileParser parser(file, config);
  Status s = parser.parse(text);
  if (errors != nullptr) {
    if (parser.errors().empty() && !s.ok()) {
      errors->push_back(s.message());  // the file-wide errors: non-ASCII text, TOML syntax
    } else {
      errors->insert(errors->end(), parser.errors().begin(), parser.errors().end());
    }
  }
  return s;
}

Status load_config(const std::string& path, bool required, Config* config,
                   std::vector<std::string>* errors) {
  Config result;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::exists(path, ec)) {
    files.push_back(path);
  } else if (required) {
    Status missing = Status::Error(ENOENT, path + ": no such config file");
    if (errors != nullptr) errors->push_back(missing.message());
    return missing;
  }
  const fs::path conf_d = fs::path(path).parent_path() / "conf.d";
  if (fs::is_directory(conf_d, ec)) {
    std::vector<std::string> extra;
    for (const auto& entry : fs::directory_iterator(conf_d, ec)) {
      if (entry.path().extension() == ".toml") extra.push_back(entry.path().string());
    }
    std::sort(extra.begin(), extra.end());
    files.insert(files.end(), extra.begin(), extra.end());
  }
  // With `errors`, every file is read even after one failed, so that all errors are listed.
  Status first;
  for (const std::string& file : files) {
    std::string text;
    Status s = read_file(file, &text);
    if (!s.ok()) {
      if (errors != nullptr) errors->push_back(s.message());
    } else {
      s = parse_config(text, file, &result, errors);
    }
    if (!s.ok()) {
      if (errors == nullptr) return s;
      if (first.ok()) first = s;
      continue;
    }
    result.files.push_back(file);
  }
  if (!first.ok()) return first;
  *config = std::move(result);
  return Status::Ok();
}

}  // namespace perfqos::daemon
