#include "bench/common/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/common/process.h"

namespace strata::bench {

std::string MachineLine() {
  std::string cpuinfo = ReadFile("/proc/cpuinfo"), model = "?";
  size_t p = cpuinfo.find("model name");
  if (p != std::string::npos) {
    size_t c = cpuinfo.find(':', p);
    model = cpuinfo.substr(c + 2, cpuinfo.find('\n', c) - c - 2);
  }
  std::string mem = ReadFile("/proc/meminfo");
  char head[64];
  std::snprintf(head, sizeof(head), "machine: nproc=%ld, cpu=", sysconf(_SC_NPROCESSORS_ONLN));
  return head + model + ", " + mem.substr(0, mem.find('\n') + 1);
}

std::string Loadavg() {
  std::string s = ReadFile("/proc/loadavg");
  return s.substr(0, s.find(' ', s.find(' ', s.find(' ') + 1) + 1));
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(p / 100 * static_cast<double>(v.size()));
  const size_t i = static_cast<size_t>(std::max(1.0, rank)) - 1;
  return v[std::min(i, v.size() - 1)];
}

}  // namespace strata::bench
