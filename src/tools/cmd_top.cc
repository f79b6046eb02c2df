// perfqosctl top [DEVICE...]: a live terminal view, one line per knob: its effective value, who
// sets it, the last change and who made it, and a history of the last minutes. Redrawn on
// every NOTIFY (protocol version 3 says which request caused it) and once a second; q or
// SIGINT/SIGTERM quits. Output is plain ANSI (clear screen, home): no curses.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/text_table.h"

namespace perfqos::tools {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kHistory = 60;  // samples, one a second: the last minute
constexpr const char* kBars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                 "\u2585", "\u2586", "\u2587", "\u2588"};

struct KnobLine {
  KnobValues values;
  perfqos_effective effective{};
  std::deque<perfqos_effective> history;  // oldest first
  std::string last_change;                // "12:00:01 by pid 42 (arecord) added"
};

// The history as a sparkline scaled to its own lowest..highest; '.' for no constraint.
std::string sparkline(const KnobLine& k) {
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  const auto level = [](const perfqos_effective& e) { return std::int64_t{e.is_range ? e.max : e.value}; };
  for (const perfqos_effective& e : k.history) {
    if (!e.is_range && e.value == k.values.no_constraint) continue;
    lo = std::min(lo, level(e));
    hi = std::max(hi, level(e));
  }
  std::string line;
  for (const perfqos_effective& e : k.history) {
    if (!e.is_range && e.value == k.values.no_constraint) {
      line += '.';
      continue;
    }
    const std::int64_t i = hi == lo ? 3 : (level(e) - lo) * 7 / (hi - lo);
    line += kBars[i];
  }
  return line;
}

std::string clock_text() {
  const std::time_t t = std::time(nullptr);
  std::tm tm;
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string cause_brief(const perfqos_event_cause& c) {
  static constexpr const char* kDone[] = {"added", "changed", "removed"};
  if (!c.known) return "";
  return std::string(" by pid ") + std::to_string(c.pid) + " (" + c.comm + ") " +
         kDone[c.action % 3];
}

// "pid 42 (arecord, "recording")" for every request that sets the value now.
std::map<std::string, std::string> setters(Client& c) {
  std::map<std::string, std::string> out;
  std::vector<perfqos_holder_note_info> holders;
  if (!c.holders("", &holders).ok()) return out;
  for (const perfqos_holder_note_info& n : holders) {
    const perfqos_holder_info& h = n.holder;
    if (!h.binding) continue;
    std::string& text = out[std::string(h.device) + "." + h.knob];
    text += std::string(text.empty() ? "" : "; ") + "pid " + std::to_string(h.pid) + " (" +
            h.comm + (n.reason[0] ? std::string(", \"") + n.reason + "\"" : "") + ")";
  }
  return out;
}

void draw(Client& c, const std::map<std::string, KnobLine>& knobs) {
  const std::map<std::string, std::string> who = setters(c);
  std::printf("\x1b[H\x1b[2J");
  std::printf("perfqosctl top  %s  (q quits; history: the last %zu s, '.' = none)\n\n",
              clock_text().c_str(), kHistory);
  TextTable t({"KNOB", "EFFECTIVE", "SET BY", "LAST CHANGE", "HISTORY"});
  for (const auto& [name, k] : knobs) {
    auto it = who.find(name);
    t.add({name, show_effective(k.values, k.effective, true), it != who.end() ? it->second : "",
           k.last_change, sparkline(k)});
  }
  t.print(stdout);
  std::fflush(stdout);
}

// Every knob of the devices watched (all when `devices` is empty), with its value now.
int read_knobs(Client& c, const std::vector<std::string>& devices,
               std::map<std::string, KnobLine>* knobs) {
  std::vector<perfqos_device_info> all;
  if (client::Status s = c.list(&all); !s.ok()) return fail("list: " + s.message());
  ChoiceBook book;
  if (client::Status s = book.load(c, all); !s.ok()) return fail("list: " + s.message());
  for (const perfqos_device_info& d : all) {
    if (!devices.empty() && std::find(devices.begin(), devices.end(), d.name) == devices.end()) {
      continue;
    }
    for (std::size_t i = 0; i < d.knob_count; ++i) {
      KnobLine& k = (*knobs)[std::string(d.name) + "." + d.knobs[i].name];
      k.values = book.values(d.name, d.knobs[i]);
      k.effective = d.knobs[i].effective;
    }
  }
  return 0;
}

}  // namespace

int cmd_top(const Options& o, const std::vector<std::string>& devices) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  int version = 0;
  if (perfqos_hello(c.get(), &version, nullptr) != 0) {
    return fail(std::string("hello: ") + perfqos_last_error(c.get()));
  }
  if (client::Status s = c.subscribe(devices); !s.ok()) return fail(s.message());
  std::map<std::string, KnobLine> knobs;
  if (int rc = read_knobs(c, devices, &knobs)) return rc;
  // SIGINT, SIGTERM and SIGHUP end the view like q, so the terminal is put back.
  sigset_t quit;
  sigemptyset(&quit);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&quit, sig);
  sigprocmask(SIG_BLOCK, &quit, nullptr);
  const int sfd = signalfd(-1, &quit, SFD_CLOEXEC);
  // Keys without echo or line buffering, so that q quits at once; put back on exit.
  termios saved{};
  const bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios raw = saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  // The terminal's alternate screen, as top and less use: the shell's screen comes back at exit.
  const bool screen = isatty(STDOUT_FILENO);
  if (screen) std::printf("\x1b[?1049h");
  int rc = 0;
  auto next_tick = SteadyClock::now();
  for (;;) {
    if (SteadyClock::now() >= next_tick) {
      for (auto& [name, k] : knobs) {
        k.history.push_back(k.effective);
        if (k.history.size() > kHistory) k.history.pop_front();
      }
      next_tick += std::chrono::seconds(1);
      draw(c, knobs);
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_tick - SteadyClock::now());
    pollfd fds[3] = {{c.fd(), POLLIN, 0}, {sfd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    if (poll(fds, tty ? 3 : 2, static_cast<int>(std::max<long>(0, wait.count()))) < 0) continue;
    if (fds[1].revents & POLLIN) break;
    if (tty && (fds[2].revents & POLLIN)) {
      char key = 0;
      if (read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q')) break;
    }
    bool changed = false;
    for (;;) {  // drain every queued notification before one redraw
      perfqos_event ev;
      perfqos_event_cause cause;
      client::Status s = c.next_event(&ev, &cause, 0);
      if (s.code() == EAGAIN) break;
      if (!s.ok()) {
        rc = fail("lost perfqosd: " + s.message());
        break;
      }
      auto it = knobs.find(std::string(ev.device) + "." + ev.knob);
      if (it == knobs.end()) continue;  // a device registered later: not in the view
      it->second.effective = ev.new_value;
      it->second.last_change = clock_text() + cause_brief(cause);
      changed = true;
    }
    if (rc != 0) break;
    if (changed) draw(c, knobs);
  }
  if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  if (screen) {
    std::printf("\x1b[?1049l");
    std::fflush(stdout);
  }
  return rc;
}

}  // namespace perfqos::tools
