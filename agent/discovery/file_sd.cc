#include "agent/discovery/file_sd.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/base/log.h"

namespace strata::agent::discovery {
namespace {

using common::Log;
using common::LogLevel;

bool HasTargetFileExtension(const std::string& path) {
  for (const char* ext : {".json", ".yml", ".yaml"}) {
    const std::string e(ext);
    if (path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

const common::Schema<FileSdConfig>& FileSdConfigSchema() {
  static const common::Schema<FileSdConfig> schema = [] {
    common::Schema<FileSdConfig> s;
    s.StringList("files", &FileSdConfig::files,
                 "target files (.json, .yml, .yaml); the last path element may be a glob")
        .DurationMs("refresh_interval", &FileSdConfig::refresh_interval_ms,
                    "re-read every file this often even without a change", 1000)
        .Check([](const FileSdConfig& c) -> std::string {
          if (c.files.empty()) return "file_sd_configs needs at least one entry in files";
          for (const std::string& f : c.files) {
            const size_t slash = f.rfind('/');
            const std::string dir = slash == std::string::npos ? "" : f.substr(0, slash);
            if (dir.find_first_of("*?[") != std::string::npos) {
              return "path \"" + f +
                     "\" is not valid for file discovery: only the last element "
                     "may be a glob";
            }
            if (!HasTargetFileExtension(f)) {
              return "path \"" + f + "\" must end in .json, .yml or .yaml";
            }
          }
          return "";
        });
    return s;
  }();
  return schema;
}

FileDiscoverer::FileDiscoverer(FileSdConfig config, const common::Clock& clock,
                               common::Counter& read_errors)
    : config_(std::move(config)), clock_(clock), read_errors_(read_errors) {}

std::vector<std::string> FileDiscoverer::ListFiles() const {
  std::vector<std::string> out;
  for (const std::string& pattern : config_.files) {
    glob_t g{};
    if (glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        if (HasTargetFileExtension(path)) out.push_back(std::move(path));
      }
    }
    globfree(&g);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool FileDiscoverer::Read(const std::string& path, FileState* state) {
  std::ifstream in(path, std::ios::binary);
  std::string error;
  std::vector<TargetGroup> groups;
  if (!in) {
    error = "cannot open";
  } else {
    std::ostringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::vector<TargetGroup>> parsed =
        ParseTargetGroups(text.str(), "__meta_filepath", path);
    if (parsed.ok()) {
      groups = *std::move(parsed);
    } else {
      error = std::string(parsed.status().message());
    }
  }
  if (!error.empty()) {
    read_errors_.Inc();
    if (error != state->error) {
      Log(LogLevel::kWarn, "discovery", "target file not loaded; keeping its previous targets",
          {{"file", path}, {"error", error}});
    }
    state->error = error;
    return false;
  }
  if (!state->error.empty()) {
    Log(LogLevel::kInfo, "discovery", "target file loaded again", {{"file", path}});
  }
  state->error.clear();
  if (groups == state->groups) return false;
  state->groups = std::move(groups);
  return true;
}

std::optional<std::vector<TargetGroup>> FileDiscoverer::Poll() {
  const int64_t now = clock_.MonotonicMs();
  const bool refresh = now - last_refresh_ms_ >= config_.refresh_interval_ms;
  if (refresh) last_refresh_ms_ = now;
  bool changed = first_;
  first_ = false;
  const std::vector<std::string> paths = ListFiles();
  // Files that are gone take their groups with them.
  for (auto it = files_.begin(); it != files_.end();) {
    if (std::binary_search(paths.begin(), paths.end(), it->first)) {
      ++it;
      continue;
    }
    changed = changed || !it->second.groups.empty();
    it = files_.erase(it);
  }
  for (const std::string& path : paths) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) continue;  // vanished between the glob and now
    FileState& state = files_[path];
    const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                             static_cast<int64_t>(st.st_mtim.tv_nsec);
    const bool same = state.dev == st.st_dev && state.ino == st.st_ino &&
                      state.size == st.st_size && state.mtime_ns == mtime_ns;
    if (same && !refresh) continue;
    state.dev = st.st_dev;
    state.ino = st.st_ino;
    state.size = st.st_size;
    state.mtime_ns = mtime_ns;
    if (Read(path, &state)) changed = true;
  }
  if (!changed) return std::nullopt;
  std::vector<TargetGroup> out;
  for (const auto& [path, state] : files_) {
    out.insert(out.end(), state.groups.begin(), state.groups.end());
  }
  return out;
}

}  // namespace strata::agent::discovery
