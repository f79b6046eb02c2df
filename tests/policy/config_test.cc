// The config parser: what a good config gives, and every error path with file:line and key.
#include "policy/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace perfqos::daemon {
namespace {

TEST(Config, ParsesEverySection) {
  Config c;
  Status s = parse_config(R"(
[daemon]
socket = "/run/x.sock"
log_level = "debug"

[quotas]
max_requests_per_holder = 8
max_connections_per_uid = 4
max_queued_bytes_per_uid = 65536
max_subscriptions = 0
apply_to_root = true

[[device]]
name = "gpu"
unit = "normal"
limit_min = 0
limit_max = 800

[[grant]]
users = ["root", 1000]
groups = [27]
cgroups = ["/user.slice/*"]
device = "gpu"
knob = "max"
min = 100
max = 800

[[cgroup]]
path = "/batch.slice"
device = "gpu"
knob = "max"
cap = 300

[[bind]]
cgroup = "/games.slice"
device = "cpu_dma_latency"
value = 20
reason = "games want low latency"
app_id = "org.example.Games"
)",
                          "main.toml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.daemon.socket, "/run/x.sock");
  EXPECT_EQ(c.daemon.log_level, "debug");
  EXPECT_EQ(c.quotas.max_requests_per_holder, 8u);
  EXPECT_EQ(c.quotas.max_connections_per_uid, 4u);
  EXPECT_EQ(c.quotas.max_queued_bytes_per_uid, 65536u);
  EXPECT_EQ(c.quotas.max_subscriptions, 0u);  // unlimited, when asked for
  EXPECT_EQ(c.quotas.max_bindings_per_uid, Quotas{}.max_bindings_per_uid);  // the default
  EXPECT_TRUE(c.quotas.apply_to_root);
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].name, "gpu");
  ASSERT_EQ(c.grants.size(), 1u);
  EXPECT_EQ(c.grants[0].uids, (std::vector<uid_t>{0, 1000}));
  EXPECT_EQ(c.grants[0].gids, (std::vector<gid_t>{27}));
  EXPECT_EQ(c.grants[0].min, 100);
  EXPECT_EQ(c.grants[0].origin, "main.toml:19");
  ASSERT_EQ(c.cgroup_limits.size(), 1u);
  EXPECT_EQ(c.cgroup_limits[0].cap, 300);
  ASSERT_EQ(c.bindings.size(), 1u);
  EXPECT_EQ(c.bindings[0].value, 20);
  EXPECT_EQ(c.bindings[0].origin, "main.toml:34");
  EXPECT_EQ(c.bindings[0].reason, "games want low latency");
  EXPECT_EQ(c.bindings[0].app_id, "org.example.Games");
}

struct BadCase {
  const char* text;
  const char* expected;  // a substring of the message, starting at the line
};

TEST(Config, EveryErrorNamesFileLineKeyAndAllowedValues) {
  const BadCase cases[] = {
      {"x = 1\n", "f.toml:1: x: unknown key: allowed [daemon], [quotas]"},
      {"[daemon\n", "f.toml:1: TOML syntax"},
      {"daemon = 3\n", "f.toml:1: daemon: must be a table"},
      {"[daemon]\nsoket = \"/x\"\n", "f.toml:2: daemon.soket: unknown key: allowed socket, "},
      {"[daemon]\nsocket = 5\n", "f.toml:2: daemon.socket: must be a string"},
      {"[daemon]\nsocket = \"rel\"\n", "f.toml:2: daemon.socket: \"rel\": must be an absolute"},
      {"[daemon]\nlog_level = \"loud\"\n",
       "f.toml:2: daemon.log_level: \"loud\": allowed error, warning, info, debug"},
      {"[quotas]\nmax_requests_per_holder = -1\n",
       "f.toml:2: quotas.max_requests_per_holder: -1 out of range: allowed 0..4294967295"},
      {"[quotas]\nmax_connections_per_uid = \"many\"\n",
       "f.toml:2: quotas.max_connections_per_uid: must be an integer in 0..4294967295"},
      {"[quotas]\nmax_bindings = 4294967296\n",
       "f.toml:2: quotas.max_bindings: 4294967296 out of range: allowed 0..4294967295"},
      {"[quotas]\nmax_binding = 4\n", "f.toml:2: quotas.max_binding: unknown key: allowed"},
      {"[quotas]\napply_to_root = 1\n", "f.toml:2: quotas.apply_to_root: must be a boolean"},
      {"[grant]\nusers = [1]\n", "f.toml:1: grant: must be an array of tables: [[grant]]"},
      {"[[grant]]\ndevice = \"x\"\n", "f.toml:1: grant: names nobody"},
      {"[[grant]]\nusers = [1]\n", "f.toml:1: grant.device: missing"},
      {"[[grant]]\nusers = [\"no-such-user-pq\"]\ndevice = \"x\"\n",
       "f.toml:2: grant.users: no user named \"no-such-user-pq\""},
      {"[[grant]]\ngroups = [-4]\ndevice = \"x\"\n",
       "f.toml:2: grant.groups: -4 out of range: allowed 0..2147483647"},
      {"[[grant]]\nusers = 1\ndevice = \"x\"\n", "f.toml:2: grant.users: must be an array"},
      {"[[grant]]\ncgroups = [\"rel\"]\ndevice = \"x\"\n",
       "f.toml:2: grant.cgroups: must be absolute cgroup v2 path globs"},
      {"[[grant]]\nusers = [1]\ndevice = \"x\"\nknob = \"speed\"\n",
       "f.toml:4: grant.knob: unknown knob \"speed\": allowed latency, throughput"},
      {"[[grant]]\nusers = [1]\ndevice = \"x\"\nmin = 5\nmax = 4\n",
       "f.toml:5: grant.max: max 4 below min 5: allowed min <= max"},
      {"[[grant]]\nusers = [1]\ndevice = \"x\"\nmax = 4294967296\n",
       "f.toml:4: grant.max: 4294967296 out of range: allowed -1..2147483647"},
      {"[[grant]]\nusers = [1]\ndevice = \"x\"\nrange = 4\n",
       "f.toml:4: grant.range: unknown key: allowed users, groups, cgroups, device, knob, min, "
       "max"},
      {"[[device]]\nname = \"gpu\"\n", "f.toml:1: device.unit: missing"},
      {"[[device]]\nname = \"gpu\"\nunit = \"hz\"\n",
       "f.toml:3: device.unit: \"hz\": allowed normal, kbps"},
      {"[[device]]\nname = \"gpu\"\nunit = \"normal\"\nlimit_max = 2000\n",
       "f.toml:4: device.limit_max: 2000 out of range: allowed 0..1024"},
      {"[[device]]\nname = \"gpu\"\nunit = \"normal\"\nlimit_min = 900\nlimit_max = 100\n",
       "f.toml:1: device \"gpu\": "},
      {"[[device]]\nname = \"g\"\nunit = \"kbps\"\n[[device]]\nname = \"g\"\nunit = \"kbps\"\n",
       "f.toml:4: device.name: \"g\" defined twice"},
      {"[[cgroup]]\npath = \"/a\"\ndevice = \"gpu\"\n",
       "f.toml:1: cgroup: sets nothing: give floor, cap or both"},
      {"[[cgroup]]\npath = \"a\"\ndevice = \"gpu\"\ncap = 1\n",
       "f.toml:2: cgroup.path: \"a\": must be an absolute"},
      {"[[cgroup]]\npath = \"/a\"\ndevice = \"gpu\"\nfloor = 9\ncap = 1\n",
       "f.toml:5: cgroup.cap: cap 1 below floor 9: allowed floor <= cap"},
      {"[[bind]]\ncgroup = \"/a/../b\"\ndevice = \"x\"\nvalue = 1\n",
       "f.toml:2: bind.cgroup: \"/a/../b\": must be an absolute cgroup v2 path without .."},
      {"[[bind]]\ncgroup = \"/a\"\ndevice = \"x\"\n", "f.toml:1: bind.value: missing"},
      {"[[bind]]\ncgroup = \"/a\"\ndevice = \"x\"\nknob = \"range\"\nvalue = 1\n",
       "f.toml:4: bind.knob: unknown knob \"range\""},
      {"[[bind]]\ncgroup = \"/a\"\ndevice = \"x\"\nvalue = -2\n",
       "f.toml:4: bind.value: -2 out of range: allowed -1..2147483647"},
      {"[[bind]]\ncgroup = \"/a\"\ndevice = \"x\"\nvalue = 1\nreason = \"a\\u0007b\"\n",
       "f.toml:5: bind.reason: contains control character 0x07 at byte 1 (allowed: at most 127 "
       "bytes of printable UTF-8)"},
      {"[[bind]]\ncgroup = \"/a\"\ndevice = \"x\"\nvalue = 1\napp_id = "
       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
       "f.toml:5: bind.app_id: longer than 63 bytes (64) (allowed: at most 63 bytes"},
      {"[[bind]]\ncgroup = \"/a\"\ndevice = \"x\"\nvalue = 1\nreason = 5\n",
       "f.toml:5: bind.reason: must be a string"},
      {"[[profile]]\nname = \"Turbo Mode\"\n",
       "f.toml:2: profile.name: \"Turbo Mode\": allowed 1..32 of a-z, 0-9, _ and -"},
      {"[[profile]]\nrequests = []\n", "f.toml:1: profile.name: missing"},
      {"[[profile]]\nname = \"p\"\nrequests = [\"cpu_dma_latency\"]\n",
       "f.toml:3: profile.requests: 'cpu_dma_latency': expected DEVICE=VALUE"},
      {"[[profile]]\nname = \"p\"\nrequests = \"cpu_dma_latency=1\"\n",
       "f.toml:3: profile.requests: must be an array of SPECs"},
      {"[[profile]]\nname = \"p\"\nholders = \"all\"\n",
       "f.toml:3: profile.holders: \"all\": allowed \"anyone\" or \"granted\""},
      {"[[profile]]\nname = \"p\"\npriority = 1\n", "f.toml:3: profile.priority: unknown key"},
      {"[container]\ndevice = \"x\"\n",
       "f.toml:1: container: must be an array of tables: [[container]]"},
      {"[[container]]\nknob = \"latency\"\n", "f.toml:1: container.device: missing"},
      {"[[container]]\ndevice = \"\"\n", "f.toml:2: container.device: empty"},
      {"[[container]]\ndevice = 5\n", "f.toml:2: container.device: must be a string"},
      {"[[container]]\ndevice = \"x\"\nknob = \"speed\"\n",
       "f.toml:3: container.knob: unknown knob \"speed\": allowed latency, throughput"},
      {"[[container]]\ndevice = \"x\"\nmin = -2\n",
       "f.toml:3: container.min: -2 out of range: allowed -1..2147483647"},
      {"[[container]]\ndevice = \"x\"\nmax = 2147483648\n",
       "f.toml:3: container.max: 2147483648 out of range: allowed -1..2147483647"},
      {"[[container]]\ndevice = \"x\"\nmin = \"low\"\n",
       "f.toml:3: container.min: must be an integer in -1..2147483647"},
      {"[[container]]\ndevice = \"x\"\nmin = 50\nmax = 10\n",
       "f.toml:4: container.max: max 10 below min 50: allowed min <= max"},
      {"[[container]]\ndevice = \"x\"\nusers = [0]\n",
       "f.toml:3: container.users: unknown key: allowed device, knob, min, max"},
  };
  for (const BadCase& c : cases) {
    Config config;
    Status s = parse_config(c.text, "f.toml", &config);
    EXPECT_EQ(s.code(), EINVAL) << c.text;
    EXPECT_EQ(s.message().rfind(c.expected, 0), 0u)
        << "config:\n"
        << c.text << "message: " << s.message() << "\nexpected: " << c.expected;
  }
}

TEST(Config, ContainerEntriesAddUpAcrossFilesAndReplaceTheDefault) {
  Config c;
  EXPECT_FALSE(c.containers.has_value());
  // No [[container]] anywhere: the built-in rules are the policy's.
  EXPECT_EQ(c.policy().container_rules().size(), default_container_rules().size());
  ASSERT_TRUE(parse_config("[[grant]]\nusers = [1]\ndevice = \"x\"\n", "a.toml", &c).ok());
  EXPECT_FALSE(c.containers.has_value());
  Status s = parse_config(R"(
[[container]]
device = "cpu_dma_latency"
knob = "latency"
min = 10
max = 100

[[container]]
device = "cpu[0-9]*"
knob = "resume_latency"
)",
                          "b.toml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(
      parse_config("[[container]]\ndevice = \"gpu\"\nmin = -1\nmax = -1\n", "c.toml", &c).ok());
  ASSERT_TRUE(c.containers.has_value());
  ASSERT_EQ(c.containers->size(), 3u);
  const ContainerRule& first = (*c.containers)[0];
  EXPECT_EQ(first.device, "cpu_dma_latency");
  EXPECT_EQ(first.knob, "latency");
  EXPECT_EQ(first.min, 10);
  EXPECT_EQ(first.max, 100);
  EXPECT_EQ(first.origin, "b.toml:2");
  EXPECT_EQ((*c.containers)[1].knob, "resume_latency");
  EXPECT_EQ((*c.containers)[1].min, 0);
  EXPECT_EQ((*c.containers)[1].max, INT32_MAX);
  EXPECT_EQ((*c.containers)[2].knob, "*");
  EXPECT_EQ((*c.containers)[2].origin, "c.toml:1");
  // The config's rules replace the built-in ones whole.
  const Policy p = c.policy();
  EXPECT_TRUE(p.authorize_container("cpu_dma_latency", "latency", 10).ok());
  EXPECT_EQ(p.authorize_container("cpu_dma_latency", "latency", 5).code(), EACCES);
  EXPECT_EQ(p.authorize_container("network_latency", "latency", 1000).code(), EACCES);
  EXPECT_TRUE(p.authorize_container("gpu", "max", -1).ok());
  EXPECT_EQ(p.authorize_container("gpu", "max", 0).code(), EACCES);
}

// Found by fuzz/config_fuzzer (corpus/config/regress-device-name-invalid): a [[device]] name that
// register_device() refuses parsed, so the error came later, without file:line, and on reload the
// rest of the config was applied anyway.
TEST(Config, ProfilesKeepTheirSpecsAndALaterOneReplacesByName) {
  Config c;
  ASSERT_TRUE(parse_config("[[profile]]\nname = \"performance\"\n"
                           "requests = [\"cpu_dma_latency=50\", \"policy0.epp.min=performance\"]\n"
                           "holders = \"anyone\"\n[[profile]]\nname = \"quiet\"\n",
                           "a.toml", &c)
                  .ok());
  ASSERT_TRUE(parse_config("[[profile]]\nname = \"quiet\"\nrequests = [\"cpu_dma_latency=9\"]\n",
                           "b.toml", &c)
                  .ok());
  ASSERT_EQ(c.profiles.size(), 2u);
  EXPECT_EQ(c.profiles[0].name, "performance");
  EXPECT_TRUE(c.profiles[0].anyone);
  EXPECT_EQ(c.profiles[0].requests,
            (std::vector<std::string>{"cpu_dma_latency=50", "policy0.epp.min=performance"}));
  EXPECT_EQ(c.profiles[1].name, "quiet");
  EXPECT_FALSE(c.profiles[1].anyone);  // "granted" is the default
  EXPECT_EQ(c.profiles[1].requests, std::vector<std::string>{"cpu_dma_latency=9"});
  EXPECT_EQ(c.profiles[1].origin, "b.toml:1");
}

TEST(Config, DeviceNameIsCheckedWithItsLine) {
  const BadCase cases[] = {
      {"[[device]]\nname = \"g+\"\nunit = \"kbps\"\n",
       "f.toml:2: device.name: device name 'g+': byte 43 not allowed: use A-Z a-z 0-9 _ . : -"},
      {"[[device]]\nunit = \"kbps\"\nname = \"\"\n",
       "f.toml:3: device.name: device name '': length must be 1..63 bytes"},
      {"[[device]]\nname = \"perf_qos/gpu\"\nunit = \"normal\"\n",
       "f.toml:2: device.name: device name 'perf_qos/gpu': byte 47 not allowed"},
  };
  for (const BadCase& c : cases) {
    Config config;
    Status s = parse_config(c.text, "f.toml", &config);
    EXPECT_EQ(s.code(), EINVAL) << c.text;
    EXPECT_EQ(s.message().rfind(c.expected, 0), 0u) << s.message();
    EXPECT_TRUE(config.devices.empty());
  }
}

// Found by fuzz/config_fuzzer (corpus/config/regress-toml-nonascii-*): toml++ 3.3 reaches
// undefined behaviour on some non-ASCII code points outside comments, so the parser refuses them
// first, with the line; comments may hold any UTF-8.
TEST(Config, NonAsciiOutsideCommentsIsAnErrorWithItsLine) {
  const BadCase cases[] = {
      {"\xd0\xa3", "f.toml:1: non-ASCII character outside a comment"},
      {"[quotas]\nmax_requests_per_holder = 3true\xd0\xa3\n", "f.toml:2: non-ASCII"},
      {"\"\xc3\xa9\" = 1\n", "f.toml:1: non-ASCII"},
      {"[daemon]\nsocket = \"/caf\xc3\xa9\"\n", "f.toml:2: non-ASCII"},
      {"s = \"\"\"\\\n\xc2\xa7\"\"\"\n", "f.toml:2: non-ASCII"},
      {"s = '''a\n# \xc2\xa7'''\n", "f.toml:2: non-ASCII"},  // not a comment: inside a string
  };
  for (const BadCase& c : cases) {
    Config config;
    Status s = parse_config(c.text, "f.toml", &config);
    EXPECT_EQ(s.code(), EINVAL) << c.text;
    EXPECT_EQ(s.message().rfind(c.expected, 0), 0u) << s.message();
  }
  Config ok;
  Status s = parse_config(
      "# R\xc3\xa9glages\n[daemon]\nsocket = \"/run/a#b\" # tr\xc3\xa8s \xd0\xa3\n"
      "mount = '/m\\' # \xc2\xa7\nstate_dir = \"\"\"/s\\\"\"\"\"\" # \xc2\xa7\n",
      "f.toml", &ok);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(ok.daemon.socket, "/run/a#b");
  EXPECT_EQ(ok.daemon.mount, "/m\\");
  EXPECT_EQ(ok.daemon.state_dir, "/s\"\"");
}

TEST(Config, LoadsConfDInNameOrderAndRejectsWhole) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("pq-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "conf.d");
  std::ofstream(dir / "main.toml") << "[quotas]\nmax_requests_per_holder = 1\n";
  std::ofstream(dir / "conf.d" / "20-b.toml") << "[quotas]\nmax_requests_per_holder = 3\n";
  std::ofstream(dir / "conf.d" / "10-a.toml") << "[quotas]\nmax_requests_per_holder = 2\n";
  std::ofstream(dir / "conf.d" / "ignored.txt") << "garbage";
  Config c;
  ASSERT_TRUE(load_config((dir / "main.toml").string(), true, &c).ok());
  EXPECT_EQ(c.quotas.max_requests_per_holder, 3u);
  EXPECT_EQ(c.files.size(), 3u);

  std::ofstream(dir / "conf.d" / "30-bad.toml") << "\n\nnope = 1\n";
  Config kept = c;
  Status s = load_config((dir / "main.toml").string(), true, &c);
  EXPECT_EQ(s.message().rfind((dir / "conf.d" / "30-bad.toml").string() + ":3: nope", 0), 0u)
      << s.message();
  EXPECT_EQ(c.files, kept.files);  // untouched

  Config none;
  EXPECT_TRUE(load_config((dir / "conf.d" / "missing.toml").string(), false, &none).ok());
  EXPECT_TRUE(none.files.empty());
  EXPECT_EQ(load_config((dir / "conf.d" / "missing.toml").string(), true, &none).code(), ENOENT);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace perfqos::daemon
