#pragma once

// What the end-to-end benchmark drivers print around their figures: the machine they ran on, its
// load average (other work on a shared machine skews figures; printing it makes that visible),
// and order statistics of repeated measurements.

#include <string>
#include <vector>

namespace strata::bench {

// "machine: nproc=N, cpu=<model name>, MemTotal: ... kB\n".
std::string MachineLine();

// The 1, 5 and 15 minute load averages of /proc/loadavg, e.g. "1.95 2.58 3.49".
std::string Loadavg();

// The median of `v` (the mean of the two middle values for an even count); `v` is not empty.
double Median(std::vector<double> v);

// The nearest-rank `p`-th percentile (0 < p <= 100) of `v`: the smallest value with at least p%
// of the values at or below it; `v` is not empty. With 20 values, p95 is the 19th smallest.
double Percentile(std::vector<double> v, double p);

}  // namespace strata::bench
