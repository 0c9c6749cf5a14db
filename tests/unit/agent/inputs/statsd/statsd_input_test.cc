// StatsdInput over real sockets on 127.0.0.1: what a client sends over UDP or TCP reaches the
// sink, size limits refuse only the oversized part, and Stop() loses nothing already received.

#include "agent/inputs/statsd/statsd_input.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::statsd {
namespace {

class CollectingSink final : public SampleSink {
 public:
  void Push(common::SampleBatch batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : batch) last_[s.labels.ToString()] = s.sample.value;
  }
  std::map<std::string, double> Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, double> last_;
};

int Port(const std::string& addr) { return std::stoi(addr.substr(addr.rfind(':') + 1)); }

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void SendUdp(int port, const std::string& payload) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a = Loopback(port);
  ASSERT_EQ(
      sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)),
      static_cast<ssize_t>(payload.size()));
  close(fd);
}

int ConnectTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  ASSERT_EQ(send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
}

// Polls `cond` for up to 10 s.
template <typename Cond>
bool WaitFor(Cond cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

class StatsdInputTest : public ::testing::Test {
 protected:
  StatsdInputTest() {
    options_.enabled = true;
    options_.udp_listen = "127.0.0.1:0";
    options_.tcp_listen = "127.0.0.1:0";
    options_.flush_interval_ms = 3'600'000;  // only Stop() flushes, unless a test says otherwise
    options_.instance = "h";
  }
  void Start() {
    input_ = std::make_unique<StatsdInput>(options_, clock_, registry_);
    ASSERT_TRUE(input_->Start(sink_).ok());
  }
  double Accepted(const std::string& type) {
    return registry_.ValueOf("strata_agent_statsd_samples_total", {{"type", type}});
  }

  StatsdOptions options_;
  common::SystemClock clock_;
  common::Registry registry_;
  CollectingSink sink_;
  std::unique_ptr<StatsdInput> input_;
};

TEST_F(StatsdInputTest, UdpDatagramsReceivedBeforeStopReachTheSink) {
  Start();
  const int port = Port(input_->udp_address());
  SendUdp(port, "a:1|c\na:2|c");
  SendUdp(port, "g:5|g|#k:v");
  input_->Stop();  // drains the socket, then flushes
  auto last = sink_.Last();
  EXPECT_DOUBLE_EQ(last[R"(a_total{instance="h",job="statsd"})"], 3);
  EXPECT_DOUBLE_EQ(last[R"(g{instance="h",job="statsd",k="v"})"], 5);
}

TEST_F(StatsdInputTest, RefusesOversizedDatagramsWhole) {
  options_.max_packet_bytes = 64;
  Start();
  const int port = Port(input_->udp_address());
  SendUdp(port, "big:1|c\n" + std::string(100, 'x'));
  SendUdp(port, "small:1|c");
  input_->Stop();
  auto last = sink_.Last();
  EXPECT_EQ(last.count(R"(big_total{instance="h",job="statsd"})"), 0u);
  EXPECT_EQ(last.count(R"(small_total{instance="h",job="statsd"})"), 1u);
  EXPECT_EQ(registry_.ValueOf("strata_agent_statsd_rejected_packets_total",
                              {{"transport", "udp"}, {"reason", "too_large"}}),
            1);
}

TEST_F(StatsdInputTest, TcpLinesSplitAcrossWritesAreJoined) {
  Start();
  int fd = ConnectTcp(Port(input_->tcp_address()));
  ASSERT_GE(fd, 0);
  SendAll(fd, "a:1|c\nb:");
  ASSERT_TRUE(WaitFor([&] { return Accepted("counter") == 1; }));
  SendAll(fd, "2|g\nc:4|c\nd:");
  SendAll(fd, "7|g");  // unfinished when the client closes: handled as a line
  close(fd);
  ASSERT_TRUE(WaitFor([&] { return Accepted("gauge") == 2; }));
  input_->Stop();
  auto last = sink_.Last();
  EXPECT_DOUBLE_EQ(last[R"(a_total{instance="h",job="statsd"})"], 1);
  EXPECT_DOUBLE_EQ(last[R"(b{instance="h",job="statsd"})"], 2);
  EXPECT_DOUBLE_EQ(last[R"(c_total{instance="h",job="statsd"})"], 4);
  EXPECT_DOUBLE_EQ(last[R"(d{instance="h",job="statsd"})"], 7);
}

TEST_F(StatsdInputTest, TcpLineTooLongIsRefusedAndItsNeighboursKept) {
  options_.max_line_bytes = 64;
  Start();
  int fd = ConnectTcp(Port(input_->tcp_address()));
  ASSERT_GE(fd, 0);
  // One long line inside a write, and one that spans writes.
  SendAll(fd,
          "a:1|c\nlong:1|c|#k:" + std::string(100, 'v') + "\nb:1|c\nspan:" + std::string(40, '1'));
  SendAll(fd, std::string(40, '1') + "|c\nc:1|c\n");
  ASSERT_TRUE(WaitFor([&] { return Accepted("counter") == 3; }));
  close(fd);
  input_->Stop();
  auto last = sink_.Last();
  EXPECT_EQ(last.size(), 3u);
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_EQ(last.count(std::string(name) + R"(_total{instance="h",job="statsd"})"), 1u);
  }
  EXPECT_EQ(registry_.ValueOf("strata_agent_statsd_rejected_packets_total",
                              {{"transport", "tcp"}, {"reason", "too_large"}}),
            2);
}

TEST_F(StatsdInputTest, ConnectionsBeyondTheLimitAreClosed) {
  options_.max_tcp_connections = 1;
  Start();
  const int port = Port(input_->tcp_address());
  int first = ConnectTcp(port);
  ASSERT_GE(first, 0);
  ASSERT_TRUE(
      WaitFor([&] { return registry_.ValueOf("strata_agent_statsd_tcp_connections") == 1; }));
  int second = ConnectTcp(port);
  ASSERT_GE(second, 0);
  char c;
  EXPECT_EQ(recv(second, &c, 1, 0), 0);  // closed by the server
  EXPECT_EQ(registry_.ValueOf("strata_agent_statsd_tcp_refused_connections_total"), 1);
  close(second);
  close(first);
}

TEST_F(StatsdInputTest, FlushesEveryInterval) {
  options_.flush_interval_ms = 100;
  Start();
  SendUdp(Port(input_->udp_address()), "x:1|g");
  EXPECT_TRUE(WaitFor([&] { return sink_.Last().count(R"(x{instance="h",job="statsd"})") == 1; }));
  EXPECT_GE(registry_.ValueOf("strata_agent_statsd_flushes_total"), 1);
}

TEST_F(StatsdInputTest, APortInUseIsAStartError) {
  Start();
  StatsdOptions again = options_;
  again.udp_listen = input_->udp_address();
  again.tcp_listen = "";
  StatsdInput second(again, clock_, registry_);
  absl::Status s = second.Start(sink_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find(input_->udp_address()), std::string::npos) << s;
}

TEST_F(StatsdInputTest, DisabledStartsNothing) {
  options_.enabled = false;
  Start();
  EXPECT_EQ(input_->udp_address(), "");
  input_->Stop();
}

}  // namespace
}  // namespace strata::agent::statsd
