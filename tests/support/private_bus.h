// Test helpers for the D-Bus front end: a private dbus-daemon shaped like the system bus (its
// default policy, plus the org.perfqos.Broker1.conf perfqos ships, so that file is tested too),
// and commands run against it.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace perfqos::testing {

// True when `program` is found on PATH.
inline bool have_program(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

class PrivateBus {
 public:
  // `policy_file`: the bus policy to include (packaging/dbus/org.perfqos.Broker1.conf).
  explicit PrivateBus(const std::string& policy_file) {
    char tmpl[] = "/tmp/perfqos-bus-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ::chmod(dir_.c_str(), 0755);  // unprivileged test clients connect too
    const std::string socket = dir_ + "/system_bus_socket";
    std::ofstream(dir_ + "/bus.conf")
        << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
           " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
           "<busconfig>\n  <type>system</type>\n  <listen>unix:path="
        << socket
        << "</listen>\n  <auth>EXTERNAL</auth>\n"
           "  <policy context=\"default\">\n"
           "    <allow user=\"*\"/>\n    <deny own=\"*\"/>\n"
           "    <deny send_type=\"method_call\"/>\n    <allow send_type=\"signal\"/>\n"
           "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
           "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
           "    <allow receive_type=\"method_call\"/>\n"
           "    <allow receive_type=\"method_return\"/>\n"
           "    <allow receive_type=\"error\"/>\n    <allow receive_type=\"signal\"/>\n"
           "    <allow send_destination=\"org.freedesktop.DBus\" "
           "send_interface=\"org.freedesktop.DBus\"/>\n"
           "    <allow send_destination=\"org.freedesktop.DBus\" "
           "send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
           "  </policy>\n"
           "  <include>"
        << policy_file << "</include>\n</busconfig>\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen((dir_ + "/bus.log").c_str(), "w", stderr);
      std::freopen("/dev/null", "w", stdout);
      ::execlp("dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile",
               ("--config-file=" + dir_ + "/bus.conf").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    address_ = "unix:path=" + socket;
    for (int i = 0; i < 500 && !std::filesystem::exists(socket); ++i) ::usleep(10000);
    ok_ = std::filesystem::exists(socket);
  }
  ~PrivateBus() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  bool ok() const { return ok_; }
  const std::string& address() const { return address_; }
  // For DaemonProcess's env and commands' prefixes.
  std::string env() const { return "DBUS_SYSTEM_BUS_ADDRESS=" + address_; }

 private:
  std::string dir_, address_;
  pid_t pid_ = -1;
  bool ok_ = false;
};

// A command left running (a holder), its first line of output read; SIGKILLed when destroyed.
class Background {
 public:
  explicit Background(const std::string& command) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);  // kill() reaches what it starts too
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      ::close(out[0]);
      ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    group_ = pid_;
    out_ = ::fdopen(out[0], "r");
  }
  // What it started goes too (its process group).
  ~Background() {
    if (group_ > 0) ::kill(-group_, SIGKILL);
    kill(SIGKILL);
    if (out_ != nullptr) std::fclose(out_);
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // The next line it printed, without the newline; "" at its end.
  std::string line() {
    std::array<char, 4096> buf;
    if (out_ == nullptr || std::fgets(buf.data(), buf.size(), out_) == nullptr) return "";
    std::string s = buf.data();
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  pid_t pid() const { return pid_; }
  // Signals the process itself (not what it started) and reaps it.
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  pid_t group_ = -1;
  FILE* out_ = nullptr;
};

}  // namespace perfqos::testing
