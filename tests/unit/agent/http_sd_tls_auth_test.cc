// http_sd_configs with a scrape job's HTTP client options: https with tls_config, basic_auth and
// authorization, against an endpoint on 127.0.0.1 that checks what it gets.

#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "agent/discovery/http_sd.h"
#include "agent/inputs/scrape/scrape_input.h"
#include "tests/fakes/fake_clock.h"
#include "tests/unit/agent/inputs/scrape/test_certs.h"

namespace strata::agent::discovery {
namespace {

using scrape::CertFiles;
using scrape::TestCa;
using strata::fakes::FakeClock;

// An HTTP SD endpoint on 127.0.0.1 (plain or TLS) answering GET /sd with the groups the test
// sets. With RequireAuthorization(), a request without exactly that Authorization header gets a
// 401. It remembers the last request's Host header.
class SdEndpoint {
 public:
  explicit SdEndpoint(std::unique_ptr<httplib::Server> server) : server_(std::move(server)) {
    server_->Get("/sd", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      last_host_ = req.get_header_value("Host");
      if (!authorization_.empty() && req.get_header_value("Authorization") != authorization_) {
        res.status = 401;
        return;
      }
      res.set_content(body_, "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::yield();  // polled, not slept
  }
  ~SdEndpoint() {
    server_->stop();
    thread_.join();
  }
  void Answer(std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
  }
  void RequireAuthorization(std::string value) {
    std::lock_guard<std::mutex> lock(mu_);
    authorization_ = std::move(value);
  }
  std::string LastHost() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_host_;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string https_url() const { return "https://" + address() + "/sd"; }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string body_ = R"([{"targets": ["a:1"]}])";
  std::string authorization_;
  std::string last_host_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class HttpSdTlsAuthTest : public ::testing::Test {
 protected:
  static constexpr int64_t kRefreshMs = 30000;

  HttpSdTlsAuthTest()
      : dir_(scrape::UniqueTempDir()),
        ca_(dir_, "sd"),
        other_ca_(dir_, "sd-other"),
        server_cert_(ca_.Issue("sd-server", "DNS:sd.test,IP:127.0.0.1")),
        client_cert_(ca_.Issue("sd-client", "")),
        errors_(registry_.GetCounter("errors", "", {})) {}

  std::unique_ptr<httplib::Server> TlsServer(const CertFiles& cert) {
    return std::make_unique<httplib::SSLServer>(cert.cert.c_str(), cert.key.c_str());
  }

  // An https config for `endpoint` that trusts ca_.
  HttpSdConfig Config(const SdEndpoint& endpoint) const {
    HttpSdConfig c;
    c.url = endpoint.https_url();
    c.refresh_interval_ms = kRefreshMs;
    c.tls_config.ca_file = ca_.ca_file();
    return c;
  }

  std::string WriteFile(const std::string& name, const std::string& text) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // The next refresh is due.
  void NextRefresh() { clock_.now_ms += kRefreshMs; }

  std::string dir_;
  TestCa ca_;
  TestCa other_ca_;
  CertFiles server_cert_;
  CertFiles client_cert_;
  FakeClock clock_;
  common::Registry registry_;
  common::Counter& errors_;
};

TEST_F(HttpSdTlsAuthTest, DiscoversGroupsOverHttpsWithTheConfiguredCa) {
  SdEndpoint endpoint(TlsServer(server_cert_));
  HttpDiscoverer d(Config(endpoint), clock_, errors_);
  auto groups = d.Poll();
  ASSERT_TRUE(groups.has_value()) << d.last_error();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].targets, (std::vector<std::string>{"a:1"}));
  EXPECT_EQ((*groups)[0].labels.back(),
            (std::pair<std::string, std::string>{"__meta_url", endpoint.https_url()}));
  EXPECT_EQ(d.last_error(), "");
  EXPECT_EQ(errors_.Value(), 0);
  EXPECT_EQ(endpoint.LastHost(), endpoint.address());
}

// The CA file is read for every fetch: swapping in a CA that did not sign the server's
// certificate fails the next fetch with OpenSSL's reason, keeps the groups, counts the error.
TEST_F(HttpSdTlsAuthTest, AWrongCaFailsNamingTheCauseAndKeepsTheLastGroups) {
  SdEndpoint endpoint(TlsServer(server_cert_));
  HttpSdConfig config = Config(endpoint);
  config.tls_config.ca_file = WriteFile("sd-rotated-ca.pem", ReadFile(ca_.ca_file()));
  HttpDiscoverer d(config, clock_, errors_);
  ASSERT_TRUE(d.Poll().has_value()) << d.last_error();

  WriteFile("sd-rotated-ca.pem", ReadFile(other_ca_.ca_file()));
  endpoint.Answer(R"([{"targets": ["b:2"]}])");
  NextRefresh();
  EXPECT_FALSE(d.Poll().has_value());  // the a:1 group stays
  EXPECT_EQ(d.last_error(), "TLS: certificate of " + endpoint.address() +
                                " not accepted: unable to get local issuer certificate");
  EXPECT_EQ(errors_.Value(), 1);

  WriteFile("sd-rotated-ca.pem", ReadFile(ca_.ca_file()));
  NextRefresh();
  auto groups = d.Poll();
  ASSERT_TRUE(groups.has_value()) << d.last_error();
  EXPECT_EQ((*groups)[0].targets, (std::vector<std::string>{"b:2"}));
  EXPECT_EQ(d.last_error(), "");
  EXPECT_EQ(errors_.Value(), 1);
}

TEST_F(HttpSdTlsAuthTest, AFirstFetchWithAWrongCaStartsWithNoTargets) {
  SdEndpoint endpoint(TlsServer(server_cert_));
  HttpSdConfig config = Config(endpoint);
  config.tls_config.ca_file = other_ca_.ca_file();
  HttpDiscoverer d(config, clock_, errors_);
  auto groups = d.Poll();
  ASSERT_TRUE(groups.has_value());
  EXPECT_TRUE(groups->empty());
  EXPECT_EQ(d.last_error(), "TLS: certificate of " + endpoint.address() +
                                " not accepted: unable to get local issuer certificate");
  EXPECT_EQ(errors_.Value(), 1);
}

// A certificate for sd.test only: refused for the URL's 127.0.0.1, accepted with server_name
// sd.test while the connection still goes to 127.0.0.1 and Host stays the URL's.
TEST_F(HttpSdTlsAuthTest, ServerNameIsCheckedInsteadOfTheUrlsHost) {
  SdEndpoint endpoint(TlsServer(ca_.Issue("sd-named", "DNS:sd.test")));
  HttpDiscoverer plain(Config(endpoint), clock_, errors_);
  ASSERT_TRUE(plain.Poll().has_value());
  EXPECT_EQ(plain.last_error(), "TLS: certificate of " + endpoint.address() +
                                    " not accepted: it is not valid for \"127.0.0.1\"");

  HttpSdConfig config = Config(endpoint);
  config.tls_config.server_name = "sd.test";
  HttpDiscoverer named(config, clock_, errors_);
  auto groups = named.Poll();
  ASSERT_TRUE(groups.has_value());
  EXPECT_EQ(named.last_error(), "");
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ(endpoint.LastHost(), endpoint.address());
  EXPECT_EQ(errors_.Value(), 1);  // the first discoverer's
}

TEST_F(HttpSdTlsAuthTest, PresentsTheClientCertificateWhenTheServerAsksForOne) {
  SdEndpoint endpoint(std::make_unique<httplib::SSLServer>(
      server_cert_.cert.c_str(), server_cert_.key.c_str(), ca_.ca_file().c_str()));
  HttpSdConfig config = Config(endpoint);
  config.tls_config.cert_file = client_cert_.cert;
  config.tls_config.key_file = client_cert_.key;
  HttpDiscoverer with_cert(config, clock_, errors_);
  auto groups = with_cert.Poll();
  ASSERT_TRUE(groups.has_value());
  EXPECT_EQ(with_cert.last_error(), "");
  EXPECT_EQ(groups->size(), 1u);
  EXPECT_EQ(errors_.Value(), 0);

  // Refused by the server. TLS 1.3 says so after the handshake, so the client fails either
  // writing the request or reading the response, which then carries the server's alert.
  HttpDiscoverer without_cert(Config(endpoint), clock_, errors_);
  groups = without_cert.Poll();
  ASSERT_TRUE(groups.has_value());
  EXPECT_TRUE(groups->empty());
  const std::string error = without_cert.last_error();
  EXPECT_TRUE(error == "Write" || error == "Read (TLS: tlsv13 alert certificate required)")
      << error;
  EXPECT_EQ(errors_.Value(), 1);
}

// The server checks the header; the password file is read again for every fetch.
TEST_F(HttpSdTlsAuthTest, SendsBasicAuthAndRereadsThePasswordFile) {
  SdEndpoint endpoint(TlsServer(server_cert_));
  endpoint.RequireAuthorization("Basic c2Q6Zmlyc3Q=");  // base64("sd:first")
  HttpSdConfig config = Config(endpoint);
  config.basic_auth.username = "sd";
  config.basic_auth.password_file = WriteFile("sd-password", "first\n");
  HttpDiscoverer d(config, clock_, errors_);
  auto groups = d.Poll();
  ASSERT_TRUE(groups.has_value());
  EXPECT_EQ(d.last_error(), "");
  EXPECT_EQ((*groups)[0].targets, (std::vector<std::string>{"a:1"}));

  endpoint.RequireAuthorization("Basic c2Q6c2Vjb25k");  // base64("sd:second")
  endpoint.Answer(R"([{"targets": ["b:2"]}])");
  NextRefresh();
  EXPECT_FALSE(d.Poll().has_value());
  EXPECT_EQ(d.last_error(), "server returned HTTP status 401");
  EXPECT_EQ(errors_.Value(), 1);

  WriteFile("sd-password", "second");  // rotated
  NextRefresh();
  groups = d.Poll();
  ASSERT_TRUE(groups.has_value()) << d.last_error();
  EXPECT_EQ((*groups)[0].targets, (std::vector<std::string>{"b:2"}));
  EXPECT_EQ(errors_.Value(), 1);
}

TEST_F(HttpSdTlsAuthTest, SendsTheAuthorizationHeader) {
  SdEndpoint endpoint(TlsServer(server_cert_));
  endpoint.RequireAuthorization("Token s3cret");
  HttpSdConfig config = Config(endpoint);
  config.authorization = {"Token", "", WriteFile("sd-token", "  s3cret \n")};
  HttpDiscoverer d(config, clock_, errors_);
  auto groups = d.Poll();
  ASSERT_TRUE(groups.has_value());
  EXPECT_EQ(d.last_error(), "");
  EXPECT_EQ(groups->size(), 1u);

  // The default type is Bearer; a wrong header is the server's 401, counted.
  config.authorization = {"Bearer", "s3cret", ""};
  HttpDiscoverer bearer(config, clock_, errors_);
  ASSERT_TRUE(bearer.Poll().has_value());
  EXPECT_EQ(bearer.last_error(), "server returned HTTP status 401");
  endpoint.RequireAuthorization("Bearer s3cret");
  NextRefresh();
  groups = bearer.Poll();
  ASSERT_TRUE(groups.has_value());
  EXPECT_EQ(groups->size(), 1u);
  EXPECT_EQ(errors_.Value(), 1);
}

TEST_F(HttpSdTlsAuthTest, AnUnreadableSecretFileFailsTheFetchNamingTheKey) {
  SdEndpoint endpoint(TlsServer(server_cert_));
  HttpSdConfig config = Config(endpoint);
  config.authorization.credentials_file = dir_ + "/no-such-token";
  HttpDiscoverer d(config, clock_, errors_);
  ASSERT_TRUE(d.Poll().has_value());
  EXPECT_EQ(d.last_error(),
            "authorization.credentials_file: cannot read " + dir_ + "/no-such-token");
  EXPECT_EQ(errors_.Value(), 1);
}

absl::Status Decode(const std::string& yaml, HttpSdConfig* out) {
  return HttpSdConfigSchema().Decode(YAML::Load(yaml), "a.yaml", "http_sd_configs[0]", out);
}

TEST(HttpSdConfigSchemaTest, TakesHttpsUrlsAndTheScrapeJobsClientKeys) {
  HttpSdConfig c;
  const absl::Status s = Decode(R"yaml(
url: https://sd.local/targets
tls_config:
  ca_file: /etc/ca.pem
  cert_file: /etc/agent.pem
  key_file: /etc/agent-key.pem
  server_name: sd.internal
authorization:
  credentials_file: /var/run/token
)yaml",
                                &c);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.url, "https://sd.local/targets");
  EXPECT_EQ(c.tls_config.ca_file, "/etc/ca.pem");
  EXPECT_EQ(c.tls_config.key_file, "/etc/agent-key.pem");
  EXPECT_EQ(c.tls_config.server_name, "sd.internal");
  EXPECT_EQ(c.authorization.type, "Bearer");
  EXPECT_EQ(c.authorization.credentials_file, "/var/run/token");
  EXPECT_FALSE(c.basic_auth.enabled());

  HttpSdConfig b;
  ASSERT_TRUE(
      Decode("url: http://sd.local\nbasic_auth: {username: u, password_file: /p}\n", &b).ok());
  EXPECT_EQ(b.basic_auth.password_file, "/p");
}

TEST(HttpSdConfigSchemaTest, RejectsBadClientSettingsNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"url: ftp://sd.local/",
       "key \"http_sd_configs[0]\": url \"ftp://sd.local/\" is not an http:// or https:// URL"},
      {"url: https://sd.local/\nbasic_auth: {username: u}\nauthorization: {credentials: t}",
       "key \"http_sd_configs[0]\": at most one of basic_auth and authorization may be set"},
      {"url: https://sd.local/\ntls_config: {cert_file: /c.pem}",
       "key \"http_sd_configs[0].tls_config\": cert_file \"/c.pem\" is set without key_file"},
      {"url: https://sd.local/\ntls_config: {ca: x}",
       "key \"http_sd_configs[0].tls_config.ca\": unknown key"},
      {"url: https://sd.local/\nbasic_auth: {username: u, password: p, password_file: /p}",
       "at most one of password and password_file may be set"},
      {"url: https://sd.local/\nauthorization: {type: basic, credentials: t}",
       "type cannot be \"basic\": use basic_auth instead"},
  };
  for (const auto& [yaml, want] : cases) {
    HttpSdConfig c;
    const absl::Status s = Decode(yaml + "\n", &c);
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_NE(s.message().find(want), std::string::npos) << yaml << "\n  got: " << s.message();
  }
}

class NullSink final : public SampleSink {
 public:
  void Push(common::SampleBatch) override {}
};

// As for the scrape job's own tls_config, the files are checked when the job starts.
TEST_F(HttpSdTlsAuthTest, UnusableTlsFilesFailTheJobNamingTheKey) {
  const CertFiles other = ca_.Issue("sd-other-client", "");
  scrape::ScrapeConfig job;
  job.job_name = "sd";
  job.http_sd_configs.resize(2);
  for (HttpSdConfig& c : job.http_sd_configs) c.url = "https://127.0.0.1:1/sd";
  NullSink sink;

  job.http_sd_configs[1].tls_config.ca_file = dir_ + "/missing.pem";
  absl::Status s = scrape::ScrapeInput(job, clock_, registry_).Start(sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "scrape job \"sd\": http_sd_configs[1].tls_config.ca_file: cannot read " +
                             dir_ + "/missing.pem");

  job.http_sd_configs[1].tls_config = {"", client_cert_.cert, other.key, "", false};
  s = scrape::ScrapeInput(job, clock_, registry_).Start(sink);
  EXPECT_EQ(s.message(), "scrape job \"sd\": http_sd_configs[1].tls_config.key_file: " + other.key +
                             " is not the private key of " + client_cert_.cert);
}

}  // namespace
}  // namespace strata::agent::discovery
