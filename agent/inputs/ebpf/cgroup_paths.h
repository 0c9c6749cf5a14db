#pragma once

// CgroupPaths: names cgroups by their path for the `cgroup` label ("/system.slice/ssh.service",
// "/kubepods/burstable/pod.../<container>"), from the ids BPF reports. A cgroup's id (v2) or
// kernfs id (v1) is the inode number of its directory, so the hierarchy under `root` is walked
// once and re-walked when an unknown id shows up (at most once per Refresh call, so an id that
// no longer exists costs one walk per collection, not one per lookup).
//
// Bounds: the walk stops after 200000 directories. Path() returns "" for an id it cannot name.

#include <cstdint>
#include <string>
#include <unordered_map>

namespace strata::agent::ebpf {

class CgroupPaths {
 public:
  explicit CgroupPaths(std::string root) : root_(std::move(root)) {}

  // Allows one more walk: call once per collection before the lookups.
  void Refresh() { may_walk_ = true; }
  // The path of cgroup `id` relative to the root ("/" for the root itself), or "".
  std::string Path(uint64_t id);

  size_t size() const { return paths_.size(); }

 private:
  void Walk();

  std::string root_;
  bool may_walk_ = true;
  std::unordered_map<uint64_t, std::string> paths_;
};

}  // namespace strata::agent::ebpf
