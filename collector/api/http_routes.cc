#include "collector/api/http_routes.h"

#include <utility>

#include "collector/api/empty_endpoints.h"
#include "collector/api/tsdb_status.h"

namespace strata::collector {
namespace {

api::ApiRequest ToApiRequest(const httplib::Request& req) {
  api::ApiRequest out;
  // httplib merges URL query parameters and form-encoded POST bodies into params.
  for (const auto& [k, v] : req.params) out.params.emplace(k, v);
  return out;
}

// Moves the body in: set_content would copy it, megabytes for a large range query.
void Reply(api::ApiResponse r, httplib::Response& res) {
  res.status = r.status;
  res.body = std::move(r.body);
  res.set_header("Content-Type", "application/json");
}

// Serves `handle` (ApiRequest -> ApiResponse) on GET and form-encoded POST, as Prometheus does
// for its query endpoints.
template <typename Handle>
void GetAndPost(httplib::Server& server, const char* path, Handle handle) {
  auto handler = [handle](const httplib::Request& req, httplib::Response& res) {
    Reply(handle(ToApiRequest(req)), res);
  };
  server.Get(path, handler);
  server.Post(path, handler);
}

// Serves `handle` (ApiRequest -> ApiResponse) on GET only.
template <typename Handle>
void GetOnly(httplib::Server& server, const char* path, Handle handle) {
  server.Get(path, [handle](const httplib::Request& req, httplib::Response& res) {
    Reply(handle(ToApiRequest(req)), res);
  });
}

}  // namespace

void RegisterHttpRoutes(httplib::Server& server, api::QueryApi& query_api,
                        const api::StatusApi& status_api, ingest::RemoteWriteHandler& remote_write,
                        const hot::Head& head, const common::Registry& registry,
                        const std::atomic<bool>& ready) {
  using api::ApiRequest;
  GetAndPost(server, "/api/v1/query",
             [&query_api](const ApiRequest& r) { return query_api.InstantQuery(r); });
  GetAndPost(server, "/api/v1/query_range",
             [&query_api](const ApiRequest& r) { return query_api.RangeQuery(r); });
  GetAndPost(server, "/api/v1/series",
             [&query_api](const ApiRequest& r) { return query_api.Series(r); });
  GetAndPost(server, "/api/v1/labels",
             [&query_api](const ApiRequest& r) { return query_api.LabelNames(r); });
  GetAndPost(server, "/api/v1/format_query",
             [&query_api](const ApiRequest& r) { return query_api.FormatQuery(r); });
  GetAndPost(server, "/api/v1/parse_query",
             [&query_api](const ApiRequest& r) { return query_api.ParseQuery(r); });
  GetAndPost(server, "/api/v1/query_exemplars", api::QueryExemplars);
  GetOnly(server, "/api/v1/metadata", api::Metadata);
  GetOnly(server, "/api/v1/rules", api::Rules);
  GetOnly(server, "/api/v1/alerts", api::Alerts);
  GetOnly(server, "/api/v1/status/buildinfo",
          [&status_api](const ApiRequest&) { return status_api.Build(); });
  GetOnly(server, "/api/v1/status/runtimeinfo",
          [&status_api](const ApiRequest&) { return status_api.Runtime(); });
  GetOnly(server, "/api/v1/status/flags",
          [&status_api](const ApiRequest&) { return status_api.Flags(); });
  GetOnly(server, "/api/v1/status/config",
          [&status_api](const ApiRequest&) { return status_api.Config(); });
  server.Get(R"(/api/v1/label/([^/]+)/values)",
             [&query_api](const httplib::Request& req, httplib::Response& res) {
               Reply(query_api.LabelValues(req.matches[1].str(), ToApiRequest(req)), res);
             });
  server.Get("/api/v1/status/tsdb", [&head](const httplib::Request& req, httplib::Response& res) {
    Reply(api::TsdbStatus(head, ToApiRequest(req)), res);
  });
  server.Post("/api/v1/write", [&remote_write](const httplib::Request& req,
                                               httplib::Response& res) {
    ingest::RemoteWriteResult r = remote_write.Handle(
        req.body, req.get_header_value("Content-Encoding"), req.get_header_value("Content-Type"));
    res.status = r.http_status;
    if (!r.error_message.empty()) res.set_content(r.error_message + "\n", "text/plain");
  });
  server.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/-/ready", [&ready](const httplib::Request&, httplib::Response& res) {
    if (ready.load()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready\n", "text/plain");
    }
  });
}

}  // namespace strata::collector
