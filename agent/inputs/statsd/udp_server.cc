#include "agent/inputs/statsd/udp_server.h"

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
constexpr int kBatch = 16;  // datagrams per recvmmsg

}  // namespace

UdpServer::UdpServer(Options options, common::Registry& registry)
    : options_(std::move(options)),
      packets_(registry.GetCounter("strata_agent_statsd_packets_total",
                                   "StatsD datagrams (UDP) or reads (TCP) received.",
                                   {{"transport", "udp"}})),
      bytes_(registry.GetCounter("strata_agent_statsd_received_bytes_total",
                                 "StatsD payload bytes received.", {{"transport", "udp"}})),
      too_large_(registry.GetCounter("strata_agent_statsd_rejected_packets_total",
                                     "StatsD datagrams or TCP lines refused for their size.",
                                     {{"transport", "udp"}, {"reason", "too_large"}})),
      kernel_drops_(registry.GetCounter(
          "strata_agent_statsd_udp_kernel_drops_total",
          "StatsD datagrams the kernel dropped because the socket's receive buffer was full.")) {}

UdpServer::~UdpServer() { Stop(); }

absl::StatusOr<std::string> UdpServer::Listen() {
  absl::StatusOr<ListenSocket> sock = OpenListenSocket(options_.listen, Transport::kUdp);
  if (!sock.ok()) return sock.status();
  fd_ = sock->fd;
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
  if (options_.receive_buffer_bytes > 0) {
    int want = static_cast<int>(options_.receive_buffer_bytes);
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
    int got = 0;
    socklen_t len = sizeof(got);
    getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &got, &len);
    // Linux reports twice the usable size it granted.
    if (got / 2 < want) {
      common::Log(common::LogLevel::kWarn, kComponent,
                  "UDP receive buffer smaller than asked (raise net.core.rmem_max)",
                  {{"asked_bytes", want}, {"granted_bytes", got / 2}});
    }
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  buffers_.resize(static_cast<size_t>(kBatch) * static_cast<size_t>(options_.max_packet_bytes));
  return sock->address;
}

void UdpServer::Start(Handler handler) {
  handler_ = std::move(handler);
  thread_ = std::thread([this] { Run(); });
}

void UdpServer::Stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (fd_ >= 0) ::close(fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  fd_ = wake_fd_ = -1;
}

void UdpServer::Run() {
  pthread_setname_np(pthread_self(), "statsd-udp");
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stop_.load()) {
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno != EINTR) {
      common::Log(common::LogLevel::kError, kComponent, "poll failed",
                  {{"error", std::strerror(errno)}});
      break;
    }
    if (fds[0].revents & POLLIN) {
      while (ReadBatch()) {
      }
    }
  }
  // Drain what the kernel already holds (bounded: new datagrams may keep arriving).
  for (int i = 0; i < 1024 && ReadBatch(); ++i) {
  }
}

bool UdpServer::ReadBatch() {
  const size_t size = static_cast<size_t>(options_.max_packet_bytes);
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  alignas(cmsghdr) char control[kBatch][CMSG_SPACE(sizeof(uint32_t))];
  for (int i = 0; i < kBatch; ++i) {
    iovs[i] = {buffers_.data() + static_cast<size_t>(i) * size, size};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = control[i];
    msgs[i].msg_hdr.msg_controllen = sizeof(control[i]);
  }
  int n = recvmmsg(fd_, msgs, kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return false;
  for (int i = 0; i < n; ++i) {
    const msghdr& h = msgs[i].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(c), sizeof(drops));
        if (drops != kernel_drops_seen_) {
          kernel_drops_.Inc(static_cast<double>(drops - kernel_drops_seen_));
          kernel_drops_seen_ = drops;
        }
      }
    }
    packets_.Inc();
    bytes_.Inc(msgs[i].msg_len);
    if (h.msg_flags & MSG_TRUNC) {
      too_large_.Inc();
      continue;
    }
    handler_(std::string_view(static_cast<const char*>(iovs[i].iov_base), msgs[i].msg_len));
  }
  return n == kBatch;
}

}  // namespace strata::agent::statsd
