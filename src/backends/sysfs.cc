#include "backends/sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "util/errno_status.h"
#include "util/unique_fd.h"

namespace perfqos::backends {

namespace {

Status io_error(int code, std::string_view what, std::string_view path) {
  return Status::Error(code, std::string(what) + " " + std::string(path) + ": " + errno_text(code));
}

Status write_error(int code, std::string_view path, std::string_view value) {
  return Status::Error(
      code, "write '" + std::string(value) + "' to " + std::string(path) + ": " + errno_text(code));
}

// Writes all of `bytes` with one write(2); a short write is EIO (sysfs never does it).
Status write_once(int fd, std::string_view path, std::string_view bytes, std::string_view shown) {
  ssize_t n;
  do {
    n = ::write(fd, bytes.data(), bytes.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return write_error(errno, path, shown);
  if (static_cast<std::size_t>(n) != bytes.size()) return write_error(EIO, path, shown);
  return Status::Ok();
}

class DiskNode final : public HeldNode {
 public:
  DiskNode(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  DiskNode(const DiskNode&) = delete;
  DiskNode& operator=(const DiskNode&) = delete;

  Status write(std::string_view bytes) override {
    // A regular file (a test tree) keeps only the latest value; the kernel node ignores the
    // offset and lseek on it is a no-op.
    (void)::lseek(fd_.get(), 0, SEEK_SET);
    return write_once(fd_.get(), path_, bytes, std::to_string(bytes.size()) + " bytes");
  }

 private:
  UniqueFd fd_;
  std::string path_;
};

}  // namespace

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

bool parse_int64(std::string_view text, long long* value) {
  if (text.empty() || text.size() > 20) return false;
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0])))
    return false;
  *value = v;
  return true;
}

std::string parent_path(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

DiskSysfs::DiskSysfs(std::string prefix) : prefix_(std::move(prefix)) {
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
}

std::string DiskSysfs::host_path(std::string_view path) const {
  std::string p = prefix_;
  if (path.empty() || path.front() != '/') p += '/';
  p += path;
  return p;
}

Status DiskSysfs::read(std::string_view path, std::string* text) {
  const std::string host = host_path(path);
  UniqueFd fd(::open(host.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error(errno, "read", path);
  std::string data;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(errno, "read", path);
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > (1 << 20)) return io_error(EFBIG, "read", path);
  }
  *text = std::string(trim(data));
  return Status::Ok();
}

Status DiskSysfs::write(std::string_view path, std::string_view value) {
  const std::string host = host_path(path);
  UniqueFd fd(::open(host.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0) return write_error(errno, path, value);
  return write_once(fd.get(), path, value, value);
}

Status DiskSysfs::list(std::string_view dir, std::vector<std::string>* names) {
  const std::string host = host_path(dir);
  DIR* d = ::opendir(host.c_str());
  if (d == nullptr) return io_error(errno, "list", dir);
  names->clear();
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") names->emplace_back(n);
  }
  ::closedir(d);
  std::sort(names->begin(), names->end());
  return Status::Ok();
}

Status DiskSysfs::canonical(std::string_view path, std::string* resolved) {
  const std::string host = host_path(path);
  char buf[PATH_MAX];
  if (::realpath(host.c_str(), buf) == nullptr) return io_error(errno, "resolve", path);
  std::string r = buf;
  if (!prefix_.empty()) {
    char root[PATH_MAX];
    if (::realpath(prefix_.c_str(), root) == nullptr) return io_error(errno, "resolve", prefix_);
    const std::string_view rv = root;
    if (r.compare(0, rv.size(), rv) != 0 || (r.size() > rv.size() && r[rv.size()] != '/')) {
      return Status::Error(EXDEV, "resolve " + std::string(path) + ": leads out of the root " +
                                      prefix_ + " (" + r + ")");
    }
    r = r.size() == rv.size() ? "/" : r.substr(rv.size());
  }
  *resolved = std::move(r);
  return Status::Ok();
}

bool DiskSysfs::exists(std::string_view path) {
  struct stat st;
  return ::stat(host_path(path).c_str(), &st) == 0;
}

Status DiskSysfs::open_node(std::string_view path, std::unique_ptr<HeldNode>* node) {
  const std::string host = host_path(path);
  const int fd = ::open(host.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return io_error(errno, "open", path);
  *node = std::make_unique<DiskNode>(fd, std::string(path));
  return Status::Ok();
}

}  // namespace perfqos::backends
