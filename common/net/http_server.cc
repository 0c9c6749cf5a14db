#include "common/net/http_server.h"

#include <charconv>

#include "common/base/log.h"

namespace strata::common {

bool SplitHostPort(const std::string& addr, std::string* host, int* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = addr.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string p = addr.substr(colon + 1);
  int v = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc() || ptr != p.data() + p.size() || v < 0 || v > 65535) return false;
  *host = h.empty() ? "0.0.0.0" : h;
  *port = v;
  return true;
}

HttpServer::HttpServer(std::string name, HttpServerOptions options, Registry& registry)
    : name_(std::move(name)),
      options_(std::move(options)),
      registry_(registry),
      server_(std::make_unique<httplib::Server>()) {
  size_t threads = options_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_read_timeout(options_.read_timeout_ms / 1000,
                            (options_.read_timeout_ms % 1000) * 1000);
  server_->set_write_timeout(options_.write_timeout_ms / 1000,
                             (options_.write_timeout_ms % 1000) * 1000);
  server_->set_payload_max_length(options_.max_body_bytes);
  // Headers and body go out in separate writes; with Nagle on, a small response on a kept-alive
  // connection waits for the client's delayed ACK (about 40 ms per request, bench/query).
  server_->set_tcp_nodelay(true);
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (options_.bearer_token.empty()) return httplib::Server::HandlerResponse::Unhandled;
    for (const std::string& prefix : options_.protected_prefixes) {
      if (req.path.rfind(prefix, 0) == 0) {
        if (req.get_header_value("Authorization") != "Bearer " + options_.bearer_token) {
          res.status = 401;
          res.set_header("WWW-Authenticate", "Bearer");
          res.set_content(
              R"({"status":"error","errorType":"unauthorized","error":"missing or wrong bearer token"})",
              "application/json");
          return httplib::Server::HandlerResponse::Handled;
        }
        break;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Compression: Debian's cpp-httplib is built with CPPHTTPLIB_ZLIB_SUPPORT and
  // CPPHTTPLIB_BROTLI_SUPPORT (its pkg-config Cflags define both for us too), so httplib itself
  // gzip- or brotli-encodes every text/* and application/json response when the request's
  // Accept-Encoding allows it (br preferred, as httplib decides), on every route. It has no size
  // threshold. We add the Vary header caches need.
  server_->set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Vary", "Accept-Encoding");
  });
  server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    // Bound the label set: unknown paths are folded into "other".
    std::string path = req.matches.empty() ? "other" : req.path;
    if (path.rfind("/api/v1/label/", 0) == 0) path = "/api/v1/label/:name/values";
    registry_
        .GetCounter("strata_http_requests_total", "HTTP requests served, by path and code.",
                    {{"server", name_}, {"path", path}, {"code", std::to_string(res.status)}})
        .Inc();
  });
}

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<std::string> HttpServer::Listen() {
  std::string host;
  int port = 0;
  if (!SplitHostPort(options_.listen, &host, &port)) {
    return absl::InvalidArgumentError("invalid listen address \"" + options_.listen +
                                      "\" (want host:port)");
  }
  int bound = port;
  if (port == 0) {
    bound = server_->bind_to_any_port(host);
  } else if (!server_->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError("cannot listen on " + options_.listen +
                                  " (address in use or not permitted)");
  }
  return host + ":" + std::to_string(bound);
}

void HttpServer::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("http-" + name_).substr(0, 15).c_str());
    server_->listen_after_bind();
  });
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace strata::common
