// The restore journal: its text format, corrupt lines, recording before the first write,
// restoring every original (ranges in a safe order), vanished knobs, failures kept for the next
// start, and a crash (a child process writes knobs and dies) followed by a new start's restore.
// Trust (issue #13, finding 8): knob paths confined to /sys and /dev of the sysfs root, the
// state directory and the journal file checked before they are used, the temp file never
// followed. perfqosd itself under the same attacks: tests/faults/startup_test.cc.
#include "backends/journal/restore_journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/discovery.h"
#include "backends/journal/journal_file.h"
#include "backends/journal/knob_path.h"
#include "backends/sysfs_tree.h"
#include "model/broker.h"

namespace perfqos::daemon {
namespace {

using perfqos::testing::FaultInjectingSysfs;
using perfqos::testing::OrderCheckingSysfs;
using perfqos::testing::SysfsTree;

constexpr char kResume0[] = "/sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us";
constexpr char kControl0[] = "/sys/devices/system/cpu/cpu0/power/control";
constexpr char kMin[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq";
constexpr char kMax[] = "/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq";
constexpr char kGpuMax[] = "/sys/devices/platform/gpu/devfreq/gpu/max_freq";
constexpr char kCoolState[] = "/sys/devices/virtual/thermal/cooling_device0/cur_state";
constexpr char kRaplLimit[] =
    "/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/constraint_0_power_limit_uw";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The originals every test machine starts with.
void build_machine(SysfsTree& tree) {
  tree.add_cpu(0, "0", "auto");
  tree.add_cpu(1, "100", "auto");
  tree.add_cpufreq_policy(0, 400000, 3600000, {0, 1}, 800000, 1000000);
  tree.add_devfreq("gpu", "/sys/devices/platform/gpu", 200000000, 600000000,
                   {200000000, 400000000, 600000000, 800000000});
  tree.add_cooling_device(0, "Processor", 4, 1);
  tree.add_rapl_zone("intel-rapl:0", "package-0", 15000000, 28000000);
}

void expect_originals(SysfsTree& tree) {
  EXPECT_EQ(tree.read_file(kResume0), "0");
  EXPECT_EQ(tree.read_file(kControl0), "auto");
  EXPECT_EQ(tree.read_file(kMin), "800000");
  EXPECT_EQ(tree.read_file(kMax), "1000000");
  EXPECT_EQ(tree.read_file(kGpuMax), "600000000");
  EXPECT_EQ(tree.read_file(kCoolState), "1");
  EXPECT_EQ(tree.read_file(kRaplLimit), "15000000");
}

// Registers what discovery finds and changes every knob, as clients would.
void change_everything(Broker& broker, Holder& holder, std::shared_ptr<backends::SysfsRoot> root,
                       std::shared_ptr<backends::KnobJournal> journal) {
  for (auto& dev : backends::discover_devices(root, journal).devices) {
    ASSERT_TRUE(broker.register_device(dev.spec, dev.backend).ok()) << dev.spec.name;
  }
  auto add = [&](const std::string& device, KnobId knob, RangeEnd end, std::int32_t v) {
    Status s =
        broker.add(holder, RequestTarget{device, knob, end, false}, v, std::nullopt, nullptr);
    ASSERT_TRUE(s.ok()) << s.message();
  };
  add("cpu0", KnobId::kResumeLatency, RangeEnd::kMin, 0);
  add("cpu0", KnobId::kFlags, RangeEnd::kMin, kFlagNoPowerOff);
  add("policy0", KnobId::kRange, RangeEnd::kMin, 3000000);  // both ends move up
  add("gpu", KnobId::kRange, RangeEnd::kMax, 400000);
  add("cooling_device0", KnobId::kRange, RangeEnd::kMax, 0);
  add("intel-rapl:0", KnobId::kRange, RangeEnd::kMax, 9000);
}

class JournalTest : public ::testing::Test {
 protected:
  JournalTest() : state_dir(tree.dir() + "/run/perfqos") {}

  std::shared_ptr<RestoreJournal> open_journal(std::shared_ptr<backends::SysfsRoot> root) {
    std::shared_ptr<RestoreJournal> j;
    Status s = RestoreJournal::open(
        std::move(root), state_dir, [this](std::string_view m) { log.emplace_back(m); }, &j);
    EXPECT_TRUE(s.ok()) << s.message();
    return j;
  }
  bool logged(std::string_view needle) const {
    for (const auto& line : log)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }
  std::string journal_file() const { return state_dir + "/restore.journal"; }

  SysfsTree tree;
  std::string state_dir;  // inside the tree's temp dir: removed with it
  std::vector<std::string> log;
};

TEST(JournalFormatTest, RoundTripsWithEscapes) {
  const std::vector<JournalEntry> entries = {
      {false, "/sys/a b/c%d", "n/a", "", ""},
      {false, "/sys/empty", "", "", ""},
      {true, "/sys/p/scaling_min_freq", "800000", "/sys/p/scaling_max_freq", "1000000"}};
  const std::string text = format_journal(entries);
  EXPECT_EQ(text,
            "perfqos-restore-journal 1\n"
            "value /sys/a%20b/c%25d n/a\n"
            "value /sys/empty %-\n"
            "range /sys/p/scaling_min_freq 800000 /sys/p/scaling_max_freq 1000000\n");
  std::vector<std::string> log;
  EXPECT_EQ(parse_journal(text, [&](std::string_view m) { log.emplace_back(m); }), entries);
  EXPECT_TRUE(log.empty());
}

TEST(JournalFormatTest, CorruptLinesAreReportedAndSkipped) {
  const std::string text =
      "perfqos-restore-journal 1\n"
      "value /sys/ok 1\n"
      "value /sys/too many fields\n"
      "bogus line\n"
      "value relative/path 1\n"
      "value /sys/bad%zzescape 1\n"
      "value /sys/cut%2\n"
      "range /sys/a 1 /sys/b\n"
      "\n"
      "value /sys/ok2 auto\n"
      "value /sys/trunc";  // no newline, wrong field count
  std::vector<std::string> log;
  const auto entries = parse_journal(text, [&](std::string_view m) { log.emplace_back(m); });
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].path, "/sys/ok");
  EXPECT_EQ(entries[1].original, "auto");
  EXPECT_EQ(log.size(), 7u);
  EXPECT_NE(log[0].find("line 3"), std::string::npos) << log[0];
  // No header at all: reported, the lines still count.
  log.clear();
  EXPECT_EQ(
      parse_journal("value /sys/x 1\n", [&](std::string_view m) { log.emplace_back(m); }).size(),
      1u);
  EXPECT_EQ(log.size(), 1u);
  // Binary garbage: no crash.
  std::string garbage(300, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 37);
  (void)parse_journal(garbage, nullptr);
}

TEST_F(JournalTest, RecordsTheOriginalDurablyBeforeTheFirstWrite) {
  build_machine(tree);
  // Every knob write checks that the journal file on disk already holds that file.
  class Checking : public FaultInjectingSysfs {
   public:
    Checking(std::shared_ptr<backends::SysfsRoot> inner, std::string journal)
        : FaultInjectingSysfs(std::move(inner)), journal_(std::move(journal)) {}
    Status write(std::string_view path, std::string_view value) override {
      const std::string text = slurp(journal_);
      if (text.find(" " + std::string(path) + " ") == std::string::npos) ++unjournaled;
      ++writes;
      return FaultInjectingSysfs::write(path, value);
    }
    int unjournaled = 0, writes = 0;
    std::string journal_;
  };
  auto root = std::make_shared<Checking>(tree.sysfs(), journal_file());
  auto journal = open_journal(root);
  {
    Broker broker;
    auto holder = broker.make_holder(HolderIdentity{});
    change_everything(broker, *holder, root, journal);
    holder.reset();
  }
  EXPECT_GT(root->writes, 7);
  EXPECT_EQ(root->unjournaled, 0);
  EXPECT_EQ(journal->entries().size(),
            6u);  // resume, control, policy pair, gpu pair, cooling, rapl
  EXPECT_FALSE(std::filesystem::exists(journal_file() + ".tmp"));
  const std::string text = slurp(journal_file());
  EXPECT_NE(text.find("value " + std::string(kResume0) + " 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("range " + std::string(kMin) + " 800000 " + kMax + " 1000000\n"),
            std::string::npos)
      << text;
}

TEST_F(JournalTest, CleanExitRestoresEveryOriginalAndRemovesTheJournal) {
  build_machine(tree);
  auto root = std::make_shared<OrderCheckingSysfs>(tree.sysfs());
  auto journal = open_journal(root);
  {
    Broker broker;
    auto holder = broker.make_holder(HolderIdentity{});
    change_everything(broker, *holder, root, journal);
    EXPECT_EQ(tree.read_file(kResume0), "n/a");
    EXPECT_EQ(tree.read_file(kMin), "3000000");
    EXPECT_EQ(tree.read_file(kMax), "3600000");
    EXPECT_EQ(tree.read_file(kCoolState), "4");
    holder.reset();  // the last backend writes happen here
  }
  ASSERT_TRUE(journal->restore().ok());
  expect_originals(tree);
  EXPECT_EQ(root->rejected, 0);  // the policy went back down: min before max
  EXPECT_FALSE(std::filesystem::exists(journal_file()));
  EXPECT_TRUE(journal->entries().empty());
}

TEST_F(JournalTest, RangeGoingBackUpRestoresMaxFirst) {
  tree.add_cpufreq_policy(0, 400000, 3600000, {0}, 2000000, 3000000);
  auto root = std::make_shared<OrderCheckingSysfs>(tree.sysfs());
  auto journal = open_journal(root);
  ASSERT_TRUE(journal->record_range(kMin, "2000000", kMax, "3000000").ok());
  tree.write_file(kMin, "400000");
  tree.write_file(kMax, "500000");
  ASSERT_TRUE(journal->restore().ok());
  EXPECT_EQ(tree.read_file(kMin), "2000000");
  EXPECT_EQ(tree.read_file(kMax), "3000000");
  EXPECT_EQ(root->rejected, 0);
}

TEST_F(JournalTest, VanishedKnobsAreLoggedAndSkipped) {
  build_machine(tree);
  auto journal = open_journal(tree.sysfs());
  ASSERT_TRUE(journal->record_value(kResume0, "0").ok());
  ASSERT_TRUE(journal->record_value(kControl0, "auto").ok());
  ASSERT_TRUE(journal->record_range(kMin, "800000", kMax, "1000000").ok());
  EXPECT_TRUE(journal->recorded(kMax));
  tree.write_file(kControl0, "on");
  tree.remove(kResume0);
  tree.remove_tree("/sys/devices/system/cpu/cpufreq/policy0");
  EXPECT_TRUE(journal->restore().ok());
  EXPECT_EQ(tree.read_file(kControl0), "auto");
  EXPECT_TRUE(logged(std::string(kResume0) + " = 0: the knob vanished"));
  EXPECT_TRUE(logged("scaling_min_freq"));
  EXPECT_EQ(tree.read_file(kResume0), "<missing>");  // never recreated
  EXPECT_FALSE(std::filesystem::exists(journal_file()));
}

TEST_F(JournalTest, AFailedRestoreStaysForTheNextStart) {
  build_machine(tree);
  auto faults = std::make_shared<FaultInjectingSysfs>(tree.sysfs());
  auto journal = open_journal(faults);
  ASSERT_TRUE(journal->record_value(kResume0, "25").ok());
  ASSERT_TRUE(journal->record_value(kControl0, "on").ok());
  faults->fail_writes(kResume0, EBUSY);
  Status s = journal->restore();
  EXPECT_EQ(s.code(), EBUSY);
  EXPECT_NE(s.message().find(kResume0), std::string::npos) << s.message();
  EXPECT_EQ(tree.read_file(kControl0), "on");
  ASSERT_EQ(journal->entries().size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(journal_file()));
  // Next start: the journal is still there and restores.
  auto again = open_journal(tree.sysfs());
  ASSERT_EQ(again->entries().size(), 1u);
  ASSERT_TRUE(again->restore().ok());
  EXPECT_EQ(tree.read_file(kResume0), "25");
  EXPECT_FALSE(std::filesystem::exists(journal_file()));
}

TEST_F(JournalTest, ACorruptJournalOnDiskRestoresWhatItCan) {
  build_machine(tree);
  tree.write_file(kResume0, "7");
  std::filesystem::create_directories(state_dir);
  {
    std::ofstream out(journal_file());
    out << "perfqos-restore-journal 1\nvalue " << kResume0 << " 0\ngarbage here\nvalue\n";
  }
  auto journal = open_journal(tree.sysfs());
  EXPECT_TRUE(logged("line 3"));
  EXPECT_TRUE(logged("line 4"));
  EXPECT_TRUE(journal->recorded(kResume0));  // the earlier run's original wins
  ASSERT_TRUE(journal->record_value(kResume0, "7").ok());
  ASSERT_TRUE(journal->restore().ok());
  EXPECT_EQ(tree.read_file(kResume0), "0");
}

TEST_F(JournalTest, UnwritableStateDirIsAnError) {
  tree.write_file("/run/notadir", "x");
  std::shared_ptr<RestoreJournal> j;
  Status s = RestoreJournal::open(tree.sysfs(), tree.dir() + "/run/notadir/perfqos", nullptr, &j);
  EXPECT_EQ(s.code(), ENOTDIR);
  EXPECT_NE(s.message().find("notadir"), std::string::npos);
}

TEST(KnobPathTest, OnlyPlainPathsUnderSysAndDev) {
  for (const char* good : {"/sys/devices/system/cpu/cpu0/power/control", "/dev/cpu_dma_latency",
                           "/sys/a%b", "/sys/.hidden", "/sys/x..y"}) {
    EXPECT_TRUE(check_knob_path(good).ok()) << good;
  }
  for (const char* bad :
       {"", "/", "sys/x", "/etc/shadow", "/system/x", "/sys", "/sys/", "/devices/x", "/sys/../x",
        "/sys/a/../../etc/shadow", "/sys/./x", "/sys//x", "/sys/x/", "/dev/..", "/proc/1/mem"}) {
    Status s = check_knob_path(bad);
    EXPECT_EQ(s.code(), EINVAL) << bad;
    EXPECT_NE(s.message().find("path '" + std::string(bad) + "'"), std::string::npos)
        << s.message();
  }
}

TEST(KnobPathTest, ResolvesLinksAndStaysUnderSysOrDevOfTheRoot) {
  SysfsTree tree;
  tree.add_devfreq("gpu", "/sys/devices/platform/gpu", 1, 2);
  tree.write_file("/etc/victim", "precious");
  tree.make_link("/sys/devices/to_etc", "/etc/victim");
  const std::string outside = tree.dir() + ".outside";
  { std::ofstream(outside) << "precious\n"; }
  std::filesystem::create_symlink(outside, tree.host("/sys/devices/to_host"));
  std::string resolved;
  ASSERT_TRUE(resolve_knob_path(*tree.sysfs(), "/sys/class/devfreq/gpu/max_freq", &resolved).ok());
  EXPECT_EQ(resolved, "/sys/devices/platform/gpu/devfreq/gpu/max_freq");
  EXPECT_EQ(resolve_knob_path(*tree.sysfs(), "/sys/devices/to_etc", &resolved).code(), EXDEV);
  EXPECT_EQ(resolve_knob_path(*tree.sysfs(), "/sys/devices/to_host", &resolved).code(), EXDEV);
  EXPECT_EQ(resolve_knob_path(*tree.sysfs(), "/sys/../etc/victim", &resolved).code(), EINVAL);
  EXPECT_EQ(resolve_knob_path(*tree.sysfs(), "/sys/devices/gone", &resolved).code(), ENOENT);
  std::filesystem::remove(outside);
}

TEST(JournalFormatTest, EntriesOutsideTheKnobAreasAreReportedAndSkipped) {
  const std::string text =
      "perfqos-restore-journal 1\n"
      "value /etc/shadow x\n"
      "value /sys/../../etc/passwd x\n"
      "value /sys/./a x\n"
      "range /sys/min 1 /tmp/max 2\n"
      "range /tmp/min 1 /sys/max 2\n"
      "value /sys/ok 1\n";
  std::vector<std::string> log;
  const auto entries = parse_journal(text, [&](std::string_view m) { log.emplace_back(m); });
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].path, "/sys/ok");
  ASSERT_EQ(log.size(), 5u);
  EXPECT_NE(log[0].find("line 2: bad path: path '/etc/shadow' is not under /sys/ or /dev/"),
            std::string::npos)
      << log[0];
  EXPECT_NE(log[3].find("/tmp/max"), std::string::npos) << log[3];
}

TEST_F(JournalTest, RecordingAPathOutsideTheKnobAreasIsRefused) {
  build_machine(tree);
  auto journal = open_journal(tree.sysfs());
  EXPECT_EQ(journal->record_value("/etc/shadow", "x").code(), EINVAL);
  EXPECT_EQ(journal->record_range(kMin, "1", "/sys/../x", "2").code(), EINVAL);
  EXPECT_TRUE(journal->entries().empty());
  EXPECT_FALSE(std::filesystem::exists(journal_file()));
}

TEST_F(JournalTest, ALinkLeadingOutOfSysIsNotRestoredThrough) {
  build_machine(tree);
  // Root's own tree files standing for files outside /sys: /etc in the tree, and a host file
  // beside the tree reached through an absolute link.
  tree.write_file("/etc/victim", "precious");
  tree.make_link("/sys/devices/to_etc", "/etc/victim");
  tree.make_link("/sys/devices/to_etc_max", "/etc/victim");
  const std::string host_victim = tree.dir() + ".victim";
  { std::ofstream(host_victim) << "precious\n"; }
  std::filesystem::create_symlink(host_victim, tree.host("/sys/devices/to_host"));
  tree.write_file(kResume0, "7");
  std::filesystem::create_directories(state_dir);
  {
    std::ofstream out(journal_file());
    out << "perfqos-restore-journal 1\n"
        << "value /sys/devices/to_etc pwned\n"
        << "value /sys/devices/to_host pwned\n"
        << "range " << kMin << " 1 /sys/devices/to_etc_max 2\n"
        << "value " << kResume0 << " 0\n";
  }
  auto journal = open_journal(tree.sysfs());
  ASSERT_EQ(journal->entries().size(), 4u);
  EXPECT_TRUE(journal->restore().ok());
  EXPECT_EQ(tree.read_file("/etc/victim"), "precious");
  EXPECT_EQ(tree.read_file(kMin), "800000");  // a range with one bad end is not written at all
  EXPECT_EQ(slurp(host_victim), "precious\n");
  EXPECT_EQ(tree.read_file(kResume0), "0");  // the genuine entry is restored
  EXPECT_TRUE(logged("/sys/devices/to_host = pwned: refused"));
  EXPECT_FALSE(std::filesystem::exists(journal_file()));  // refused entries are dropped
  std::filesystem::remove(host_victim);
}

TEST_F(JournalTest, TheStateDirIsCreatedPrivate) {
  auto journal = open_journal(tree.sysfs());
  struct stat st {};
  ASSERT_EQ(::lstat(state_dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(JournalTest, AnUntrustedStateDirIsRefused) {
  build_machine(tree);
  std::filesystem::create_directories(tree.dir() + "/real");
  std::filesystem::create_directories(std::filesystem::path(state_dir).parent_path());
  std::filesystem::create_directory_symlink(tree.dir() + "/real", state_dir);
  std::shared_ptr<RestoreJournal> j;
  Status s = RestoreJournal::open(tree.sysfs(), state_dir, nullptr, &j);
  EXPECT_EQ(s.code(), ELOOP);
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();
  std::filesystem::remove(state_dir);

  std::filesystem::create_directories(state_dir);
  ::chmod(state_dir.c_str(), 0777);
  s = RestoreJournal::open(tree.sysfs(), state_dir, nullptr, &j);
  EXPECT_EQ(s.code(), EPERM);
  EXPECT_NE(s.message().find("mode 0777"), std::string::npos) << s.message();
  ::chmod(state_dir.c_str(), 0720);
  EXPECT_EQ(RestoreJournal::open(tree.sysfs(), state_dir, nullptr, &j).code(), EPERM);

  ::chmod(state_dir.c_str(), 0700);
  ASSERT_EQ(::chown(state_dir.c_str(), 65534, 65534), 0);
  s = RestoreJournal::open(tree.sysfs(), state_dir, nullptr, &j);
  EXPECT_EQ(s.code(), EPERM);
  EXPECT_NE(s.message().find("owned by uid 65534"), std::string::npos) << s.message();
  EXPECT_EQ(j, nullptr);
}

// Each way a journal file can fail the trust check, made by `plant` at `path`.
struct UntrustedJournal {
  const char* what;
  int code;
  const char* reason;
  void (*plant)(const std::string& path, const std::string& genuine_text);
};

TEST_F(JournalTest, AnUntrustedJournalFileIsRefusedWithoutHangingOrRestoring) {
  build_machine(tree);
  const std::string text = "perfqos-restore-journal 1\nvalue " + std::string(kResume0) + " 0\n";
  const UntrustedJournal cases[] = {
      {"a FIFO", EPERM, "is not a regular file",
       [](const std::string& path, const std::string&) {
         ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
       }},
      {"a symbolic link", ELOOP, "is a symbolic link",
       [](const std::string& path, const std::string& genuine) {
         { std::ofstream(path + ".elsewhere") << genuine; }
         std::filesystem::create_symlink(path + ".elsewhere", path);
       }},
      {"group-writable", EPERM, "is writable by group or others",
       [](const std::string& path, const std::string& genuine) {
         { std::ofstream(path) << genuine; }
         ::chmod(path.c_str(), 0620);
       }},
      {"other-writable", EPERM, "is writable by group or others",
       [](const std::string& path, const std::string& genuine) {
         { std::ofstream(path) << genuine; }
         ::chmod(path.c_str(), 0602);
       }},
      {"owned by another uid", EPERM, "is owned by uid 65534",
       [](const std::string& path, const std::string& genuine) {
         { std::ofstream(path) << genuine; }
         ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
       }},
      {"too big", EFBIG, "is",
       [](const std::string& path, const std::string& genuine) {
         std::ofstream out(path);
         out << genuine << std::string(kMaxJournalBytes, '\n');
       }},
  };
  for (const UntrustedJournal& c : cases) {
    SCOPED_TRACE(c.what);
    tree.write_file(kResume0, "7");
    std::filesystem::remove_all(state_dir);
    std::filesystem::create_directories(state_dir);
    c.plant(journal_file(), text);
    std::shared_ptr<RestoreJournal> j;
    Status s = RestoreJournal::open(tree.sysfs(), state_dir, nullptr, &j);
    EXPECT_EQ(s.code(), c.code) << s.message();
    EXPECT_NE(s.message().find(journal_file() + " " + c.reason), std::string::npos) << s.message();
    EXPECT_EQ(j, nullptr);
    EXPECT_EQ(tree.read_file(kResume0), "7");
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::symlink_status(journal_file())));
  }
}

TEST_F(JournalTest, ALinkPlantedAtTheTempPathIsNotFollowed) {
  build_machine(tree);
  tree.write_file("/etc/victim", "precious");
  std::filesystem::create_directories(state_dir);
  std::filesystem::create_symlink(tree.host("/etc/victim"), journal_file() + ".tmp");
  auto journal = open_journal(tree.sysfs());
  ASSERT_TRUE(journal->record_value(kResume0, "0").ok());
  EXPECT_EQ(tree.read_file("/etc/victim"), "precious");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(journal_file() + ".tmp")));
  EXPECT_NE(slurp(journal_file()).find(std::string(kResume0) + " 0\n"), std::string::npos);
  // And the next start trusts what was written.
  auto again = open_journal(tree.sysfs());
  EXPECT_TRUE(again->recorded(kResume0));
}

TEST_F(JournalTest, CrashThenStartRestoresEveryOriginal) {
  build_machine(tree);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The "daemon": journal, discover, change every knob, then die without any cleanup.
    std::shared_ptr<RestoreJournal> j;
    if (!RestoreJournal::open(tree.sysfs(), state_dir, nullptr, &j).ok()) ::_exit(2);
    Broker broker;
    auto holder = broker.make_holder(HolderIdentity{});
    change_everything(broker, *holder, tree.sysfs(), j);
    ::_exit(::testing::Test::HasFailure() ? 3 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(tree.read_file(kResume0), "n/a");  // the crash left the knobs changed
  EXPECT_EQ(tree.read_file(kControl0), "on");
  EXPECT_EQ(tree.read_file(kGpuMax), "400000000");
  ASSERT_TRUE(std::filesystem::exists(journal_file()));

  // A new start: open, restore before anything else.
  auto journal = open_journal(tree.sysfs());
  EXPECT_EQ(journal->entries().size(), 6u);
  EXPECT_TRUE(logged("left by an earlier run"));
  ASSERT_TRUE(journal->restore().ok());
  expect_originals(tree);
  EXPECT_FALSE(std::filesystem::exists(journal_file()));
}

}  // namespace
}  // namespace perfqos::daemon

namespace perfqos::daemon {
namespace {

// The system's calls, but the next `fail` one reports `code` (journal_io.h is the seam).
class FailingJournalIo final : public JournalIo {
 public:
  enum class Call { kNone, kWrite, kFileFsync, kRename, kDirFsync };
  void fail_next(Call call, int code) {
    fail_ = call;
    code_ = code;
  }

  int openat(int dir, const char* name, int flags, mode_t mode) override {
    return system_journal_io().openat(dir, name, flags, mode);
  }
  int fstat(int fd, struct stat* st) override { return system_journal_io().fstat(fd, st); }
  ssize_t read(int fd, void* buf, std::size_t n) override {
    return system_journal_io().read(fd, buf, n);
  }
  ssize_t write(int fd, const void* buf, std::size_t n) override {
    if (take(Call::kWrite)) return -1;
    return system_journal_io().write(fd, buf, n);
  }
  int fsync(int fd) override {
    // The file's fsync comes first, the directory's after the rename.
    struct stat st {};
    const bool dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    if (take(dir ? Call::kDirFsync : Call::kFileFsync)) return -1;
    return system_journal_io().fsync(fd);
  }
  int renameat(int dir, const char* from, const char* to) override {
    if (take(Call::kRename)) return -1;
    return system_journal_io().renameat(dir, from, to);
  }
  int unlinkat(int dir, const char* name) override {
    return system_journal_io().unlinkat(dir, name);
  }

 private:
  bool take(Call call) {
    if (fail_ != call) return false;
    fail_ = Call::kNone;
    errno = code_;
    return true;
  }
  Call fail_ = Call::kNone;
  int code_ = 0;
};

TEST_F(JournalTest, AFailingWriteFsyncOrRenameLosesNothingAndLeavesNoTemp) {
  build_machine(tree);
  std::shared_ptr<const StateDir> dir;
  ASSERT_TRUE(StateDir::open(state_dir, &dir).ok());
  FailingJournalIo io;
  std::shared_ptr<RestoreJournal> journal;
  ASSERT_TRUE(RestoreJournal::open(tree.sysfs(), dir, nullptr, &journal, &io).ok());
  ASSERT_TRUE(journal->record_value(kResume0, "0").ok());
  const std::string before = slurp(journal_file());

  const struct {
    FailingJournalIo::Call call;
    int code;
    const char* named;
  } faults[] = {{FailingJournalIo::Call::kWrite, ENOSPC, "write "},
                {FailingJournalIo::Call::kFileFsync, EIO, "fsync "},
                {FailingJournalIo::Call::kRename, EROFS, "rename "}};
  for (const auto& f : faults) {
    io.fail_next(f.call, f.code);
    const Status s = journal->record_value(kControl0, "auto");
    EXPECT_EQ(s.code(), f.code) << s.message();
    EXPECT_NE(s.message().find(f.named), std::string::npos) << s.message();
    EXPECT_FALSE(journal->recorded(kControl0));
    EXPECT_EQ(journal->entries().size(), 1u);
    EXPECT_EQ(slurp(journal_file()), before);  // the journal on disk is as it was
    EXPECT_FALSE(std::filesystem::exists(journal_file() + ".tmp"));
  }
  // Once the fault is gone the same record goes through.
  ASSERT_TRUE(journal->record_value(kControl0, "auto").ok());
  EXPECT_NE(slurp(journal_file()).find(kControl0), std::string::npos);
}

TEST_F(JournalTest, AKnobWhoseOriginalCannotBeJournaledIsNotWritten) {
  build_machine(tree);
  std::shared_ptr<const StateDir> dir;
  ASSERT_TRUE(StateDir::open(state_dir, &dir).ok());
  FailingJournalIo io;
  std::shared_ptr<RestoreJournal> journal;
  ASSERT_TRUE(RestoreJournal::open(tree.sysfs(), dir, nullptr, &journal, &io).ok());
  Broker broker;
  for (auto& dev : backends::discover_devices(tree.sysfs(), journal).devices) {
    ASSERT_TRUE(broker.register_device(dev.spec, dev.backend).ok()) << dev.spec.name;
  }
  auto holder = broker.make_holder(HolderIdentity{});
  const std::string original = tree.read_file(kResume0);
  io.fail_next(FailingJournalIo::Call::kFileFsync, EIO);
  const Status s =
      broker.add(*holder, RequestTarget{"cpu0", KnobId::kResumeLatency, RangeEnd::kMin, false}, 0,
                 std::nullopt, nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(tree.read_file(kResume0), original);  // never written without its original on disk
  EXPECT_EQ(holder->size(), 0u);
  // The refused add's rollback may journal the file again (the fault was one call): then with
  // its true original.
  for (const JournalEntry& e : journal->entries()) {
    if (e.path == kResume0) {
      EXPECT_EQ(e.original, original);
    }
  }
}

}  // namespace
}  // namespace perfqos::daemon
