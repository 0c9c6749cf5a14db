#pragma once

// Sends a pre-encoded data set (node_dataset.h) to a Prometheus remote-write endpoint
// (/api/v1/write) as Prometheus would: one keep-alive connection per shard, each shard's requests
// in order, all shards at once.

#include <cstdint>
#include <string>

#include "bench/common/servers.h"
#include "bench/ingest/node_dataset.h"

namespace strata::bench {

struct SendResult {
  double seconds = 0;
  uint64_t accepted_samples = 0;  // HTTP 2xx requests' samples, or samples_accepted of acks
  uint64_t failures = 0;
  std::string first_failure;
};

// Sends every remote-write request of `d` to `hp` and returns the wall time and what was
// accepted; a failed request is counted (the first failure is described) and sending goes on.
SendResult SendRemoteWrite(const Dataset& d, const HostPort& hp);

}  // namespace strata::bench
