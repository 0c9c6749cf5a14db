#include "bench/common/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

extern char** environ;

namespace strata::bench {

namespace fs = std::filesystem;

namespace {

// Children still running and temp dirs still present, killed and removed by Fail() so that a
// failed run leaves no servers and no data behind.
std::mutex& LiveMutex() {
  static std::mutex mu;
  return mu;
}
std::set<pid_t>& Live() {
  static std::set<pid_t> live;
  return live;
}
std::set<std::string>& LiveDirs() {
  static std::set<std::string> dirs;
  return dirs;
}

}  // namespace

void Fail(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  {
    std::lock_guard<std::mutex> lock(LiveMutex());
    for (pid_t pid : Live()) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    std::error_code ec;
    for (const std::string& dir : LiveDirs()) fs::remove_all(dir, ec);
  }
  std::exit(1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double CpuSeconds(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t p = stat.rfind(')');
  if (p == std::string::npos) Fail("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream in(stat.substr(p + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After the comm field: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

uint64_t PeakRssBytes(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t p = status.find("VmHWM:");
  if (p == std::string::npos) Fail("no VmHWM for pid " + std::to_string(pid));
  return std::stoull(status.substr(p + 6)) * 1024;
}

uint64_t StatusBytes(pid_t pid, const std::string& field) {
  const std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  const size_t p = status.find("\n" + field + ":");
  if (p == std::string::npos) return 0;
  return std::stoull(status.substr(p + field.size() + 2)) * 1024;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

Process::Process(const std::vector<std::string>& args, const std::string& log_path)
    : log_(log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    Fail("cannot start " + args[0]);
  }
  posix_spawn_file_actions_destroy(&actions);
  std::lock_guard<std::mutex> lock(LiveMutex());
  Live().insert(pid_);
}

Process::~Process() { Stop(); }

void Process::Reaped() {
  std::lock_guard<std::mutex> lock(LiveMutex());
  Live().erase(pid_);
  pid_ = -1;
}

bool Process::Exited() {
  if (pid_ <= 0) return true;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    Reaped();
    return true;
  }
  return false;
}

void Process::Stop(double timeout_s) {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!Exited()) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "pid %d did not stop in %.0f s; killing it\n", pid_, timeout_s);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      Reaped();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TempDir::TempDir(const std::string& parent, const std::string& name) : name_(name) {
  std::string tmpl = parent + "/" + name + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp in " + parent + " failed");
  path_ = tmpl;
  std::lock_guard<std::mutex> lock(LiveMutex());
  LiveDirs().insert(path_);
}

TempDir::~TempDir() {
  {
    std::lock_guard<std::mutex> lock(LiveMutex());
    LiveDirs().erase(path_);
  }
  std::error_code ec;
  if (!keep_ && !name_.empty() && path_.find("/" + name_ + "-") != std::string::npos) {
    fs::remove_all(path_, ec);
  }
}

}  // namespace strata::bench
