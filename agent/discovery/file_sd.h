#pragma once

// file_sd_configs: target groups read from JSON or YAML files (Prometheus' format and rules:
// `files` are paths whose last element may be a glob such as `targets/*.json`, and only names
// ending in .json, .yml or .yaml are read; each group gets `__meta_filepath`).
//
// Poll() is cheap and meant to be called often (about once a second): it lists the globs and
// stats each file, and reads only files that are new or whose size, mtime or inode changed,
// plus every file once per refresh_interval. A file that fails to read or parse keeps the
// groups it had last (and is logged once per change, and counted); a file that disappears drops
// its groups. Not thread-safe: one poller per config.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/discovery/discoverer.h"
#include "agent/discovery/target_group.h"
#include "common/base/clock.h"
#include "common/config/schema.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::discovery {

struct FileSdConfig {
  std::vector<std::string> files;
  int64_t refresh_interval_ms = 5 * 60 * 1000;
};

const common::Schema<FileSdConfig>& FileSdConfigSchema();

class FileDiscoverer final : public Discoverer {
 public:
  FileDiscoverer(FileSdConfig config, const common::Clock& clock, common::Counter& read_errors);

  // The groups of every file when anything changed since the last call (the first call always
  // returns them), else nullopt.
  std::optional<std::vector<TargetGroup>> Poll() override;

 private:
  struct FileState {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    std::string error;  // the last read or parse error, "" when the last read was good
    std::vector<TargetGroup> groups;
  };
  // The files the globs name now, sorted.
  std::vector<std::string> ListFiles() const;
  // Re-reads `path` into `state`; true when its groups changed.
  bool Read(const std::string& path, FileState* state);

  const FileSdConfig config_;
  const common::Clock& clock_;
  common::Counter& read_errors_;
  std::map<std::string, FileState> files_;
  int64_t last_refresh_ms_ = 0;
  bool first_ = true;
};

}  // namespace strata::agent::discovery
