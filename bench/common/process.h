#pragma once

// Child processes and /proc readings for the end-to-end benchmarks (bench/ingest, bench/query),
// which start real servers (the Strata collector, VictoriaMetrics) on 127.0.0.1 and measure them
// from outside. Everything here is for a benchmark driver's main thread; failures abort the run
// through Fail(), since figures from a half-working set-up are worthless.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace strata::bench {

// Prints "<program>: <what>" to stderr, kills the children started through Process, removes the
// TempDirs and exits with status 1.
[[noreturn]] void Fail(const std::string& what);

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

// utime + stime of a process (/proc/PID/stat), in seconds.
double CpuSeconds(pid_t pid);

// Peak resident set size (VmHWM of /proc/PID/status), in bytes.
uint64_t PeakRssBytes(pid_t pid);

// A field of /proc/PID/status given in kB (e.g. "RssAnon", "RssFile"), in bytes; 0 when absent.
uint64_t StatusBytes(pid_t pid, const std::string& field);

// Bytes of the regular files under `dir` (apparent sizes; symlinks are not followed).
uint64_t DirBytes(const std::string& dir);

// A child process with stdout and stderr going to one log file. The destructor stops it; Fail()
// kills every child still running.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  std::string Log() const { return ReadFile(log_); }
  // True once the child has exited (it is reaped then).
  bool Exited();
  // SIGTERM and wait (servers flush on a graceful stop); SIGKILL after `timeout_s`.
  void Stop(double timeout_s = 120);

 private:
  void Reaped();

  std::string log_;
  pid_t pid_ = -1;
};

namespace internal {
inline bool IsEmpty(bool v) { return !v; }
inline bool IsEmpty(const std::string& v) { return v.empty(); }
}  // namespace internal

// Polls `f` every 100 ms until it returns true or a non-empty string, which is returned; fails
// the run after `timeout_s` with "timed out waiting for <what>".
template <typename F>
auto WaitFor(F f, double timeout_s, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    auto v = f();
    if (!internal::IsEmpty(v)) return v;
    if (std::chrono::steady_clock::now() > deadline) Fail("timed out waiting for " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// The benchmark's own temp dir, `parent/<name>-XXXXXX` made by mkdtemp; the destructor (or Fail())
// removes that exact path (and nothing else).
class TempDir {
 public:
  TempDir(const std::string& parent, const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Leaves the directory in place at destruction (for inspecting or reusing it).
  void Keep() { keep_ = true; }

 private:
  std::string name_;
  std::string path_;
  bool keep_ = false;
};

}  // namespace strata::bench
