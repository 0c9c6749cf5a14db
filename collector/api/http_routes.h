#pragma once

// Wires the collector's HTTP endpoints onto an httplib server: the Prometheus query API
// (GET and form-encoded POST), /metrics (our own counters), /healthz and /-/ready.

#include <httplib.h>

#include <atomic>

#include "collector/api/query_api.h"
#include "common/selfmon/metrics.h"

namespace strata::collector {

// `ready` turns true once ingest and storage are up and false when shutdown begins.
void RegisterHttpRoutes(httplib::Server& server, api::QueryApi& query_api,
                        const common::Registry& registry, const std::atomic<bool>& ready);

}  // namespace strata::collector
