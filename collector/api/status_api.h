#pragma once

// The /api/v1/status/* endpoints that describe the running collector, in Prometheus 3.x's JSON
// shapes (framework-independent like QueryApi; /api/v1/status/tsdb is in tsdb_status.h):
//
//   /api/v1/status/buildinfo    Build()    {version, revision, branch, buildUser, buildDate,
//                                           goVersion}; goVersion names the C++ compiler, since
//                                           clients read only `version`
//   /api/v1/status/runtimeinfo  Runtime()  {startTime, CWD, hostname, serverTime,
//                                           reloadConfigSuccess, lastConfigTime, corruptionCount,
//                                           goroutineCount (threads), GOMAXPROCS (hardware
//                                           threads), GOMEMLIMIT (max int64: no limit), GOGC and
//                                           GODEBUG (""), storageRetention ("3d")}
//   /api/v1/status/flags        Flags()    {"<flag>": "<effective value>", ...}, keys sorted
//   /api/v1/status/config       Config()   {"yaml": "<effective configuration>"}
//
// Times are RFC 3339 in UTC with up to millisecond precision, as Go writes a time.Time.
// The collector has no config reload: reloadConfigSuccess is always true and lastConfigTime is
// the start time.
//
// Threads: the handlers are const and may run concurrently. StatusApi borrows the clock.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "collector/api/response.h"
#include "common/base/clock.h"

namespace strata::collector::api {

struct BuildInfo {
  std::string version;
  std::string revision;    // git commit, "" when built outside a checkout
  std::string branch;      // git branch, "" when unknown
  std::string build_user;  // user@host that configured the build
  std::string build_date;  // "20260101-12:00:00" (UTC), Prometheus' format
  std::string compiler;    // "GNU 12.2.0"
};

// This binary's build facts, recorded when CMake configured the tree.
BuildInfo CurrentBuildInfo();

// What runtimeinfo reports about the process, read on each request.
struct ProcessFacts {
  std::string cwd;
  std::string hostname;
  int64_t threads = 0;
  int64_t hardware_threads = 0;
};

// Reads the facts from the running process (/proc/self/status for the thread count).
ProcessFacts ReadProcessFacts();

struct StatusInfo {
  BuildInfo build;
  int64_t start_time_ms = 0;  // also when the configuration was loaded
  int64_t storage_retention_ms = 0;
  // Command-line flags by name without dashes ("data-dir"), with their effective values.
  std::vector<std::pair<std::string, std::string>> flags;
  // The effective configuration as YAML.
  std::string config_yaml;
};

class StatusApi {
 public:
  StatusApi(StatusInfo info, const common::Clock& clock,
            std::function<ProcessFacts()> process_facts = ReadProcessFacts);

  ApiResponse Build() const;
  ApiResponse Runtime() const;
  ApiResponse Flags() const;
  ApiResponse Config() const;

 private:
  const StatusInfo info_;
  const common::Clock& clock_;
  const std::function<ProcessFacts()> process_facts_;
};

// Milliseconds since the epoch as Go marshals a UTC time.Time (RFC 3339, fraction without
// trailing zeros): "2026-01-01T00:00:00.5Z".
std::string FormatRfc3339Ms(int64_t ms);

// `yaml` without its comment lines (the config reference's documentation).
std::string StripYamlComments(const std::string& yaml);

}  // namespace strata::collector::api
