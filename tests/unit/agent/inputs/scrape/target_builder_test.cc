#include "agent/inputs/scrape/target_builder.h"

#include <gtest/gtest.h>

#include "tests/unit/agent/relabel_rule.h"

namespace strata::agent::scrape {
namespace {

using test_support::Rule;

relabel::Relabeler Relabel(std::vector<relabel::RelabelConfig> rules) {
  absl::StatusOr<relabel::Relabeler> r = relabel::Relabeler::Create(rules);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : relabel::Relabeler{};
}

ScrapeConfig Job() {
  ScrapeConfig c;
  c.job_name = "node";
  return c;
}

StaticConfig Group(std::vector<std::string> targets,
                   std::vector<std::pair<std::string, std::string>> labels = {}) {
  return StaticConfig{std::move(targets), std::move(labels)};
}

// Each param's first value is a __param_ label before relabeling; the query carries every value,
// names sorted and escaped as Go's url.Values.Encode does; no __param_ label reaches the series.
TEST(TargetBuilderTest, ParamsBecomeParamLabelsAndTheQueryString) {
  ScrapeConfig config = Job();
  config.params = {{"module", {"http_2xx"}}, {"collect[]", {"cpu", "meminfo"}}};
  BuiltTargets built = BuildTargets(config, Relabel({}), {Group({"10.0.0.1:9100"})});
  ASSERT_TRUE(built.errors.empty()) << built.errors.front();
  ASSERT_EQ(built.targets.size(), 1u);
  const ScrapeTarget& t = built.targets[0];
  EXPECT_EQ(t.query, "collect%5B%5D=cpu&collect%5B%5D=meminfo&module=http_2xx");
  EXPECT_EQ(TargetUrl(t),
            "http://10.0.0.1:9100/metrics?collect%5B%5D=cpu&collect%5B%5D=meminfo&module=http_2xx");
  EXPECT_EQ(t.discovered_labels.Get("__param_module"), "http_2xx");
  EXPECT_EQ(t.discovered_labels.Get("__param_collect[]"), "cpu");
  EXPECT_EQ(t.target_labels, (common::Labels{{"instance", "10.0.0.1:9100"}, {"job", "node"}}));
}

// The blackbox exporter pattern: the address moves to __param_target, the exporter becomes the
// address, and a rewritten __param_module replaces the first configured value only.
TEST(TargetBuilderTest, RelabelingChangesAndAddsParams) {
  ScrapeConfig config = Job();
  config.metrics_path = "/probe";
  config.params = {{"module", {"http_2xx", "extra"}}};
  relabel::Relabeler relabeler = Relabel({
      Rule("replace", {"__address__"}, "__param_target"),
      Rule("replace", {"__param_target"}, "instance"),
      Rule("replace", {}, "__address__", "(.*)", "blackbox:9115"),
      Rule("replace", {"__meta_probe"}, "__param_module", "(.+)"),
  });
  BuiltTargets built = BuildTargets(
      config, relabeler,
      {Group({"https://example.org/a b"}), Group({"db:5432"}, {{"__meta_probe", "tcp_connect"}})});
  ASSERT_TRUE(built.errors.empty()) << built.errors.front();
  ASSERT_EQ(built.targets.size(), 2u);
  EXPECT_EQ(built.targets[0].address, "blackbox:9115");
  EXPECT_EQ(built.targets[0].query,
            "module=http_2xx&module=extra&target=https%3A%2F%2Fexample.org%2Fa%20b");
  EXPECT_EQ(built.targets[0].target_labels,
            (common::Labels{{"instance", "https://example.org/a b"}, {"job", "node"}}));
  EXPECT_EQ(built.targets[1].query, "module=tcp_connect&module=extra&target=db%3A5432");
  EXPECT_EQ(TargetUrl(built.targets[1]),
            "http://blackbox:9115/probe?module=tcp_connect&module=extra&target=db%3A5432");
}

// Discovery may set __scheme__, __metrics_path__, __param_* and job per target; the job's values
// fill in only what the group leaves unset (Prometheus' "if not set already").
TEST(TargetBuilderTest, GroupLabelsWinOverTheJobsDefaults) {
  ScrapeConfig config = Job();
  config.params = {{"module", {"from_config"}}};
  BuiltTargets built =
      BuildTargets(config, Relabel({}),
                   {Group({"h1"}, {{"__scheme__", "https"}, {"__metrics_path__", "x"}}),
                    Group({"h2:8080"}, {{"__param_module", "from_sd"}, {"job", "sd_job"}})});
  ASSERT_TRUE(built.errors.empty()) << built.errors.front();
  ASSERT_EQ(built.targets.size(), 2u);
  EXPECT_EQ(TargetUrl(built.targets[0]), "https://h1/x?module=from_config");
  EXPECT_EQ(built.targets[0].port, 443);
  EXPECT_EQ(TargetUrl(built.targets[1]), "http://h2:8080/metrics?module=from_sd");
  EXPECT_EQ(built.targets[1].target_labels.Get("job"), "sd_job");
}

// An address without a port is scraped on the scheme's port, and stays as written in the labels
// (Prometheus 3: no default port is added to __address__ or instance).
TEST(TargetBuilderTest, AddressWithoutPortGetsTheSchemesPort) {
  ScrapeConfig config = Job();
  relabel::Relabeler relabeler =
      Relabel({Rule("replace", {"__address__"}, "__scheme__", "secure.*", "https")});
  BuiltTargets built = BuildTargets(config, relabeler,
                                    {Group({"host", "10.1.2.3", "[::1]", "fd00::7", "h:8080",
                                            "[fe80::1]:9100", "secure", "secure:8443"})});
  ASSERT_TRUE(built.errors.empty()) << built.errors.front();
  ASSERT_EQ(built.targets.size(), 8u);
  struct Want {
    std::string host;
    int port;
    std::string scheme;
    std::string instance;
  };
  const std::vector<Want> want = {
      {"host", 80, "http", "host"},       {"10.1.2.3", 80, "http", "10.1.2.3"},
      {"::1", 80, "http", "[::1]"},       {"fd00::7", 80, "http", "fd00::7"},
      {"h", 8080, "http", "h:8080"},      {"fe80::1", 9100, "http", "[fe80::1]:9100"},
      {"secure", 443, "https", "secure"}, {"secure", 8443, "https", "secure:8443"},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    const ScrapeTarget& t = built.targets[i];
    EXPECT_EQ(t.host, want[i].host) << i;
    EXPECT_EQ(t.port, want[i].port) << i;
    EXPECT_EQ(t.scheme, want[i].scheme) << i;
    EXPECT_EQ(t.address, want[i].instance) << i;
    EXPECT_EQ(t.target_labels.Get("instance"), want[i].instance) << i;
  }
}

TEST(TargetBuilderTest, UnusableAddressesAndSchemesAreLeftOutWithTheReason) {
  ScrapeConfig config = Job();
  BuiltTargets built = BuildTargets(config, Relabel({}),
                                    {Group({"http://h:80/metrics", "h:0", "h:99999", "a:b:c",
                                            "[::1", "[::1]9100", "u@h:1", "ok:1"})});
  ASSERT_EQ(built.targets.size(), 1u);
  EXPECT_EQ(built.targets[0].address, "ok:1");
  ASSERT_EQ(built.errors.size(), 7u);
  EXPECT_EQ(built.errors[0],
            "target \"http://h:80/metrics\" is not a valid address (host, host:port or "
            "[ipv6]:port)");
  EXPECT_EQ(built.errors[3],
            "target \"a:b:c\" is not a valid address (host, host:port or [ipv6]:port)");

  built = BuildTargets(config, Relabel({Rule("replace", {}, "__scheme__", "(.*)", "ftp")}),
                       {Group({"h:21"})});
  EXPECT_TRUE(built.targets.empty());
  ASSERT_EQ(built.errors.size(), 1u);
  EXPECT_EQ(built.errors[0], "target \"h:21\": scheme \"ftp\" is not supported (http or https)");
}

}  // namespace
}  // namespace strata::agent::scrape
