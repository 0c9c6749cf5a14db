#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

#include "agent/relabel/go_expand.h"
#include "agent/relabel/relabeler.h"
#include "common/config/schema.h"
#include "tests/unit/agent/relabel_rule.h"

namespace strata::agent::relabel {
namespace {

using common::Labels;

using test_support::Rule;

// The relabeled set, or "dropped".
std::string Relabel(const std::vector<RelabelConfig>& steps, const Labels& in) {
  auto r = Relabeler::Create(steps);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "invalid";
  Labels out;
  if (!r->Apply(in, &out)) return "dropped";
  return out.ToString();
}

const Labels kTarget{{"__address__", "10.0.0.7:9100"},
                     {"__meta_pod", "web-1"},
                     {"__meta_ns", "Prod"},
                     {"job", "node"}};

std::string Expand(const std::string& regex, const std::string& text, const std::string& tmpl) {
  RE2 re("^(?:" + regex + ")$");
  EXPECT_TRUE(re.ok());
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(re.NumberOfCapturingGroups() + 1));
  EXPECT_TRUE(re.Match(text, 0, text.size(), RE2::ANCHOR_BOTH, pieces.data(),
                       static_cast<int>(pieces.size())));
  std::vector<std::string_view> groups;
  for (const auto& p : pieces) groups.emplace_back(p.data(), p.size());
  std::string out;
  ExpandTemplate(re, tmpl, groups, &out);
  return out;
}

TEST(GoExpandTest, FollowsGoRegexpExpand) {
  EXPECT_EQ(Expand("(a)(b)", "ab", "$2$1"), "ba");
  EXPECT_EQ(Expand("(a)(b)", "ab", "${1}x"), "ax");
  EXPECT_EQ(Expand("(a)(b)", "ab", "$1x"), "");  // the group named "1x" does not exist
  EXPECT_EQ(Expand("(a)(b)", "ab", "$$1"), "$1");
  EXPECT_EQ(Expand("(a)(b)", "ab", "$"), "$");
  EXPECT_EQ(Expand("(a)(b)", "ab", "${1"), "${1");  // unclosed: text
  EXPECT_EQ(Expand("(a)(b)", "ab", "$-"), "$-");
  EXPECT_EQ(Expand("(a)(b)", "ab", "$3"), "");  // no such group
  EXPECT_EQ(Expand("(a)(b)", "ab", "$0"), "ab");
  EXPECT_EQ(Expand("(a)(b)", "ab", "$01"), "");  // leading zero: a name, and none has it
  EXPECT_EQ(Expand("(?P<host>[^:]+):(?P<port>\\d+)", "h:80", "${port}/$host"), "80/h");
  EXPECT_EQ(Expand("(a)|(b)", "b", "[$1][$2]"), "[][b]");  // a group that did not take part
}

TEST(RelabelerTest, ReplaceWritesTheExpandedReplacement) {
  EXPECT_EQ(Relabel({Rule("replace", {"__address__"}, "host", "(.*):\\d+", "$1")}, kTarget),
            "{__address__=\"10.0.0.7:9100\",__meta_ns=\"Prod\",__meta_pod=\"web-1\","
            "host=\"10.0.0.7\",job=\"node\"}");
  // No match: nothing changes.
  EXPECT_EQ(Relabel({Rule("replace", {"__address__"}, "host", "nomatch")}, kTarget),
            kTarget.ToString());
  // Several sources joined by the separator; the default regex and replacement copy the value.
  RelabelConfig joined = Rule("replace", {"__meta_ns", "__meta_pod"}, "id");
  joined.separator = "/";
  EXPECT_NE(Relabel({joined}, kTarget).find("id=\"Prod/web-1\""), std::string::npos);
  // An absent source label is the empty string.
  EXPECT_NE(Relabel({Rule("replace", {"nope", "job"}, "x")}, kTarget).find("x=\";node\""),
            std::string::npos);
  // An empty result deletes the target label.
  EXPECT_EQ(Relabel({Rule("replace", {"nope"}, "job")}, kTarget).find("job="), std::string::npos);
  // The target label can be a template.
  EXPECT_NE(Relabel({Rule("replace", {"__meta_pod"}, "app_$1", "(\\w+)-\\d+", "yes")}, kTarget)
                .find("app_web=\"yes\""),
            std::string::npos);
  // A template that expands to an invalid name writes nothing.
  EXPECT_EQ(Relabel({Rule("replace", {"__address__"}, "$1", "(.*)", "v")}, kTarget),
            kTarget.ToString());
  // The regex is anchored at both ends.
  EXPECT_EQ(Relabel({Rule("replace", {"job"}, "x", "od", "y")}, kTarget), kTarget.ToString());
}

TEST(RelabelerTest, KeepDropAndTheirEqualForms) {
  EXPECT_EQ(Relabel({Rule("keep", {"job"}, "", "node|db")}, kTarget), kTarget.ToString());
  EXPECT_EQ(Relabel({Rule("keep", {"job"}, "", "db")}, kTarget), "dropped");
  EXPECT_EQ(Relabel({Rule("drop", {"job"}, "", "no.*")}, kTarget), "dropped");
  EXPECT_EQ(Relabel({Rule("drop", {"job"}, "", "no")}, kTarget), kTarget.ToString());  // anchored
  const Labels same{{"a", "x"}, {"b", "x"}, {"c", "y"}};
  EXPECT_EQ(Relabel({Rule("keepequal", {"a"}, "b")}, same), same.ToString());
  EXPECT_EQ(Relabel({Rule("keepequal", {"a"}, "c")}, same), "dropped");
  EXPECT_EQ(Relabel({Rule("dropequal", {"a"}, "b")}, same), "dropped");
  EXPECT_EQ(Relabel({Rule("dropequal", {"a"}, "c")}, same), same.ToString());
  // Action names are case-insensitive.
  EXPECT_EQ(Relabel({Rule("DROP", {"job"}, "", "node")}, kTarget), "dropped");
}

TEST(RelabelerTest, LabelMapDropKeepAndCase) {
  EXPECT_EQ(Relabel({Rule("labelmap", {}, "", "__meta_(.+)", "k8s_$1")}, kTarget),
            "{__address__=\"10.0.0.7:9100\",__meta_ns=\"Prod\",__meta_pod=\"web-1\","
            "job=\"node\",k8s_ns=\"Prod\",k8s_pod=\"web-1\"}");
  EXPECT_EQ(Relabel({Rule("labeldrop", {}, "", "__meta_.*")}, kTarget),
            "{__address__=\"10.0.0.7:9100\",job=\"node\"}");
  EXPECT_EQ(Relabel({Rule("labelkeep", {}, "", "__meta_.*|job")}, kTarget),
            "{__meta_ns=\"Prod\",__meta_pod=\"web-1\",job=\"node\"}");
  EXPECT_NE(Relabel({Rule("lowercase", {"__meta_ns"}, "ns")}, kTarget).find("ns=\"prod\""),
            std::string::npos);
  EXPECT_NE(
      Relabel({Rule("uppercase", {"__meta_ns", "job"}, "ns")}, kTarget).find("ns=\"PROD;NODE\""),
      std::string::npos);
}

TEST(RelabelerTest, HashModIsTheLastEightBytesOfMd5) {
  // Reference values: int.from_bytes(hashlib.md5(v).digest()[8:], "big") % m.
  RelabelConfig h = Rule("hashmod", {"job"}, "shard");
  h.modulus = 1000;
  EXPECT_NE(Relabel({h}, Labels{{"job", "foo"}}).find("shard=\"696\""), std::string::npos);
  h.modulus = 7;
  EXPECT_NE(Relabel({h}, Labels{{"job", "foo"}}).find("shard=\"2\""), std::string::npos);
  RelabelConfig two = Rule("hashmod", {"__address__", "job"}, "shard");
  two.modulus = 1000;
  EXPECT_NE(Relabel({two}, Labels{{"__address__", "127.0.0.1:9100"}, {"job", "node"}})
                .find("shard=\"562\""),
            std::string::npos);
  // hashmod then keep: the usual sharding recipe.
  RelabelConfig keep = Rule("keep", {"shard"}, "", "2");
  h.modulus = 7;
  EXPECT_NE(Relabel({h, keep}, Labels{{"job", "foo"}}), "dropped");
  keep.regex = "3";
  EXPECT_EQ(Relabel({h, keep}, Labels{{"job", "foo"}}), "dropped");
}

TEST(RelabelerTest, StepsSeeThePreviousStepsResult) {
  EXPECT_EQ(
      Relabel({Rule("replace", {"job"}, "tmp"), Rule("replace", {"tmp"}, "job2", "(.*)", "$1-x"),
               Rule("labeldrop", {}, "", "tmp|__.*")},
              kTarget),
      "{job=\"node\",job2=\"node-x\"}");
}

TEST(RelabelConfigTest, RejectsWhatPrometheusRejects) {
  auto reason = [](RelabelConfig c) { return ValidateRelabelConfig(c); };
  EXPECT_EQ(reason(Rule("replace", {"a"}, "b")), "");
  EXPECT_EQ(reason(Rule("")), "relabel action cannot be empty");
  EXPECT_EQ(reason(Rule("rename")), "unknown relabel action \"rename\"");
  EXPECT_EQ(reason(Rule("replace", {"a"})),
            "relabel configuration for replace action requires 'target_label' value");
  EXPECT_EQ(reason(Rule("hashmod", {"a"}, "b")),
            "relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(reason(Rule("replace", {"a"}, "1abc")),
            "\"1abc\" is invalid 'target_label' for replace action");
  EXPECT_EQ(reason(Rule("lowercase", {"a"}, "b", kDefaultRegex, "x")),
            "'replacement' can not be set for lowercase action");
  EXPECT_EQ(reason(Rule("labelmap", {}, "", "(.*)", "-$1")),
            "\"-$1\" is invalid 'replacement' for labelmap action");
  EXPECT_EQ(reason(Rule("keepequal", {"a"}, "b", "x")),
            "keepequal action requires only 'source_labels' and `target_label`, and no other "
            "fields");
  EXPECT_EQ(reason(Rule("labeldrop", {"a"}, "", "x")),
            "labeldrop action requires only 'regex', and no other fields");
  EXPECT_NE(reason(Rule("keep", {"a"}, "", "(unclosed")).find("invalid regex"), std::string::npos);
  EXPECT_EQ(reason(Rule("keep", {"bad-name"})), "\"bad-name\" is not a valid label name");
  auto r = Relabeler::Create({Rule("keep", {"a"}), Rule("replace", {"a"})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "relabel step 1: relabel configuration for replace action requires 'target_label' "
            "value");
}

TEST(RelabelConfigTest, DecodesThePrometheusYamlShape) {
  const YAML::Node node = YAML::Load(R"yaml(
source_labels: [__meta_ns, __meta_pod]
separator: "/"
regex: "(.+)/(.+)"
target_label: id
replacement: "$2.$1"
)yaml");
  RelabelConfig c;
  ASSERT_TRUE(RelabelConfigSchema().Decode(node, "t.yaml", "relabel_configs[0]", &c).ok());
  EXPECT_EQ(c.action, "replace");
  EXPECT_NE(Relabel({c}, kTarget).find("id=\"web-1.Prod\""), std::string::npos);
  const YAML::Node bad = YAML::Load("action: hashmod\nsource_labels: [a]\ntarget_label: b\n");
  const absl::Status s = RelabelConfigSchema().Decode(bad, "t.yaml", "relabel_configs[0]", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("requires non-zero modulus"), std::string::npos) << s;
  EXPECT_NE(s.message().find("t.yaml:"), std::string::npos) << s;
}

}  // namespace
}  // namespace strata::agent::relabel
