#include "collector/api/http_routes.h"

#include "collector/api/tsdb_status.h"

namespace strata::collector {
namespace {

api::ApiRequest ToApiRequest(const httplib::Request& req) {
  api::ApiRequest out;
  // httplib merges URL query parameters and form-encoded POST bodies into params.
  for (const auto& [k, v] : req.params) out.params.emplace(k, v);
  return out;
}

void Reply(const api::ApiResponse& r, httplib::Response& res) {
  res.status = r.status;
  res.set_content(r.body, "application/json");
}

}  // namespace

void RegisterHttpRoutes(httplib::Server& server, api::QueryApi& query_api,
                        ingest::RemoteWriteHandler& remote_write, const hot::Head& head,
                        const common::Registry& registry, const std::atomic<bool>& ready) {
  auto query = [&query_api](const httplib::Request& req, httplib::Response& res) {
    Reply(query_api.InstantQuery(ToApiRequest(req)), res);
  };
  server.Get("/api/v1/query", query);
  server.Post("/api/v1/query", query);
  auto query_range = [&query_api](const httplib::Request& req, httplib::Response& res) {
    Reply(query_api.RangeQuery(ToApiRequest(req)), res);
  };
  server.Get("/api/v1/query_range", query_range);
  server.Post("/api/v1/query_range", query_range);
  auto series = [&query_api](const httplib::Request& req, httplib::Response& res) {
    Reply(query_api.Series(ToApiRequest(req)), res);
  };
  server.Get("/api/v1/series", series);
  server.Post("/api/v1/series", series);
  auto labels = [&query_api](const httplib::Request& req, httplib::Response& res) {
    Reply(query_api.LabelNames(ToApiRequest(req)), res);
  };
  server.Get("/api/v1/labels", labels);
  server.Post("/api/v1/labels", labels);
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
