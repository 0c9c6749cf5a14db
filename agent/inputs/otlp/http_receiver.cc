#include "agent/inputs/otlp/http_receiver.h"

#include <google/protobuf/util/json_util.h>

#include "google/rpc/status.pb.h"

namespace strata::agent::otlp {
namespace {

namespace collector = opentelemetry::proto::collector::metrics::v1;

constexpr char kProtobuf[] = "application/x-protobuf";
constexpr char kJson[] = "application/json";

common::HttpServerOptions ServerOptions(const OtlpOptions& o, std::string token) {
  common::HttpServerOptions s;
  s.listen = o.http_listen;
  s.bearer_token = std::move(token);
  s.protected_prefixes = {"/v1/"};
  s.max_body_bytes = static_cast<size_t>(o.max_request_bytes);
  s.threads = 4;
  return s;
}

// The media type without parameters, lower-cased.
std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

}  // namespace

HttpReceiver::HttpReceiver(const OtlpOptions& options, std::string bearer_token,
                           ExportHandler& handler, common::Registry& registry)
    : options_(options),
      handler_(handler),
      registry_(registry),
      server_("otlp", ServerOptions(options, std::move(bearer_token)), registry) {
  server_.server().Post("/v1/metrics",
                        [this](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) { Handle(req, res, reader); });
}

HttpReceiver::~HttpReceiver() { Stop(); }

common::Counter& HttpReceiver::Requests(const std::string& code) {
  return registry_.GetCounter("strata_agent_otlp_requests_total",
                              "OTLP export requests, by transport and outcome.",
                              {{"transport", "http"}, {"code", code}});
}

absl::StatusOr<std::string> HttpReceiver::Start() {
  absl::StatusOr<std::string> addr = server_.Listen();
  if (!addr.ok()) return addr.status();
  server_.Start();
  started_ = true;
  return addr;
}

void HttpReceiver::Stop() {
  if (!started_) return;
  server_.Stop();
  started_ = false;
}

void HttpReceiver::Handle(const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
  const std::string type = MediaType(req.get_header_value("Content-Type"));
  const bool json = type == kJson;
  auto fail = [&](int status, int rpc_code, const std::string& message) {
    google::rpc::Status s;
    s.set_code(rpc_code);
    s.set_message(message);
    std::string body;
    if (json) {
      google::protobuf::util::MessageToJsonString(s, &body);
    } else {
      s.SerializeToString(&body);
    }
    res.status = status;
    res.set_content(body, json ? kJson : kProtobuf);
    Requests(std::to_string(status)).Inc();
  };
  if (!json && type != kProtobuf) {
    return fail(
        415, 3,
        "Content-Type must be application/x-protobuf or application/json, not \"" + type + "\"");
  }
  // Read the (decompressed) body ourselves, so that its size is bounded after decompression.
  const size_t max = static_cast<size_t>(options_.max_request_bytes);
  std::string body;
  bool too_large = false;
  reader([&](const char* data, size_t n) {
    if (body.size() + n > max) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large) {
    return fail(413, 8, "request body larger than max_request_bytes (" + std::to_string(max) + ")");
  }
  collector::ExportMetricsServiceRequest request;
  if (json) {
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    auto st = google::protobuf::util::JsonStringToMessage(body, &request, opts);
    if (!st.ok()) return fail(400, 3, "malformed OTLP JSON: " + std::string(st.message()));
  } else if (!request.ParseFromString(body)) {
    return fail(400, 3, "malformed OTLP protobuf");
  }
  collector::ExportMetricsServiceResponse response = handler_.Export(request);
  std::string out;
  if (json) {
    google::protobuf::util::MessageToJsonString(response, &out);
  } else {
    response.SerializeToString(&out);
  }
  res.status = 200;
  res.set_content(out, json ? kJson : kProtobuf);
  Requests("200").Inc();
}

}  // namespace strata::agent::otlp
