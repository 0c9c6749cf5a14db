#include "agent/inputs/ebpf/cgroup_paths.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

namespace strata::agent::ebpf {
namespace {
constexpr size_t kMaxDirs = 200000;
}  // namespace

std::string CgroupPaths::Path(uint64_t id) {
  auto it = paths_.find(id);
  if (it == paths_.end() && may_walk_) {
    Walk();
    it = paths_.find(id);
  }
  return it == paths_.end() ? "" : it->second;
}

void CgroupPaths::Walk() {
  may_walk_ = false;
  paths_.clear();
  namespace fs = std::filesystem;
  std::error_code ec;
  struct stat st;
  if (::stat(root_.c_str(), &st) == 0) paths_[st.st_ino] = "/";
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec);
  size_t dirs = 0;
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) {
      if (it->is_symlink(ec)) it.disable_recursion_pending();
      continue;
    }
    if (++dirs > kMaxDirs) break;
    if (::stat(it->path().c_str(), &st) != 0) continue;
    paths_[st.st_ino] = "/" + fs::relative(it->path(), root_, ec).string();
  }
}

}  // namespace strata::agent::ebpf
