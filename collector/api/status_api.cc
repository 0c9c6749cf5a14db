#include "collector/api/status_api.h"

#include <unistd.h>

#include <climits>
#include <ctime>
#include <fstream>
#include <limits>
#include <map>
#include <thread>

#include "collector/query/promql/ast.h"
#include "strata/version.h"

// Set by collector/api/CMakeLists.txt for this file only.
#ifndef STRATA_BUILD_REVISION
#define STRATA_BUILD_REVISION ""
#endif
#ifndef STRATA_BUILD_BRANCH
#define STRATA_BUILD_BRANCH ""
#endif
#ifndef STRATA_BUILD_USER
#define STRATA_BUILD_USER ""
#endif
#ifndef STRATA_BUILD_DATE
#define STRATA_BUILD_DATE ""
#endif
#ifndef STRATA_BUILD_COMPILER
#define STRATA_BUILD_COMPILER ""
#endif

namespace strata::collector::api {

BuildInfo CurrentBuildInfo() {
  return BuildInfo{kVersion,          STRATA_BUILD_REVISION, STRATA_BUILD_BRANCH,
                   STRATA_BUILD_USER, STRATA_BUILD_DATE,     STRATA_BUILD_COMPILER};
}

ProcessFacts ReadProcessFacts() {
  ProcessFacts facts;
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf)) != nullptr) facts.cwd = buf;
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) facts.hostname = host;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Threads:", 0) == 0) {
      facts.threads = std::strtoll(line.c_str() + 8, nullptr, 10);
      break;
    }
  }
  facts.hardware_threads = std::thread::hardware_concurrency();
  return facts;
}

std::string FormatRfc3339Ms(int64_t ms) {
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (millis != 0) {
    std::string fraction = std::to_string(1000 + millis).substr(1);  // three digits
    while (fraction.back() == '0') fraction.pop_back();
    out += "." + fraction;
  }
  return out + "Z";
}

std::string StripYamlComments(const std::string& yaml) {
  std::string out;
  size_t start = 0;
  while (start < yaml.size()) {
    size_t end = yaml.find('\n', start);
    if (end == std::string::npos) end = yaml.size();
    const std::string_view line(yaml.data() + start, end - start);
    const size_t first = line.find_first_not_of(' ');
    if (first != std::string_view::npos && line[first] != '#') {
      out.append(line).push_back('\n');
    }
    start = end + 1;
  }
  return out;
}

StatusApi::StatusApi(StatusInfo info, const common::Clock& clock,
                     std::function<ProcessFacts()> process_facts)
    : info_(std::move(info)), clock_(clock), process_facts_(std::move(process_facts)) {}

ApiResponse StatusApi::Build() const {
  const BuildInfo& b = info_.build;
  std::string data = "{\"version\":" + JsonString(b.version);
  data += ",\"revision\":" + JsonString(b.revision);
  data += ",\"branch\":" + JsonString(b.branch);
  data += ",\"buildUser\":" + JsonString(b.build_user);
  data += ",\"buildDate\":" + JsonString(b.build_date);
  data += ",\"goVersion\":" + JsonString(b.compiler) + "}";
  return Success(data);
}

ApiResponse StatusApi::Runtime() const {
  const ProcessFacts facts = process_facts_();
  const std::string start = JsonString(FormatRfc3339Ms(info_.start_time_ms));
  std::string data = "{\"startTime\":" + start;
  data += ",\"CWD\":" + JsonString(facts.cwd);
  data += ",\"hostname\":" + JsonString(facts.hostname);
  data += ",\"serverTime\":" + JsonString(FormatRfc3339Ms(clock_.NowMs()));
  data += ",\"reloadConfigSuccess\":true";
  data += ",\"lastConfigTime\":" + start;
  data += ",\"corruptionCount\":0";
  data += ",\"goroutineCount\":" + std::to_string(facts.threads);
  data += ",\"GOMAXPROCS\":" + std::to_string(facts.hardware_threads);
  data += ",\"GOMEMLIMIT\":" + std::to_string(std::numeric_limits<int64_t>::max());
  data += ",\"GOGC\":\"\",\"GODEBUG\":\"\"";
  data +=
      ",\"storageRetention\":" + JsonString(promql::FormatDuration(info_.storage_retention_ms)) +
      "}";
  return Success(data);
}

ApiResponse StatusApi::Flags() const {
  // Go marshals a map with its keys sorted; a later duplicate wins, as in a Go map.
  std::map<std::string, std::string> sorted;
  for (const auto& [name, value] : info_.flags) sorted[name] = value;
  std::string data = "{";
  for (const auto& [name, value] : sorted) {
    if (data.size() > 1) data.push_back(',');
    AppendJsonString(data, name);
    data.push_back(':');
    AppendJsonString(data, value);
  }
  data.push_back('}');
  return Success(data);
}

ApiResponse StatusApi::Config() const {
  return Success("{\"yaml\":" + JsonString(info_.config_yaml) + "}");
}

}  // namespace strata::collector::api
