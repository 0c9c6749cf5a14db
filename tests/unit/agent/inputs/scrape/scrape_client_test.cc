#include "agent/inputs/scrape/scrape_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tests/unit/agent/inputs/scrape/test_certs.h"

namespace strata::agent::scrape {
namespace {

// A metrics endpoint on 127.0.0.1 (plain or TLS) that remembers the last request's headers and
// query.
class Endpoint {
 public:
  explicit Endpoint(std::unique_ptr<httplib::Server> server) : server_(std::move(server)) {
    server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      last_ = req;
      res.set_content("up_metric 1\n", "text/plain; version=0.0.4");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::yield();  // polled, not slept
  }
  ~Endpoint() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  httplib::Request Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  httplib::Request last_;
};

ScrapeConfig Job() {
  ScrapeConfig c;
  c.job_name = "test";
  c.scrape_timeout_ms = 5000;
  return c;
}

ScrapeTarget Target(const std::string& scheme, const std::string& host, int port) {
  ScrapeTarget t;
  t.scheme = scheme;
  t.host = host;
  t.port = port;
  t.address = host + ":" + std::to_string(port);
  t.metrics_path = "/metrics";
  return t;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  static const std::string dir = UniqueTempDir();
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Prometheus sends the address as written as Host, the query built from params, and basic_auth
// over plain http too; the password file is read on every scrape.
TEST(ScrapeClientTest, SendsHostQueryAndBasicAuthOverHttp) {
  Endpoint endpoint(std::make_unique<httplib::Server>());
  common::SystemClock clock;
  ScrapeConfig config = Job();
  config.basic_auth.username = "prom";
  config.basic_auth.password_file = WriteFile("client-password", "s3cret\n");
  ScrapeClient client(config, clock);
  ScrapeTarget target = Target("http", "127.0.0.1", endpoint.port());
  target.query = "collect%5B%5D=cpu&collect%5B%5D=meminfo";
  FetchResult r = client.Fetch(target);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.body, "up_metric 1\n");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  httplib::Request req = endpoint.Last();
  EXPECT_EQ(req.get_header_value("Host"), target.address);
  EXPECT_EQ(req.get_header_value_count("Host"), 1u);
  // base64("prom:s3cret"): the file's trailing newline is not part of the password.
  EXPECT_EQ(req.get_header_value("Authorization"), "Basic cHJvbTpzM2NyZXQ=");
  ASSERT_EQ(req.get_param_value_count("collect[]"), 2u);
  EXPECT_EQ(req.get_param_value("collect[]", 0), "cpu");
  EXPECT_EQ(req.get_param_value("collect[]", 1), "meminfo");

  WriteFile("client-password", "rotated");
  ASSERT_EQ(client.Fetch(target).error, "");
  EXPECT_EQ(endpoint.Last().get_header_value("Authorization"), "Basic cHJvbTpyb3RhdGVk");
}

TEST(ScrapeClientTest, SendsAuthorizationTypeAndCredentials) {
  Endpoint endpoint(std::make_unique<httplib::Server>());
  common::SystemClock clock;
  ScrapeConfig config = Job();
  config.authorization.credentials_file = WriteFile("client-token", "  tok3n \n");
  ASSERT_EQ(ScrapeClient(config, clock).Fetch(Target("http", "127.0.0.1", endpoint.port())).error,
            "");
  EXPECT_EQ(endpoint.Last().get_header_value("Authorization"), "Bearer tok3n");

  config.authorization = {"Token", "abc", ""};
  ASSERT_EQ(ScrapeClient(config, clock).Fetch(Target("http", "127.0.0.1", endpoint.port())).error,
            "");
  EXPECT_EQ(endpoint.Last().get_header_value("Authorization"), "Token abc");

  // A secret file that cannot be read fails the scrape, naming the key.
  config.authorization = {"Bearer", "", ::testing::TempDir() + "/no-such-token"};
  FetchResult r = ScrapeClient(config, clock).Fetch(Target("http", "127.0.0.1", endpoint.port()));
  EXPECT_EQ(r.error, "authorization.credentials_file: cannot read " + ::testing::TempDir() +
                         "/no-such-token");
}

class HttpsTest : public ::testing::Test {
 protected:
  HttpsTest()
      : dir_(UniqueTempDir()),
        ca_(dir_, "https"),
        other_ca_(dir_, "https-other"),
        server_cert_(ca_.Issue("https-server", "DNS:metrics.test,IP:127.0.0.1")),
        client_cert_(ca_.Issue("https-client", "")) {}

  FetchResult Fetch(const http::TlsConfig& tls, int port) {
    ScrapeConfig config = Job();
    config.tls_config = tls;
    return ScrapeClient(config, clock_).Fetch(Target("https", "127.0.0.1", port));
  }

  std::string dir_;
  TestCa ca_;
  TestCa other_ca_;
  CertFiles server_cert_;
  CertFiles client_cert_;
  common::SystemClock clock_;
};

// The server's certificate is checked against ca_file for the target's host, or for server_name
// while the connection still goes to the target (and Host stays the target's address).
TEST_F(HttpsTest, VerifiesTheServerAgainstCaFileAndServerName) {
  Endpoint endpoint(
      std::make_unique<httplib::SSLServer>(server_cert_.cert.c_str(), server_cert_.key.c_str()));
  const std::string address = "127.0.0.1:" + std::to_string(endpoint.port());
  FetchResult r = Fetch({ca_.ca_file(), "", "", "", false}, endpoint.port());
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.body, "up_metric 1\n");

  r = Fetch({ca_.ca_file(), "", "", "metrics.test", false}, endpoint.port());
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(endpoint.Last().get_header_value("Host"),
            "127.0.0.1:" + std::to_string(endpoint.port()));

  r = Fetch({ca_.ca_file(), "", "", "wrong.test", false}, endpoint.port());
  EXPECT_EQ(r.error,
            "TLS: certificate of " + address + " not accepted: it is not valid for \"wrong.test\"");

  r = Fetch({other_ca_.ca_file(), "", "", "", false}, endpoint.port());
  EXPECT_EQ(r.error, "TLS: certificate of " + address +
                         " not accepted: unable to get local issuer certificate");

  r = Fetch({other_ca_.ca_file(), "", "", "", true}, endpoint.port());
  EXPECT_EQ(r.error, "");  // insecure_skip_verify
}

TEST_F(HttpsTest, PresentsTheClientCertificateWhenAsked) {
  Endpoint endpoint(std::make_unique<httplib::SSLServer>(
      server_cert_.cert.c_str(), server_cert_.key.c_str(), ca_.ca_file().c_str()));
  EXPECT_EQ(
      Fetch({ca_.ca_file(), client_cert_.cert, client_cert_.key, "", false}, endpoint.port()).error,
      "");
  // Refused by the server. TLS 1.3 says so after the handshake, so the client fails either
  // writing the request (when the alert is in first) or reading the response, which then
  // carries the server's alert: a failed scrape either way, not a crash.
  const std::string error = Fetch({ca_.ca_file(), "", "", "", false}, endpoint.port()).error;
  EXPECT_TRUE(error == "Write" || error == "Read (TLS: tlsv13 alert certificate required)")
      << error;
}

}  // namespace
}  // namespace strata::agent::scrape
