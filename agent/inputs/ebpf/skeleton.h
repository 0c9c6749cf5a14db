#pragma once

// Skeleton<T>: owns a bpftool-generated skeleton (T is e.g. strata_oom_kills) from open to
// destroy, turning libbpf's errno results into absl::Status. Only built with STRATA_HAVE_EBPF.

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"

namespace strata::agent::ebpf {

template <typename T>
class Skeleton {
 public:
  Skeleton() = default;
  ~Skeleton() {
    if (skel_ != nullptr) T::destroy(skel_);
  }
  Skeleton(const Skeleton&) = delete;
  Skeleton& operator=(const Skeleton&) = delete;

  absl::Status Open() {
    skel_ = T::open();
    return skel_ != nullptr ? absl::OkStatus() : Error("open", errno);
  }
  // Loads into the kernel and attaches every program; call after Open() and any rodata setup.
  absl::Status LoadAndAttach() {
    if (int err = T::load(skel_); err != 0) return Error("load", -err);
    if (int err = T::attach(skel_); err != 0) return Error("attach", -err);
    return absl::OkStatus();
  }
  T* operator->() const { return skel_; }

 private:
  static absl::Status Error(const char* step, int err) {
    std::string what = std::string(step) + ": " + std::strerror(err);
    if (err == EPERM || err == EACCES) {
      what += " (needs root, or CAP_BPF and CAP_PERFMON)";
      return absl::PermissionDeniedError(what);
    }
    return absl::UnavailableError(what);
  }

  T* skel_ = nullptr;
};

}  // namespace strata::agent::ebpf
