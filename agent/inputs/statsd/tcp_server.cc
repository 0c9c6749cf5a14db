#include "agent/inputs/statsd/tcp_server.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/inputs/statsd/listen_socket.h"
#include "common/base/log.h"

namespace strata::agent::statsd {
namespace {

constexpr std::string_view kComponent = "statsd";
constexpr size_t kReadBytes = 64 * 1024;

}  // namespace

TcpServer::TcpServer(Options options, common::Registry& registry)
    : options_(std::move(options)),
      packets_(registry.GetCounter("strata_agent_statsd_packets_total",
                                   "StatsD datagrams (UDP) or reads (TCP) received.",
                                   {{"transport", "tcp"}})),
      bytes_(registry.GetCounter("strata_agent_statsd_received_bytes_total",
                                 "StatsD payload bytes received.", {{"transport", "tcp"}})),
      too_large_(registry.GetCounter("strata_agent_statsd_rejected_packets_total",
                                     "StatsD datagrams or TCP lines refused for their size.",
                                     {{"transport", "tcp"}, {"reason", "too_large"}})),
      refused_(registry.GetCounter("strata_agent_statsd_tcp_refused_connections_total",
                                   "StatsD TCP connections closed at once: max_tcp_connections "
                                   "were open.")),
      open_(registry.GetGauge("strata_agent_statsd_tcp_connections",
                              "StatsD TCP connections open.")) {}

TcpServer::~TcpServer() { Stop(); }

absl::StatusOr<std::string> TcpServer::Listen() {
  absl::StatusOr<ListenSocket> sock = OpenListenSocket(options_.listen, Transport::kTcp);
  if (!sock.ok()) return sock.status();
  listen_fd_ = sock->fd;
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  read_buf_.resize(kReadBytes);
  return sock->address;
}

void TcpServer::Start(Handler handler) {
  handler_ = std::move(handler);
  thread_ = std::thread([this] { Run(); });
}

void TcpServer::Stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  for (Connection& c : conns_) Close(c);
  conns_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

void TcpServer::Close(Connection& c) {
  if (c.fd < 0) return;
  if (!c.pending.empty() && !c.discarding) handler_(c.pending);
  c.pending.clear();
  ::close(c.fd);
  c.fd = -1;
  open_.Add(-1);
}

void TcpServer::Run() {
  pthread_setname_np(pthread_self(), "statsd-tcp");
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({wake_fd_, POLLIN, 0});
    for (const Connection& c : conns_) fds.push_back({c.fd, POLLIN, 0});
    int rc = poll(fds.data(), fds.size(), -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      common::Log(common::LogLevel::kError, kComponent, "poll failed",
                  {{"error", std::strerror(errno)}});
      break;
    }
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (!Read(conns_[i])) Close(conns_[i]);
      }
    }
    std::erase_if(conns_, [](const Connection& c) { return c.fd < 0; });
    if (fds[0].revents & POLLIN) Accept();
  }
  // A last read of what the clients already sent.
  for (Connection& c : conns_) {
    if (!Read(c)) Close(c);
  }
}

void TcpServer::Accept() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
        common::Log(common::LogLevel::kWarn, kComponent, "accept failed",
                    {{"error", std::strerror(errno)}});
      }
      return;
    }
    if (conns_.size() >= static_cast<size_t>(options_.max_connections)) {
      refused_.Inc();  // before the close, so a peer that sees EOF sees the count too
      ::close(fd);
      continue;
    }
    conns_.push_back(Connection{fd, {}, false});
    open_.Add(1);
  }
}

bool TcpServer::Read(Connection& c) {
  // Bounded per wake-up so one busy client cannot starve the others.
  for (int round = 0; round < 16; ++round) {
    ssize_t n = ::read(c.fd, read_buf_.data(), read_buf_.size());
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    packets_.Inc();
    bytes_.Inc(static_cast<double>(n));
    Consume(c, std::string_view(read_buf_.data(), static_cast<size_t>(n)));
  }
  return true;
}

void TcpServer::Consume(Connection& c, std::string_view data) {
  const size_t max_line = static_cast<size_t>(options_.max_line_bytes);
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (c.discarding) {
      if (nl == std::string_view::npos) return;
      c.discarding = false;
      data.remove_prefix(nl + 1);
      continue;
    }
    if (nl == std::string_view::npos) {
      if (c.pending.size() + data.size() > max_line) {
        too_large_.Inc();
        c.pending.clear();
        c.discarding = true;
        return;
      }
      c.pending.append(data);
      return;
    }
    if (!c.pending.empty()) {
      // Finish the pending line first, then hand over the complete lines in place.
      if (c.pending.size() + nl > max_line) {
        too_large_.Inc();
      } else {
        c.pending.append(data.substr(0, nl));
        handler_(c.pending);
      }
      c.pending.clear();
      data.remove_prefix(nl + 1);
      continue;
    }
    size_t last = data.rfind('\n');
    std::string_view lines = data.substr(0, last);
    // Lines inside the chunk that are too long are refused one by one.
    size_t start = 0;
    size_t run_start = 0;
    while (start <= lines.size()) {
      size_t end = lines.find('\n', start);
      if (end == std::string_view::npos) end = lines.size();
      if (end - start > max_line) {
        if (start > run_start) handler_(lines.substr(run_start, start - run_start));
        too_large_.Inc();
        run_start = end + 1;
      }
      start = end + 1;
    }
    if (run_start < lines.size()) handler_(lines.substr(run_start));
    data.remove_prefix(last + 1);
  }
}

}  // namespace strata::agent::statsd
