#include "daemon/socket_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "daemon/peer_identity.h"
#include "protocol/codec.h"

namespace perfqos::daemon {

namespace p = protocol;

struct SocketServer::Connection {
  UniqueFd fd;
  std::unique_ptr<Client> client;
  std::string who;                               // "pid 55 (player) uid 1000", for the log
  std::vector<std::vector<std::uint8_t>> queue;  // frames the peer has not taken yet
  std::size_t queue_head = 0;
  std::size_t queued_bytes = 0;
  bool closing = false;  // no more reading; close once the queue is flushed
  bool doomed = false;   // closed at the end of this round
};

namespace {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

Status fill_address(const std::string& path, sockaddr_un* addr) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof addr->sun_path) {
    return Status::Error(ENAMETOOLONG, "socket path '" + path + "' is longer than " +
                                           std::to_string(sizeof addr->sun_path - 1) + " bytes");
  }
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return Status::Ok();
}

// True when something accepts connections at `path`.
bool someone_listens(const std::string& path) {
  sockaddr_un addr;
  if (!fill_address(path, &addr).ok()) return false;
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

SocketServer::SocketServer(EventLoop& loop, Service& service, const Logger& log,
                           SocketServerOptions options)
    : loop_(loop), service_(service), log_(log), options_(std::move(options)) {}

SocketServer::~SocketServer() {
  stop();
}

Status SocketServer::start() {
  const std::filesystem::path path(options_.path);
  std::error_code ec;
  if (path.has_parent_path() && !std::filesystem::exists(path.parent_path())) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return Status::Error(ec.value(),
                           "cannot create " + path.parent_path().string() + ": " + ec.message());
    }
    ::chmod(path.parent_path().c_str(), 0755);
  }
  if (std::filesystem::exists(std::filesystem::symlink_status(path))) {
    if (someone_listens(options_.path)) {
      return Status::Error(EADDRINUSE, options_.path + ": another perfqosd is serving there");
    }
    log_.info("removing stale socket " + options_.path);
    ::unlink(options_.path.c_str());
  }
  const std::string temp = options_.path + ".new." + std::to_string(::getpid());
  sockaddr_un addr;
  if (Status s = fill_address(temp, &addr); !s.ok()) return s;
  ::unlink(temp.c_str());
  listener_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener_) return Status::Error(errno, errno_text("socket"));
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Status::Error(errno, errno_text(("bind " + temp).c_str()));
  }
  // Authorization is the policy's job, not the file mode's.
  if (::chmod(temp.c_str(), 0666) != 0 || ::listen(listener_.get(), SOMAXCONN) != 0 ||
      ::rename(temp.c_str(), options_.path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return Status::Error(err, "cannot publish " + options_.path + ": " + std::strerror(err));
  }
  rx_.resize(p::kMaxFrameSize + 1);
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  return loop_.watch(listener_.get(), EPOLLIN, [this](std::uint32_t) { accept_all(); });
}

void SocketServer::stop() {
  if (listener_) {
    loop_.unwatch(listener_.get());
    listener_.reset();
    ::unlink(options_.path.c_str());
  }
  for (auto& [fd, c] : connections_) loop_.unwatch(fd);
  connections_.clear();  // each Client drops its requests
  doomed_.clear();
}

void SocketServer::accept_all() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_) {
        // Out of descriptors: take the connection with the spare one and close it at once,
        // so the listener does not stay readable forever.
        log_.warning("refusing a connection: " + errno_text("accept"));
        spare_.reset();
        UniqueFd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        continue;
      }
      if (errno != EAGAIN) log_.warning(errno_text("accept"));
      return;
    }
    HolderIdentity identity;
    if (Status s = peer_identity(fd.get(), &identity); !s.ok()) {
      log_.warning("refusing a connection: " + s.message());
      continue;
    }
    auto c = std::make_unique<Connection>();
    Connection& conn = *c;
    conn.who = "pid " + std::to_string(identity.pid) + " (" + identity.comm + ") uid " +
               std::to_string(identity.uid);
    conn.client =
        service_.connect(std::move(identity), [this, &conn](const p::Frame& f) { send(conn, f); });
    conn.fd = std::move(fd);
    const int raw = conn.fd.get();
    if (Status s = loop_.watch(raw, EPOLLIN | EPOLLRDHUP,
                               [this, &conn](std::uint32_t ev) { on_event(conn, ev); });
        !s.ok()) {
      log_.warning("cannot watch a new connection: " + s.message());
      continue;
    }
    log_.debug("client " + conn.who + " connected");
    connections_.emplace(raw, std::move(c));
  }
}

void SocketServer::on_event(Connection& c, std::uint32_t events) {
  if (c.doomed) return;
  if (events & EPOLLOUT) flush(c);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && !c.closing) read_frames(c);
  if (!c.doomed && (events & (EPOLLHUP | EPOLLERR))) doom(c, "hung up");
}

void SocketServer::read_frames(Connection& c) {
  // One frame per wake-up: the level-triggered epoll reports a connection again while frames
  // remain, which keeps busy clients from starving the others and spares the recv that would
  // only say EAGAIN.
  if (c.doomed || c.closing) return;
  const ssize_t n = ::recv(c.fd.get(), rx_.data(), rx_.size(), MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    doom(c, errno_text("recv"));
    return;
  }
  if (n == 0) {
    doom(c, "closed");
    return;
  }
  p::Frame request;
  p::CodecStatus decoded;
  const auto size = static_cast<std::size_t>(n);
  if (size > p::kMaxFrameSize) {
    decoded = p::CodecStatus::Error(EMSGSIZE, "frame of " + std::to_string(size) +
                                                  " bytes exceeds the limit of " +
                                                  std::to_string(p::kMaxFrameSize));
  } else {
    decoded = p::decode(std::span(rx_.data(), size), p::Direction::kToServer, &request);
  }
  if (!decoded.ok()) {
    log_.warning("client " + c.who + " sent a bad frame (" + decoded.message() +
                 "): closing its connection");
    const std::uint32_t tag = p::peek_tag(std::span(rx_.data(), std::min(size, rx_.size())));
    send(c, p::error_frame(tag, decoded));
    c.closing = true;
    if (c.queue_head == c.queue.size()) doom(c, "bad frame");
    return;
  }
  send(c, service_.handle(*c.client, request, std::chrono::steady_clock::now()));
}

void SocketServer::send(Connection& c, const p::Frame& frame) {
  if (c.doomed) return;
  if (p::CodecStatus s = p::encode(frame, &tx_); !s.ok()) {
    // A reply we built that does not encode is our bug; tell the client rather than vanish.
    log_.error("cannot encode a " + std::string(p::opcode_name(p::opcode_of(frame.message))) +
               " frame: " + s.message());
    if (p::encode(p::error_frame(frame.tag, s), &tx_).ok() == false) return;
  }
  if (c.queue_head == c.queue.size()) {
    const ssize_t n = ::send(c.fd.get(), tx_.data(), tx_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return;
    if (errno != EAGAIN) {
      doom(c, errno_text("send"));
      return;
    }
    (void)loop_.modify(c.fd.get(), EPOLLIN | EPOLLRDHUP | EPOLLOUT);
  }
  if (c.queued_bytes + tx_.size() > options_.max_queued_bytes) {
    doom(c, "not reading its replies and notifications (" + std::to_string(c.queued_bytes) +
                " bytes queued)");
    return;
  }
  c.queued_bytes += tx_.size();
  c.queue.push_back(tx_);
}

void SocketServer::flush(Connection& c) {
  while (c.queue_head < c.queue.size()) {
    const auto& frame = c.queue[c.queue_head];
    const ssize_t n = ::send(c.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN) doom(c, errno_text("send"));
      return;
    }
    c.queued_bytes -= frame.size();
    ++c.queue_head;
  }
  c.queue.clear();
  c.queue.shrink_to_fit();  // idle connections keep no buffers
  c.queue_head = 0;
  if (c.closing) {
    doom(c, "bad frame");
    return;
  }
  (void)loop_.modify(c.fd.get(), EPOLLIN | EPOLLRDHUP);
}

void SocketServer::doom(Connection& c, const std::string& reason) {
  if (c.doomed) return;
  c.doomed = true;
  doomed_.push_back(c.fd.get());
  const bool normal = reason == "closed" || reason == "hung up";
  log_.log(normal ? LogLevel::kDebug : LogLevel::kWarning,
           "client " + c.who + " disconnected: " + reason + " (" +
               std::to_string(c.client->requests()) + " requests dropped)");
}

void SocketServer::reap() {
  // Closing a connection drops its requests, which may notify others and doom more of them.
  while (!doomed_.empty()) {
    const int fd = doomed_.back();
    doomed_.pop_back();
    loop_.unwatch(fd);
    connections_.erase(fd);
  }
}

}  // namespace perfqos::daemon
