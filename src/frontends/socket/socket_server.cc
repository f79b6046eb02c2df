// SocketServer: one listener's accept, receive and send paths on the loop. One file (~520
// lines) because the bounds that keep a hostile local user from wedging the daemon (accept
// budget, EMFILE shedding, per-uid and global queued bytes, backpressure) interlock and are
// easiest to check side by side; socket_server.h states them.
#include "frontends/socket/socket_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "admission/peer_identity.h"
#include "protocol/codec.h"
#include "util/errno_status.h"

namespace perfqos::daemon {

namespace p = protocol;

struct SocketServer::Connection {
  UniqueFd fd;
  std::unique_ptr<Client> client;
  std::string who;                               // "pid 55 (player) uid 1000", for the log
  std::vector<std::vector<std::uint8_t>> queue;  // frames the peer has not taken yet
  std::size_t queue_head = 0;
  std::size_t queued_bytes = 0;
  std::optional<HolderIdentity> sender;  // the last frame's sender, when not the peer
  bool closing = false;                  // no more reading; close once the queue is flushed
  bool doomed = false;                   // closed at the end of this round
};

namespace {

// A connection with nothing queued reads requests; one with a backlog only waits to write it
// (EPOLLHUP and EPOLLERR are always reported).
constexpr std::uint32_t kReading = EPOLLIN | EPOLLRDHUP;
constexpr std::uint32_t kBacklogged = EPOLLOUT;

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

const char* file_kind(std::filesystem::file_type type) {
  switch (type) {
    case std::filesystem::file_type::regular:
      return "a regular file";
    case std::filesystem::file_type::directory:
      return "a directory";
    case std::filesystem::file_type::symlink:
      return "a symbolic link";
    case std::filesystem::file_type::fifo:
      return "a FIFO";
    case std::filesystem::file_type::block:
    case std::filesystem::file_type::character:
      return "a device node";
    default:
      return "not a socket";
  }
}

void arm(int timer_fd, std::chrono::microseconds after) {
  itimerspec spec{};
  spec.it_value.tv_sec = after.count() / 1000000;
  spec.it_value.tv_nsec = (after.count() % 1000000) * 1000;
  (void)::timerfd_settime(timer_fd, 0, &spec, nullptr);
}

bool uid_exempt(uid_t uid, const Quotas& q) {
  return uid == 0 && !q.apply_to_root;
}

}  // namespace

SocketServer::SocketServer(EventLoop& loop, Service& service, const Logger& log,
                           SocketServerOptions options)
    : loop_(loop), service_(service), log_(log), options_(std::move(options)) {}

SocketServer::~SocketServer() {
  stop();
}

Quotas SocketServer::quotas() const {
  const PolicyStore* policy =
      options_.connection_quota != nullptr ? options_.connection_quota->policy() : nullptr;
  return policy != nullptr ? policy->current()->quotas() : Quotas{};
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
  const std::filesystem::file_status existing = std::filesystem::symlink_status(path, ec);
  if (std::filesystem::exists(existing)) {
    // Only a socket of ours can be stale; anything else at the path is someone's file.
    if (existing.type() != std::filesystem::file_type::socket) {
      return Status::Error(EEXIST, "refusing to start: " + options_.path + " is " +
                                       file_kind(existing.type()) +
                                       ", not a socket; remove it or choose another --socket");
    }
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
  if (!listener_) return errno_status(errno, "socket");
  // Accepted sockets inherit SO_PASSCRED: every frame then carries its sender's credentials,
  // and frames sent before the accept do too (the kernel adds them for unaccepted sockets).
  const int on = 1;
  if (::setsockopt(listener_.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    return errno_status(errno, "SO_PASSCRED");
  }
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return errno_status(errno, "bind " + temp);
  }
  // Authorization is the policy's job, not the file mode's.
  if (::chmod(temp.c_str(), 0666) != 0 || ::listen(listener_.get(), SOMAXCONN) != 0 ||
      ::rename(temp.c_str(), options_.path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return errno_status(err, "cannot publish " + options_.path);
  }
  rx_.resize(p::kMaxFrameSize + 1);
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  backoff_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!backoff_) return errno_status(errno, "timerfd_create");
  if (Status s = loop_.watch(backoff_.get(), EPOLLIN,
                             [this](std::uint32_t) {
                               std::uint64_t expirations;
                               (void)!::read(backoff_.get(), &expirations, sizeof expirations);
                               resume_accepting();
                             });
      !s.ok()) {
    return s;
  }
  accepting_ = true;
  // Accepting waits for the end of the round (reap()): the frames of established connections
  // that woke the loop together with the listener are served first.
  return loop_.watch(listener_.get(), EPOLLIN, [this](std::uint32_t) { accept_due_ = true; });
}

void SocketServer::stop() {
  if (listener_) {
    loop_.unwatch(listener_.get());
    listener_.reset();
    ::unlink(options_.path.c_str());
  }
  if (backoff_) {
    loop_.unwatch(backoff_.get());
    backoff_.reset();
  }
  accepting_ = false;
  for (auto& [fd, c] : connections_) loop_.unwatch(fd);
  connections_.clear();  // each Client drops its requests
  queued_by_uid_.clear();
  queued_total_ = 0;
  doomed_.clear();
}

void SocketServer::accept_batch() {
  // A bounded batch: the level-triggered listener wakes the loop again while connections
  // wait, and between batches closed connections are reaped and every other fd is served.
  const auto now = std::chrono::steady_clock::now();
  accept_tokens_ = std::min(
      kAcceptBurst,
      accept_tokens_ + kAcceptRate * std::chrono::duration<double>(now - accept_refilled_).count());
  accept_refilled_ = now;
  for (int i = 0; i < kAcceptBatch && accepting_; ++i) {
    if (accept_tokens_ < 1) {
      // Over budget: leave the rest in the backlog until one token has come back (to the
      // microsecond: rounding up to a millisecond would halve the rate a lone client gets).
      pause_accepting(std::chrono::microseconds(
          1 + static_cast<int>(1e6 * (1 - accept_tokens_) / kAcceptRate)));
      return;
    }
    accept_tokens_ -= 1;
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      const int err = errno;
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        out_of_descriptors(err);
      } else if (err != EAGAIN) {
        log_.warning(errno_status(err, "accept").message());
      }
      return;
    }
    admit(std::move(fd));
  }
}

void SocketServer::out_of_descriptors(int err) {
  // Refuse one waiting connection with the spare descriptor (its client sees the close, not a
  // hang), then rest the listener: retrying now would only fail again.
  if (spare_) {
    spare_.reset();
    UniqueFd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  std::uint64_t count = 0;
  if (descriptors_log_.note(LogThrottle::Clock::now(), &count)) {
    log_.warning(errno_status(err, "not accepting connections for a while: accept").message() +
                 " (" + std::to_string(count) + " time(s) since the last such line; " +
                 std::to_string(connections_.size()) + " connections open)");
  }
  pause_accepting(kAcceptBackoff);
  out_of_descriptors_ = true;
}

void SocketServer::pause_accepting(std::chrono::microseconds for_how_long) {
  if (!accepting_) return;
  accepting_ = false;
  (void)loop_.modify(listener_.get(), 0);
  arm(backoff_.get(), for_how_long);
}

void SocketServer::resume_accepting() {
  if (accepting_ || !listener_) return;
  accepting_ = true;
  out_of_descriptors_ = false;
  arm(backoff_.get(), std::chrono::microseconds(0));  // disarms
  (void)loop_.modify(listener_.get(), EPOLLIN);
}

void SocketServer::refuse(UniqueFd fd, uid_t uid, const Status& why) {
  // The reason first, so it waits for the client whatever it does next; then shut our
  // receiving side, so a later send of the client fails (EPIPE) and finds the reason queued; then
  // drop what it sent before: closing with unread frames would reset the connection and the
  // client could not read the reason.
  if (p::encode(p::error_frame(0, Status::Error(why.code(), why.message())), &tx_).ok()) {
    (void)::send(fd.get(), tx_.data(), tx_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  ::shutdown(fd.get(), SHUT_RD);
  for (int i = 0; i < 64 && ::recv(fd.get(), rx_.data(), rx_.size(), MSG_DONTWAIT) > 0; ++i) {
  }
  std::uint64_t count = 0;
  if (refused_log_.note(LogThrottle::Clock::now(), &count)) {
    log_.warning("refused a connection of uid " + std::to_string(uid) + ": " + why.message() +
                 " (" + std::to_string(count) + " refused since the last such line)");
  }
}

void SocketServer::admit(UniqueFd fd) {
  ucred cred{};
  if (Status s = peer_credentials(fd.get(), &cred); !s.ok()) {
    log_.warning("refusing a connection: " + s.message());
    return;
  }
  // The quota first: shedding a storm must cost no /proc reads.
  if (options_.connection_quota != nullptr) {
    if (Status q = options_.connection_quota->check(cred.uid); !q.ok()) {
      refuse(std::move(fd), cred.uid, q);
      return;
    }
  }
  const int on = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on);  // inherited already
  HolderIdentity identity;
  if (Status s = peer_identity(fd.get(), cred, &identity); !s.ok()) {
    log_.warning("refusing a connection: " + s.message());
    return;
  }
  auto c = std::make_unique<Connection>();
  Connection& conn = *c;
  conn.who = "pid " + std::to_string(identity.pid) + " (" + identity.comm + ") uid " +
             std::to_string(identity.uid);
  conn.client =
      service_.connect(std::move(identity), [this, &conn](const p::Frame& f) { send(conn, f); });
  conn.fd = std::move(fd);
  const int raw = conn.fd.get();
  if (Status s =
          loop_.watch(raw, kReading, [this, &conn](std::uint32_t ev) { on_event(conn, ev); });
      !s.ok()) {
    log_.warning("cannot watch a new connection: " + s.message());
    return;
  }
  log_.debug("client " + conn.who + " connected");
  connections_.emplace(raw, std::move(c));
}

void SocketServer::on_event(Connection& c, std::uint32_t events) {
  if (c.doomed) return;
  if (events & EPOLLOUT) flush(c);
  // Backpressure: nothing is read while replies wait for the peer.
  const bool backlogged = c.queue_head < c.queue.size();
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && !c.closing && !backlogged) {
    read_frames(c);
  }
  if (!c.doomed && (events & (EPOLLHUP | EPOLLERR))) doom(c, "hung up");
}

const HolderIdentity* SocketServer::sender_of(Connection& c, const ucred& cred) {
  const HolderIdentity& peer = c.client->identity();
  // No credentials (pid 0) cannot come from a socket with SO_PASSCRED; treat them as the peer's.
  if (cred.pid == 0 || (cred.pid == peer.pid && cred.uid == peer.uid && cred.gid == peer.gid)) {
    return nullptr;
  }
  const bool with_groups = [&] {
    const PolicyStore* policy =
        options_.connection_quota != nullptr ? options_.connection_quota->policy() : nullptr;
    return policy != nullptr && policy->current()->names_groups();
  }();
  // One sender is cached per connection: a passed connection is usually used by one process.
  if (!c.sender || c.sender->pid != cred.pid || c.sender->uid != cred.uid ||
      c.sender->gid != cred.gid || (with_groups && c.sender->groups.empty())) {
    c.sender = sender_identity(cred, with_groups);
    log_.debug("client " + c.who + ": frames now sent by pid " + std::to_string(cred.pid) + " (" +
               c.sender->comm + ") uid " + std::to_string(cred.uid) + ", authorized as it");
  }
  return &*c.sender;
}

void SocketServer::read_frames(Connection& c) {
  // One frame per wake-up: the level-triggered epoll reports a connection again while frames
  // remain, which keeps busy clients from starving the others and spares the recv that would
  // only say EAGAIN.
  if (c.doomed || c.closing) return;
  iovec iov{rx_.data(), rx_.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(c.fd.get(), &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    doom(c, errno_status(errno, "recv").message());
    return;
  }
  ucred cred{};
  for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h != nullptr; h = CMSG_NXTHDR(&msg, h)) {
    if (h->cmsg_level != SOL_SOCKET) continue;
    if (h->cmsg_type == SCM_CREDENTIALS && h->cmsg_len >= CMSG_LEN(sizeof cred)) {
      std::memcpy(&cred, CMSG_DATA(h), sizeof cred);
    } else if (h->cmsg_type == SCM_RIGHTS) {
      // Descriptors are not part of the protocol: close whatever a client passed along.
      const std::size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(h) + i * sizeof fd, sizeof fd);
        ::close(fd);
      }
    }
  }
  if (n == 0) {
    doom(c, "closed");
    return;
  }
  p::Frame request;
  Status decoded;
  const auto size = static_cast<std::size_t>(n);
  if (size > p::kMaxFrameSize) {
    decoded = Status::Error(EMSGSIZE, "frame of " + std::to_string(size) +
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
  const HolderIdentity* sender = sender_of(c, cred);
  send(c, service_.handle(*c.client, request, std::chrono::steady_clock::now(), sender));
}

Status SocketServer::queue_bound(const Connection& c, std::size_t more) const {
  const Quotas q = quotas();
  const uid_t uid = c.client->identity().uid;
  const auto over = [&](std::uint32_t limit, std::size_t held) {
    return limit != 0 && held + more > limit;
  };
  const auto refusal = [&](const char* key, std::uint32_t limit, std::size_t held,
                           const std::string& whose) {
    return Status::Error(ENOBUFS, "not reading its replies and notifications (" +
                                      std::to_string(c.queued_bytes) + " bytes queued; " + whose +
                                      std::to_string(held) + " bytes, the most quotas." + key +
                                      " = " + std::to_string(limit) + " allows)");
  };
  // The per-connection bound is the daemon's own memory guard: it holds for root too.
  if (over(q.max_queued_bytes_per_connection, c.queued_bytes)) {
    return refusal("max_queued_bytes_per_connection", q.max_queued_bytes_per_connection,
                   c.queued_bytes, "this connection ");
  }
  if (uid_exempt(uid, q)) return Status::Ok();
  const auto it = queued_by_uid_.find(uid);
  const std::size_t by_uid = it == queued_by_uid_.end() ? 0 : it->second;
  if (over(q.max_queued_bytes_per_uid, by_uid)) {
    return refusal("max_queued_bytes_per_uid", q.max_queued_bytes_per_uid, by_uid,
                   "uid " + std::to_string(uid) + "'s connections ");
  }
  if (over(q.max_queued_bytes, queued_total_)) {
    return refusal("max_queued_bytes", q.max_queued_bytes, queued_total_, "every connection ");
  }
  return Status::Ok();
}

void SocketServer::send(Connection& c, const p::Frame& frame) {
  if (c.doomed) return;
  if (Status s = p::encode(frame, &tx_); !s.ok()) {
    // A reply we built that does not encode is our bug; tell the client rather than vanish.
    log_.error("cannot encode a " + std::string(p::opcode_name(p::opcode_of(frame.message))) +
               " frame: " + s.message());
    if (p::encode(p::error_frame(frame.tag, s), &tx_).ok() == false) return;
  }
  if (c.queue_head == c.queue.size()) {
    const ssize_t n = ::send(c.fd.get(), tx_.data(), tx_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return;
    if (errno != EAGAIN) {
      doom(c, errno_status(errno, "send").message());
      return;
    }
    // The peer's buffers are full: stop reading its requests until it takes what is queued.
    (void)loop_.modify(c.fd.get(), kBacklogged);
  }
  if (Status s = queue_bound(c, tx_.size()); !s.ok()) {
    doom(c, s.message());
    return;
  }
  c.queued_bytes += tx_.size();
  queued_by_uid_[c.client->identity().uid] += tx_.size();
  queued_total_ += tx_.size();
  c.queue.push_back(tx_);
}

void SocketServer::dequeue(Connection& c, std::size_t bytes) {
  c.queued_bytes -= bytes;
  queued_total_ -= bytes;
  auto it = queued_by_uid_.find(c.client->identity().uid);
  if (it != queued_by_uid_.end() && (it->second -= bytes) == 0) queued_by_uid_.erase(it);
}

void SocketServer::flush(Connection& c) {
  while (c.queue_head < c.queue.size()) {
    const auto& frame = c.queue[c.queue_head];
    const ssize_t n = ::send(c.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN) doom(c, errno_status(errno, "send").message());
      return;
    }
    dequeue(c, frame.size());
    ++c.queue_head;
  }
  c.queue.clear();
  c.queue.shrink_to_fit();  // idle connections keep no buffers
  c.queue_head = 0;
  if (c.closing) {
    doom(c, "bad frame");
    return;
  }
  (void)loop_.modify(c.fd.get(), kReading);
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
  const bool closed_some = !doomed_.empty();
  while (!doomed_.empty()) {
    const int fd = doomed_.back();
    doomed_.pop_back();
    loop_.unwatch(fd);
    auto it = connections_.find(fd);
    if (it == connections_.end()) continue;
    Connection& c = *it->second;
    dequeue(c, c.queued_bytes);
    connections_.erase(it);
  }
  // A closed connection gave a descriptor back: accept again without waiting for the back-off.
  if (closed_some && out_of_descriptors_) resume_accepting();
  if (accept_due_) {
    accept_due_ = false;
    if (accepting_) accept_batch();
  }
}

}  // namespace perfqos::daemon
