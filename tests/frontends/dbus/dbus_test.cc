// The D-Bus front end of a real perfqosd on a private system-shaped dbus-daemon: the native API
// through a Python GLib client (bus_client.py), power-profiles-daemon's through Debian's real
// powerprofilesctl, knobs in a generated sysfs tree (EPP and the platform profile), holders
// killed with SIGKILL, unprivileged callers, garbage and floods. Python is Debian's
// /usr/bin/python3, the one python3-gi is for.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "backends/sysfs_tree.h"
#include "cgroup/cgroup_mount.h"
#include "perfqos/client.h"
#include "support/daemon_process.h"
#include "support/effective.h"
#include "support/private_bus.h"
#include "support/run_as.h"

namespace perfqos {
namespace {

using testing::Background;
using testing::CommandRun;
using testing::DaemonProcess;
using testing::effective;
using testing::eventually;
using testing::kLatencyNoConstraint;
using testing::PrivateBus;
using testing::run_command;
using testing::SysfsTree;

constexpr char kEpp[] = "/sys/devices/system/cpu/cpufreq/policy0/energy_performance_preference";
constexpr char kProfile[] = "/sys/firmware/acpi/platform_profile";
constexpr char kAsNobody[] = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class DbusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"dbus-daemon", "/usr/bin/python3", "setpriv"}) {
      if (!testing::have_program(tool)) GTEST_SKIP() << "needs " << tool;
    }
    if (run_command("/usr/bin/python3 -c 'from gi.repository import Gio'").status != 0) {
      GTEST_SKIP() << "needs python3-gi (GLib's Gio for Python)";
    }
    tree.add_cpu_latency_node();
    tree.add_cpufreq_policy(0, 400000, 3000000, {0});
    tree.write_file(
        "/sys/devices/system/cpu/cpufreq/policy0/"
        "energy_performance_available_preferences",
        "default performance balance_performance balance_power power");
    tree.write_file(kEpp, "balance_power");
    tree.write_file(kProfile, "balanced");
    tree.write_file(std::string(kProfile) + "_choices", "low-power balanced performance");
  }
  // perfqosd on the private bus with `config` (TOML).
  void start(const std::string& config = "") {
    ASSERT_TRUE(bus.ok()) << "dbus-daemon did not start";
    config_file = std::make_unique<testing::ConfigFile>(config);
    daemon = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"--dbus", "--sysfs-root", tree.dir(), "--config",
                                 config_file->path},
        std::vector<std::string>{bus.env()});
    ASSERT_TRUE(daemon->ready()) << daemon->log();
  }
  // A command with the private bus as the system bus.
  // (Through env(1): it execs the command in its own process, which prefixes like setpriv and
  // Background's exec need.)
  std::string on_bus(const std::string& command) const {
    return "env " + bus.env() + " " + command;
  }
  std::string client(const std::string& args) const {
    return on_bus(std::string("/usr/bin/python3 ") + PERFQOS_BUS_CLIENT + " " + args);
  }
  std::string epp() const { return tree.read_file(kEpp); }
  std::string profile() const { return tree.read_file(kProfile); }

  SysfsTree tree;
  PrivateBus bus{PERFQOS_BUS_POLICY};
  std::unique_ptr<testing::ConfigFile> config_file;
  std::unique_ptr<DaemonProcess> daemon;
};

TEST_F(DbusTest, HoldLivesExactlyAsLongAsTheCallersNameEvenUnderSigkill) {
  start();
  Background holder(
      client("hold --sleep --reason recording --app org.example.Rec "
             "cpu_dma_latency=20 policy0.epp.min=performance"));
  ASSERT_TRUE(contains(holder.line(), "cookie ")) << daemon->log();
  EXPECT_EQ(epp(), "performance");
  EXPECT_EQ(effective(daemon->socket(), "cpu_dma_latency"), 20);
  const CommandRun holds = run_command(
      on_bus("/usr/bin/python3 -c \"from gi.repository import Gio,GLib;import os;"
             "c=Gio.DBusConnection.new_for_address_sync(os.environ['DBUS_SYSTEM_BUS_ADDRESS'],"
             "Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT|"
             "Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,None,None);"
             "print(c.call_sync('org.perfqos.Broker1','/org/perfqos/Broker1',"
             "'org.freedesktop.DBus.Properties','Get',GLib.Variant('(ss)',"
             "('org.perfqos.Broker1','Holds')),None,0,5000,None).unpack())\""));
  EXPECT_TRUE(contains(holds.out, "recording")) << holds.out;
  EXPECT_TRUE(contains(holds.out, "org.example.Rec")) << holds.out;
  EXPECT_TRUE(contains(holds.out, "policy0.epp.min=performance")) << holds.out;
  holder.kill(SIGKILL);
  EXPECT_TRUE(eventually([&] { return epp() == "balance_power"; })) << epp();
  EXPECT_TRUE(eventually(
      [&] { return effective(daemon->socket(), "cpu_dma_latency") == kLatencyNoConstraint; }));
}

TEST_F(DbusTest, ReleaseEndsTheHoldAndOnlyTheNameThatGotTheCookieMayRelease) {
  start();
  CommandRun r = run_command(client("hold policy0.epp.max=power"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "released")) << r.out;
  EXPECT_EQ(epp(), "balance_power");
  r = run_command(client("cross-release cpu_dma_latency=30"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "other: org.perfqos.Error.NoSuchHold")) << r.out;
  EXPECT_TRUE(contains(r.out, "holds 1")) << r.out;
  EXPECT_TRUE(contains(r.out, "owner: released")) << r.out;
}

TEST_F(DbusTest, UnprivilegedCallerIsRefusedUnlessTheConfigGrantsIt) {
  start("[[grant]]\nusers = [65534]\ndevice = \"cpu_dma_latency\"\nmin = 50\nmax = 1000\n");
  CommandRun r = run_command(kAsNobody + client("hold policy0.epp.min=performance"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "org.perfqos.Error.AccessDenied")) << r.out;
  EXPECT_TRUE(contains(r.out, "uid 65534")) << r.out;
  r = run_command(kAsNobody + client("hold cpu_dma_latency=20"));  // below the grant's min
  EXPECT_TRUE(contains(r.out, "org.perfqos.Error.AccessDenied")) << r.out;
  EXPECT_EQ(epp(), "balance_power");
  Background granted(kAsNobody + client("hold --sleep cpu_dma_latency=50"));
  ASSERT_TRUE(contains(granted.line(), "cookie ")) << daemon->log();
  EXPECT_EQ(effective(daemon->socket(), "cpu_dma_latency"), 50);
}

TEST_F(DbusTest, MalformedCallsGetTheRightErrorAndChangeNothing) {
  start();
  struct Case {
    const char* method;
    const char* signature;
    const char* args;
    const char* error;
  };
  const Case cases[] = {
      {"Hold", "(asss)", R"([["cpu_dma_latency"],"r","a"])", "InvalidArgs"},
      {"Hold", "(asss)", R"([[],"r","a"])", "InvalidArgs"},
      {"Hold", "(asss)", R"([["nodev=1"],"r","a"])", "NoSuchDevice"},
      {"Hold", "(asss)", R"([["cpu_dma_latency=-7"],"r","a"])", "InvalidArgs"},
      {"Hold", "(asss)", R"([["cpu_dma_latency=3000000000"],"r","a"])", "InvalidArgs"},
      {"Hold", "(asss)", R"([["policy0.epp.min=turbo"],"r","a"])", "InvalidArgs"},
      {"Hold", "(asss)", R"([["policy0.nope=1"],"r","a"])", "InvalidArgs"},
      // All or nothing: the good first SPEC is not left behind.
      {"Hold", "(asss)", R"([["cpu_dma_latency=20","policy0.epp.min=fast"],"r","a"])",
       "InvalidArgs"},
      {"Hold", "(asss)", R"([["cpu_dma_latency=20"],"\u0007","a"])", "InvalidArgs"},
      {"Hold", "(asss)",
       R"([["cpu_dma_latency=20"],"r","aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])",
       "InvalidArgs"},
      {"Hold", "(s)", R"(["cpu_dma_latency=20"])", "org.freedesktop.DBus.Error.InvalidArgs"},
      {"Release", "(u)", "[424242]", "NoSuchHold"},
      {"GetEffective", "(ss)", R"(["nodev",""])", "NoSuchDevice"},
      {"GetEffective", "(ss)", R"(["policy0","nope"])", "InvalidArgs"},
      {"Explain", "(sss)", R"(["nodev","",""])", "NoSuchDevice"},
      {"Explain", "(sss)", R"(["policy0","nope",""])", "InvalidArgs"},
      {"Explain", "(sss)", R"(["cpu_dma_latency","","-7"])", "InvalidArgs"},
      {"Explain", "(sss)", R"(["policy0","epp.min","turbo"])", "InvalidArgs"},
      // A value is judged on one end of a range.
      {"Explain", "(sss)", R"(["policy0","range","1GHz"])", "InvalidArgs"},
      {"NoSuchMethod", "", "[]", "org.freedesktop.DBus.Error.UnknownMethod"},
  };
  for (const Case& c : cases) {
    const CommandRun r = run_command(
        client(std::string("raw ") + c.method + " '" + c.signature + "' '" + c.args + "'"));
    EXPECT_EQ(r.status, 1) << c.args << ": " << r.out;
    EXPECT_TRUE(contains(r.out, c.error)) << c.args << ": " << r.out;
  }
  EXPECT_EQ(epp(), "balance_power");
  EXPECT_EQ(effective(daemon->socket(), "cpu_dma_latency"), kLatencyNoConstraint);
  const CommandRun e = run_command(client("raw GetEffective '(ss)' '[\"policy0\",\"epp\"]'"));
  EXPECT_TRUE(contains(e.out, "ok (0, 3)")) << e.out;
  EXPECT_EQ(::kill(daemon->pid(), 0), 0) << daemon->log();
}

// cpus[LIST] (issue #17): one request per listed CPU, placed and released as one hold.
TEST_F(DbusTest, ACpuSetHoldPlacesARequestOnEachCpuAndReleaseDropsThemAll) {
  tree.add_cpu(0, "0", std::nullopt);
  tree.add_cpu(1, "0", std::nullopt);
  start();
  const std::string cpu0 = tree.host("/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us");
  const std::string cpu1 = tree.host("/sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us");
  const CommandRun r = run_command(
      client("hold --show " + cpu0 + " --show " + cpu1 + " 'cpus[0-1].resume_latency=25'"));
  EXPECT_EQ(r.status, 0) << r.out << daemon->log();
  EXPECT_TRUE(contains(r.out, "holds 1\n")) << r.out;  // one hold, two requests
  EXPECT_TRUE(contains(r.out, cpu0 + ": 25\n" + cpu1 + ": 25\nreleased\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "after " + cpu0 + ": 0\nafter " + cpu1 + ": 0\n")) << r.out;
}

// The 256-SPEC limit counts requests after expansion, and is checked before a list is listed:
// 256 SPECs of cpus[0-8191] would otherwise be two million strings on the daemon's loop.
TEST_F(DbusTest, ACpuSetPastTheRequestLimitIsRefusedAtOnceNamingIt) {
  tree.add_cpu(0, "0", std::nullopt);
  tree.add_cpu(1, "0", std::nullopt);
  start();
  const auto hold_of = [](const std::string& spec, int n) {
    std::string specs;
    for (int i = 0; i < n; ++i) specs += (i == 0 ? "\"" : ",\"") + spec + "\"";
    return "raw Hold '(asss)' '[[" + specs + "],\"r\",\"a\"]'";
  };
  for (const auto& [spec, n] : {std::pair{"cpus[0-8191].resume_latency=0", 256},
                                std::pair{"cpus[0-1].resume_latency=0", 129},
                                std::pair{"cpus[0-300].resume_latency=0", 1}}) {
    const auto began = std::chrono::steady_clock::now();
    const CommandRun r = run_command(client(hold_of(spec, n)));
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_EQ(r.status, 1) << spec << ": " << r.out;
    EXPECT_TRUE(contains(r.out, "org.perfqos.Error.LimitsExceeded")) << spec << ": " << r.out;
    EXPECT_TRUE(contains(r.out, "more than 256 requests in all")) << spec << ": " << r.out;
    EXPECT_LT(took, std::chrono::seconds(5)) << spec;
  }
  EXPECT_EQ(tree.read_file("/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us"), "0");
  EXPECT_EQ(tree.read_file("/sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us"), "0");
  const CommandRun after = run_command(client("hold 'cpus[0-1].resume_latency=5'"));
  EXPECT_TRUE(contains(after.out, "released")) << after.out;
}

TEST_F(DbusTest, ExplainNamesTheSettersAndJudgesAValueAsAHoldOfTheCallerWould) {
  start("[[grant]]\nusers = [65534]\ndevice = \"cpu_dma_latency\"\nmin = 50\nmax = 1000\n");
  Background holder(
      client("hold --sleep --reason recording --app org.example.Rec cpu_dma_latency=60"));
  ASSERT_TRUE(contains(holder.line(), "cookie ")) << daemon->log();
  // Root: the held request with its notes, no policy bound, 20 us admitted and lowering it.
  CommandRun r = run_command(client("explain cpu_dma_latency '' 20us"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "knob latency unit us effective 60 60")) << r.out;
  EXPECT_TRUE(contains(r.out, "setters 1\nsetter - 60 connection pid ")) << r.out;
  EXPECT_TRUE(contains(r.out, "reason recording app org.example.Rec remaining 0")) << r.out;
  EXPECT_TRUE(contains(r.out, "unrestricted True")) << r.out;
  EXPECT_TRUE(contains(r.out, "verdict admitted change True would_be 20 20")) << r.out;
  // Nobody: its grant, and the refusal a Hold of 20 would get.
  r = run_command(kAsNobody + client("explain cpu_dma_latency '' 20"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "reason recording app org.example.Rec")) << r.out;
  EXPECT_TRUE(contains(r.out, "unrestricted False")) << r.out;
  EXPECT_TRUE(contains(r.out, "grant cpu_dma_latency * 50 1000 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "verdict refused org.perfqos.Error.AccessDenied: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "uid 65534")) << r.out;
  r = run_command(kAsNobody + client("explain cpu_dma_latency '' 1ms"));
  EXPECT_TRUE(contains(r.out, "verdict admitted change False would_be 60 60")) << r.out;
  r = run_command(kAsNobody + client("explain policy0 epp.min performance"));
  EXPECT_TRUE(contains(r.out, "knob epp.min unit choice")) << r.out;
  EXPECT_TRUE(contains(r.out, "verdict refused org.perfqos.Error.AccessDenied: ")) << r.out;
  // No value: no verdict; a range without an end explains both.
  r = run_command(client("explain policy0 range ''"));
  EXPECT_TRUE(contains(r.out, "knob range unit kHz effective 400000 3000000")) << r.out;
  EXPECT_TRUE(contains(r.out, "setters 0\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "verdict none")) << r.out;
  EXPECT_EQ(effective(daemon->socket(), "cpu_dma_latency"), 60);  // nothing was placed
}

TEST_F(DbusTest, AThousandHoldsFromAHundredNamesAllGoWithTheirNames) {
  start();
  const CommandRun r = run_command(client("many 100 10"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "holds 1000")) << r.out;
  EXPECT_TRUE(contains(r.out, "after 0")) << r.out;
  EXPECT_EQ(effective(daemon->socket(), "cpu_dma_latency"), kLatencyNoConstraint);
}

TEST_F(DbusTest, TheShippedIntrospectionIsWhatTheDaemonServes) {
  start();
  const CommandRun r = run_command(client(std::string("introspect ") + PERFQOS_BUS_XML));
  EXPECT_EQ(r.out, "same\n");
}

TEST_F(DbusTest, EveryEffectiveChangeIsSignalled) {
  start();
  const CommandRun r = run_command(client("signal cpu_dma_latency=40"));
  EXPECT_TRUE(contains(r.out, "signal cpu_dma_latency latency 40 40")) << r.out;
}

TEST_F(DbusTest, AFloodOfCallsFromAnExitingCallerLeavesNothingAndTheDaemonServes) {
  start();
  // 5000 Hold calls sent without waiting for one reply, then the caller is gone.
  const CommandRun r = run_command(
      on_bus("/usr/bin/python3 -c \"from gi.repository import Gio,GLib;import os;"
             "c=Gio.DBusConnection.new_for_address_sync(os.environ['DBUS_SYSTEM_BUS_ADDRESS'],"
             "Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT|"
             "Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,None,None)\n"
             "for i in range(5000): c.call('org.perfqos.Broker1','/org/perfqos/Broker1',"
             "'org.perfqos.Broker1','Hold',GLib.Variant('(asss)',(['cpu_dma_latency=%d' % (i+1)],"
             "'flood','f')),None,0,-1,None,None,None)\n"
             "c.flush_sync(None); os._exit(0)\""));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(eventually([&] {
    return effective(daemon->socket(), "cpu_dma_latency") == kLatencyNoConstraint;
  })) << daemon->log().substr(0, 2000);
  const CommandRun after = run_command(client("hold policy0.epp.min=performance"));
  EXPECT_TRUE(contains(after.out, "released")) << after.out;
  EXPECT_EQ(::kill(daemon->pid(), 0), 0);
}

// --- power-profiles-daemon's API, through Debian's own powerprofilesctl ---

class PowerProfilesTest : public DbusTest {
 protected:
  void SetUp() override {
    DbusTest::SetUp();
    if (IsSkipped()) return;
    if (!testing::have_program("powerprofilesctl")) {
      GTEST_SKIP() << "needs powerprofilesctl (Debian's power-profiles-daemon package)";
    }
  }
  CommandRun ctl(const std::string& args) const {
    return run_command(on_bus("powerprofilesctl " + args));
  }
};

TEST_F(PowerProfilesTest, ListGetAndSetDriveEppAndThePlatformProfile) {
  start();
  CommandRun r = ctl("list");
  ASSERT_EQ(r.status, 0) << r.out << daemon->log();
  for (const char* p : {"power-saver:", "* balanced:", "performance:", "perfqos"}) {
    EXPECT_TRUE(contains(r.out, p)) << p << "\n" << r.out;
  }
  EXPECT_EQ(ctl("get").out, "balanced\n");
  ASSERT_EQ(ctl("set performance").status, 0);
  EXPECT_EQ(ctl("get").out, "performance\n");
  EXPECT_EQ(epp(), "performance");
  EXPECT_EQ(profile(), "performance");
  ASSERT_EQ(ctl("set power-saver").status, 0);
  EXPECT_EQ(epp(), "power");
  EXPECT_EQ(profile(), "low-power");
  ASSERT_EQ(ctl("set balanced").status, 0);
  EXPECT_EQ(epp(), "balance_power");  // where it was: balanced places no request
  EXPECT_EQ(profile(), "balanced");
  r = ctl("set turbo");
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.out, "turbo")) << r.out;
  EXPECT_EQ(ctl("get").out, "balanced\n");
}

TEST_F(PowerProfilesTest, LaunchHoldsTheProfileWhileTheCommandRunsAndASigkillEndsIt) {
  start();
  Background launch(
      on_bus("powerprofilesctl launch -p performance -r encoding -i org.example.Enc "
             "sleep 60"));
  ASSERT_TRUE(eventually([&] { return epp() == "performance"; })) << daemon->log();
  EXPECT_EQ(profile(), "performance");
  EXPECT_EQ(ctl("get").out, "performance\n");
  const CommandRun holds = ctl("list-holds");
  EXPECT_TRUE(contains(holds.out, "org.example.Enc")) << holds.out;
  EXPECT_TRUE(contains(holds.out, "encoding")) << holds.out;
  // A power-saver hold beats a performance hold.
  {
    Background saver(on_bus("powerprofilesctl launch -p power-saver -r battery -i b sleep 60"));
    ASSERT_TRUE(eventually([&] { return epp() == "power"; })) << daemon->log();
    EXPECT_EQ(ctl("get").out, "power-saver\n");
  }
  ASSERT_TRUE(eventually([&] { return epp() == "performance"; })) << daemon->log();
  launch.kill(SIGKILL);  // powerprofilesctl itself, the holder; its sleep lives on
  EXPECT_TRUE(eventually([&] { return epp() == "balance_power"; })) << epp();
  EXPECT_EQ(profile(), "balanced");
  EXPECT_EQ(ctl("get").out, "balanced\n");
}

TEST_F(PowerProfilesTest, SettingTheProfileByHandReleasesTheHolds) {
  start();
  Background launch(on_bus("powerprofilesctl launch -p performance -r r -i a sleep 60"));
  ASSERT_TRUE(eventually([&] { return epp() == "performance"; })) << daemon->log();
  ASSERT_EQ(ctl("set power-saver").status, 0);
  EXPECT_EQ(epp(), "power");
  EXPECT_EQ(ctl("list-holds").out, "");
  launch.kill(SIGKILL);
  EXPECT_EQ(ctl("get").out, "power-saver\n");
}

TEST_F(PowerProfilesTest, ConfigProfilesReplaceTheBuiltInsAndNeedGrantsUnlessOpen) {
  start(
      "[[profile]]\nname = \"performance\"\n"
      "requests = [\"cpu_dma_latency=50\", \"policy0.epp.min=balance_performance\"]\n");
  ASSERT_EQ(ctl("set performance").status, 0);
  EXPECT_EQ(epp(), "balance_performance");
  EXPECT_EQ(effective(daemon->socket(), "cpu_dma_latency"), 50);
  ASSERT_EQ(ctl("set balanced").status, 0);
  // Not open to anyone (holders = "granted" is the default), and nobody has no grant.
  const CommandRun r = run_command(kAsNobody + on_bus("powerprofilesctl set performance"));
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.out, "AccessDenied")) << r.out;
  EXPECT_EQ(epp(), "balance_power");
  // The built-in power-saver stays open to every local user.
  EXPECT_EQ(run_command(kAsNobody + on_bus("powerprofilesctl set power-saver")).status, 0);
  EXPECT_EQ(epp(), "power");
}

TEST_F(PowerProfilesTest, AnotherOwnerOfThePpdNameKeepsItAndTheNativeApiServes) {
  ASSERT_TRUE(bus.ok());
  Background other(on_bus(
      "/usr/bin/python3 -c \"from gi.repository import Gio;import os,time;"
      "c=Gio.DBusConnection.new_for_address_sync(os.environ['DBUS_SYSTEM_BUS_ADDRESS'],"
      "Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT|"
      "Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,None,None);"
      "print(c.call_sync('org.freedesktop.DBus','/org/freedesktop/DBus','org.freedesktop.DBus',"
      "'RequestName',__import__('gi.repository.GLib',fromlist=['x']).Variant('(su)',"
      "('net.hadess.PowerProfiles',4)),None,0,5000,None).unpack(),flush=True);time.sleep(60)\""));
  ASSERT_EQ(other.line(), "(1,)");
  start();
  EXPECT_TRUE(contains(daemon->log(), "another daemon owns net.hadess.PowerProfiles"))
      << daemon->log();
  const CommandRun r = run_command(client("hold policy0.epp.min=performance"));
  EXPECT_TRUE(contains(r.out, "released")) << r.out;
}

// --- perfqosctl --profile, over the same D-Bus API ---

TEST_F(DbusTest, PerfqosctlRunAndHoldTakeAnyProfileOverDbus) {
  start(
      "[[profile]]\nname = \"recording\"\nrequests = [\"cpu_dma_latency=20\"]\n"
      "holders = \"anyone\"\n[[profile]]\nname = \"lab\"\n"
      "requests = [\"cpu_dma_latency=5\"]\n");
  const std::string ctl = on_bus(std::string(PERFQOSCTL_PATH) + " --socket " + daemon->socket());
  CommandRun r = run_command(ctl + " run --profile performance -- cat " + tree.host(kEpp));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "holding profile performance")) << r.out;
  EXPECT_TRUE(contains(r.out, "(over D-Bus)\nperformance")) << r.out;  // what cat read
  // The hold ends when perfqosctl's bus connection does: the daemon hears it from the bus.
  EXPECT_TRUE(eventually([&] { return epp() == "balance_power"; })) << epp();
  // An open config profile, for anyone.
  r = run_command(kAsNobody + ctl + " run --profile recording -- true");
  EXPECT_EQ(r.status, 0) << r.out;
  Background held(kAsNobody + ctl + " hold --profile recording");
  ASSERT_TRUE(contains(held.line(), "holding profile recording")) << daemon->log();
  EXPECT_EQ(effective(daemon->socket(), "cpu_dma_latency"), 20);
  held.kill(SIGKILL);
  EXPECT_TRUE(eventually(
      [&] { return effective(daemon->socket(), "cpu_dma_latency") == kLatencyNoConstraint; }));
  // A profile that needs grants, refused to nobody; a profile that does not exist.
  r = run_command(kAsNobody + ctl + " run --profile lab -- true");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "profile lab: 'cpu_dma_latency=5'")) << r.out;
  EXPECT_TRUE(contains(r.out, "[[grant]]")) << r.out;
  r = run_command(ctl + " hold --profile turbo");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out,
                       "no profile 'turbo' here: offered are power-saver, balanced, "
                       "performance, recording, lab"))
      << r.out;
}

// HoldCpusOf (perfqosctl --cpus-of over the bus): one request per CPU of a cgroup, following its
// cpuset.cpus.effective (generated in the tree where perfqosd reads it), dropped with the name.
TEST_F(DbusTest, HoldCpusOfFollowsTheCgroupsCpusUntilTheNameGoes) {
  std::string mount;
  if (!daemon::find_cgroup2_mount(&mount).ok()) GTEST_SKIP() << "no cgroup2 mount here";
  for (int n = 0; n < 4; ++n) tree.add_cpu(n, "0", std::nullopt);
  tree.write_file("/sys/devices/system/cpu/online", "0-3\n");
  const std::string cpuset = mount + "/pq-dbus-cpus/cpuset.cpus.effective";
  tree.write_file(cpuset, "1-2\n");
  start();
  const auto at = [&](const std::string& value) {
    std::string cpus;
    for (int n = 0; n < 4; ++n) {
      const std::string f =
          "/sys/devices/system/cpu/cpu" + std::to_string(n) + "/power/pm_qos_resume_latency_us";
      if (tree.read_file(f) == value) cpus += std::to_string(n);
    }
    return cpus;
  };
  Background held(client("hold-cpus-of /pq-dbus-cpus cpus.resume_latency=30us"));
  ASSERT_TRUE(contains(held.line(), "cookie ")) << daemon->log();
  EXPECT_EQ(at("30"), "12");
  tree.write_file(cpuset, "3\n");
  EXPECT_TRUE(eventually([&] { return at("30") == "3"; })) << at("30");
  EXPECT_TRUE(eventually([&] { return at("0") == "012"; })) << at("0");
  held.kill(SIGKILL);
  EXPECT_TRUE(eventually([&] { return at("0") == "0123"; })) << at("0");

  const auto refused = [&](const std::string& args, const std::string& said) {
    const CommandRun r = run_command(client("raw HoldCpusOf '(sasss)' '" + args + "'"));
    EXPECT_EQ(r.status, 1) << args << ": " << r.out;
    EXPECT_TRUE(contains(r.out, said)) << args << ": " << r.out;
  };
  refused(R"(["/pq-dbus-cpus", ["cpu_dma_latency=5"], "r", "a"])",
          "HoldCpusOf takes cpus.KNOB=VALUE SPECs");
  refused(R"(["/pq-dbus-cpus", ["cpus.latency=5"], "r", "a"])", "resume_latency or flags");
  refused(R"(["/pq-no-such", ["cpus.resume_latency=5"], "r", "a"])",
          "org.perfqos.Error.InvalidArgs");
  refused(R"(["/pq-dbus-cpus", ["cpus.resume_latency=-3"], "r", "a"])",
          "org.perfqos.Error.InvalidArgs");
  refused(R"(["relative", ["cpus.resume_latency=5"], "r", "a"])", "absolute cgroup v2 path");
  EXPECT_EQ(at("0"), "0123");
}

}  // namespace
}  // namespace perfqos
