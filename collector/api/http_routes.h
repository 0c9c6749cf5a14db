#pragma once

// Wires the collector's HTTP endpoints onto an httplib server: the Prometheus query API (GET and
// form-encoded POST), its status and empty-result endpoints, Prometheus remote write
// (POST /api/v1/write), /metrics (our own counters), /healthz, /-/healthy and /-/ready.
// Compression (gzip/br by Accept-Encoding) is applied to every route by common::HttpServer.

#include <httplib.h>

#include <atomic>

#include "collector/api/query_api.h"
#include "collector/api/status_api.h"
#include "collector/ingest/remote_write/remote_write_handler.h"
#include "collector/storage/hot/head/head.h"
#include "common/selfmon/metrics.h"

namespace strata::collector {

// `ready` turns true once ingest and storage are up and false when shutdown begins.
void RegisterHttpRoutes(httplib::Server& server, api::QueryApi& query_api,
                        const api::StatusApi& status_api, ingest::RemoteWriteHandler& remote_write,
                        const hot::Head& head, const common::Registry& registry,
                        const std::atomic<bool>& ready);

}  // namespace strata::collector
