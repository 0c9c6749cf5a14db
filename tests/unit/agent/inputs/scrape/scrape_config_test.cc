#include "agent/inputs/scrape/scrape_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/agent/inputs/scrape/test_certs.h"

namespace strata::agent::scrape {
namespace {

absl::Status Decode(const std::string& yaml, ScrapeConfig* out) {
  return ScrapeConfigSchema().Decode(YAML::Load(yaml), "a.yaml", "scrape_configs[0]", out);
}

TEST(ScrapeConfigTest, DecodesParamsHttpsTlsAndAuthorization) {
  ScrapeConfig c;
  const absl::Status s = Decode(R"yaml(
job_name: node
scheme: https
params:
  collect[]: [cpu, meminfo]
  module: [http_2xx]
tls_config:
  ca_file: /etc/ca.pem
  cert_file: /etc/agent.pem
  key_file: /etc/agent-key.pem
  server_name: node.internal
  insecure_skip_verify: false
authorization:
  credentials_file: /var/run/token
static_configs: [{targets: ["h:9100"]}]
)yaml",
                                &c);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.scheme, "https");
  ASSERT_EQ(c.params.size(), 2u);
  EXPECT_EQ(c.params[0].first, "collect[]");
  EXPECT_EQ(c.params[0].second, (std::vector<std::string>{"cpu", "meminfo"}));
  EXPECT_EQ(c.params[1].first, "module");
  EXPECT_EQ(c.tls_config.ca_file, "/etc/ca.pem");
  EXPECT_EQ(c.tls_config.server_name, "node.internal");
  EXPECT_EQ(c.authorization.type, "Bearer");
  EXPECT_EQ(c.authorization.credentials_file, "/var/run/token");
  EXPECT_TRUE(c.authorization.enabled());
  EXPECT_FALSE(c.basic_auth.enabled());

  ScrapeConfig b;
  ASSERT_TRUE(Decode("job_name: n\nbasic_auth: {username: u, password_file: /p}\n", &b).ok());
  EXPECT_TRUE(b.basic_auth.enabled());
  EXPECT_EQ(b.basic_auth.password_file, "/p");
}

// Each bad value is an error naming the key, with the file position (as every schema error).
TEST(ScrapeConfigTest, RejectsBadHttpClientSettingsNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"scheme: ftp", "key \"scrape_configs[0]\": scheme \"ftp\" is not supported (http or https)"},
      {"tls_config: {ca: x}", "key \"scrape_configs[0].tls_config.ca\": unknown key"},
      {"tls_config: {cert_file: /c.pem}",
       "key \"scrape_configs[0].tls_config\": cert_file \"/c.pem\" is set without key_file"},
      {"tls_config: {key_file: /k.pem}",
       "key \"scrape_configs[0].tls_config\": key_file \"/k.pem\" is set without cert_file"},
      {"tls_config: {insecure_skip_verify: yes}",
       "key \"scrape_configs[0].tls_config.insecure_skip_verify\": expected true or false"},
      {"basic_auth: {username: u, password: p, password_file: /p}",
       "at most one of password and password_file may be set"},
      {"basic_auth: {username: u}\nauthorization: {credentials: t}",
       "key \"scrape_configs[0]\": at most one of basic_auth and authorization may be set"},
      {"authorization: {type: basic, credentials: t}",
       "key \"scrape_configs[0].authorization\": type cannot be \"basic\": use basic_auth instead"},
      {"authorization: {credentials: t, credentials_file: /t}",
       "at most one of credentials and credentials_file may be set"},
      {"authorization: {credentials: \"a\\r\\nX-Evil: 1\"}",
       "credentials must not contain control characters"},
      {"params: [a, b]", "key \"scrape_configs[0].params\": expected a map of string lists"},
      {"params: {module: http_2xx}",
       "key \"scrape_configs[0].params.module\": expected a list of strings"},
      {"params: {module: [[x]]}", "key \"scrape_configs[0].params.module[0]\": expected a string"},
  };
  for (const auto& [yaml, want] : cases) {
    ScrapeConfig c;
    const absl::Status s = Decode("job_name: n\n" + yaml + "\n", &c);
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_NE(s.message().find(want), std::string::npos) << yaml << "\n  got: " << s.message();
    EXPECT_EQ(s.message().rfind("a.yaml:", 0), 0u) << s.message();
  }
}

// The reference printed by --print-config-reference decodes back to the defaults.
TEST(ScrapeConfigTest, ReferenceWithParamsDecodesBack) {
  ScrapeConfig c;
  c.job_name = "j";
  c.params = {{"collect[]", {"cpu", "a \"b\""}}};
  std::string text;
  ScrapeConfigSchema().Describe(c, 0, &text);
  ScrapeConfig back;
  ASSERT_TRUE(Decode(text, &back).ok()) << text;
  EXPECT_EQ(back.params, c.params);
  EXPECT_EQ(back.authorization.type, "Bearer");
  EXPECT_FALSE(back.authorization.enabled());
}

TEST(CheckTlsFilesTest, NamesTheKeyOfAFileThatCannotBeUsed) {
  const std::string dir = UniqueTempDir();
  TestCa ca(dir, "check");
  const CertFiles client = ca.Issue("check-client", "");
  const CertFiles other = ca.Issue("check-other", "");
  const std::string not_pem = dir + "/check-not-pem.txt";
  std::ofstream(not_pem) << "hello\n";

  EXPECT_TRUE(http::CheckTlsFiles({}).ok());
  EXPECT_TRUE(http::CheckTlsFiles({ca.ca_file(), client.cert, client.key, "", false}).ok());

  absl::Status s = http::CheckTlsFiles({dir + "/missing.pem", "", "", "", false});
  EXPECT_EQ(s.message(), "tls_config.ca_file: cannot read " + dir + "/missing.pem");
  s = http::CheckTlsFiles({not_pem, "", "", "", false});
  EXPECT_EQ(s.message(), "tls_config.ca_file: " + not_pem + " holds no PEM certificate");
  s = http::CheckTlsFiles({"", not_pem, client.key, "", false});
  EXPECT_EQ(s.message(), "tls_config.cert_file: " + not_pem + " holds no usable PEM certificate");
  s = http::CheckTlsFiles({"", client.cert, not_pem, "", false});
  EXPECT_EQ(s.message(), "tls_config.key_file: " + not_pem + " holds no usable PEM private key");
  s = http::CheckTlsFiles({"", client.cert, other.key, "", false});
  EXPECT_EQ(s.message(),
            "tls_config.key_file: " + other.key + " is not the private key of " + client.cert);
}

}  // namespace
}  // namespace strata::agent::scrape
