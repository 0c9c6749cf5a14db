#include "agent/discovery/kubernetes_sd.h"

#include <httplib.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "agent/discovery/bounded_get.h"
#include "agent/discovery/json_subset.h"
#include "common/base/log.h"
#include "common/net/tls_files.h"

namespace strata::agent::discovery {
namespace {

constexpr const char* kFailureReasons[] = {"connect", "http_status", "too_large", "bad_response",
                                           "credentials"};

// The `message` of a Kubernetes Status body (what a 401 or 403 says), shortened; "" if none.
std::string StatusMessage(const std::string& body) {
  static const JsonPathSet kMessage = {"message"};
  absl::StatusOr<nlohmann::json> doc = ParseJsonSubset(body, kMessage);
  if (!doc.ok() || !doc->is_object()) return "";
  auto it = doc->find("message");
  if (it == doc->end() || !it->is_string()) return "";
  std::string m = it->get<std::string>();
  if (m.size() > 200) m = m.substr(0, 200) + "...";
  return m;
}

}  // namespace

KubernetesDiscoverer::KubernetesDiscoverer(KubernetesListRequest request,
                                           const common::Clock& clock, common::Registry& registry,
                                           const std::string& job)
    : request_(std::move(request)),
      clock_(clock),
      skipped_pods_(registry.GetCounter(
          "strata_agent_sd_kubernetes_pods_skipped_total",
          "Pods listed by the Kubernetes API that do not match the Pod schema and were left out, "
          "counted on every refresh.",
          {{"job", job}})) {
  for (size_t i = 0; i < kFailureKinds; ++i) {
    failures_[i] = &registry.GetCounter(
        "strata_agent_sd_kubernetes_failures_total",
        "Kubernetes SD refreshes (kubernetes_sd_configs) that failed, by reason; the previous "
        "targets are kept.",
        {{"job", job}, {"reason", kFailureReasons[i]}});
  }
  common::Log(common::LogLevel::kInfo, "discovery", "Kubernetes pod discovery",
              {{"job", job},
               {"api_server", request_.api_server},
               {"node", request_.node},
               {"lists", request_.paths.size()}});
}

absl::StatusOr<PodListTargets> KubernetesDiscoverer::Fetch(Failure* failure) const {
  std::string token;
  if (!request_.bearer_token_file.empty()) {
    absl::StatusOr<std::string> t = common::ReadSmallFile(request_.bearer_token_file);
    *failure = Failure::kCredentials;
    if (!t.ok())
      return absl::UnavailableError("bearer_token_file: " + std::string(t.status().message()));
    token = *std::move(t);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    if (token.empty()) {
      return absl::UnavailableError("bearer_token_file " + request_.bearer_token_file +
                                    " is empty");
    }
    if (std::any_of(token.begin(), token.end(),
                    [](char c) { return std::iscntrl(static_cast<unsigned char>(c)); })) {
      return absl::UnavailableError("bearer_token_file " + request_.bearer_token_file +
                                    " holds control characters");
    }
  }

  std::unique_ptr<httplib::ClientImpl> client;
  httplib::SSLClient* tls = nullptr;
  if (request_.https) {
    auto ssl = std::make_unique<httplib::SSLClient>(request_.host, request_.port);
    if (!request_.ca_file.empty()) ssl->set_ca_cert_path(request_.ca_file);
    ssl->enable_server_certificate_verification(!request_.insecure_skip_verify);
    tls = ssl.get();
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(request_.host, request_.port);
  }
  const int64_t timeout = std::min<int64_t>(request_.refresh_interval_ms, 10000);
  client->set_connection_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client->set_read_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client->set_write_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client->set_keep_alive(request_.paths.size() > 1);
  httplib::Headers headers = {
      {"Accept", "application/json"}, {"Accept-Encoding", "gzip"}, {"User-Agent", "strata-agent"}};
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);

  PodListTargets all;
  for (const std::string& path : request_.paths) {
    std::string body;
    bool too_large = false;
    auto res = GetBounded(*client, path, headers, kMaxBodyBytes, &body, &too_large);
    if (too_large) {
      *failure = Failure::kTooLarge;
      return absl::ResourceExhaustedError("response exceeds " + std::to_string(kMaxBodyBytes) +
                                          " bytes");
    }
    if (!res) {
      *failure = Failure::kConnect;
      std::string error = httplib::to_string(res.error());
      if (tls != nullptr && res.error() == httplib::Error::SSLServerVerification) {
        error +=
            std::string(": ") + X509_verify_cert_error_string(tls->get_openssl_verify_result());
      }
      return absl::UnavailableError(error);
    }
    if (res->status != 200) {
      *failure = Failure::kHttpStatus;
      const std::string message = StatusMessage(body);
      return absl::UnavailableError("API server answered HTTP " + std::to_string(res->status) +
                                    (message.empty() ? "" : ": " + message));
    }
    absl::StatusOr<PodListTargets> parsed = PodListToTargetGroups(body);
    if (!parsed.ok()) {
      *failure =
          absl::IsResourceExhausted(parsed.status()) ? Failure::kTooLarge : Failure::kBadResponse;
      return parsed.status();
    }
    all.pods += parsed->pods;
    all.skipped_pods += parsed->skipped_pods;
    std::move(parsed->groups.begin(), parsed->groups.end(), std::back_inserter(all.groups));
  }
  return all;
}

std::optional<std::vector<TargetGroup>> KubernetesDiscoverer::Poll() {
  const int64_t now = clock_.MonotonicMs();
  if (last_fetch_ms_ && now - *last_fetch_ms_ < request_.refresh_interval_ms) return std::nullopt;
  last_fetch_ms_ = now;
  Failure failure = Failure::kConnect;
  absl::StatusOr<PodListTargets> fetched = Fetch(&failure);
  if (!fetched.ok()) {
    failures_[static_cast<size_t>(failure)]->Inc();
    if (failed_refreshes_++ == 0) {
      common::Log(common::LogLevel::kWarn, "discovery",
                  "Kubernetes API not read; keeping the previous targets",
                  {{"api_server", request_.api_server},
                   {"node", request_.node},
                   {"reason", kFailureReasons[static_cast<size_t>(failure)]},
                   {"error", std::string(fetched.status().message())}});
    }
    // Nothing known yet: report the empty set once, so the job starts with its other targets.
    if (!groups_) {
      groups_.emplace();
      return groups_;
    }
    return std::nullopt;
  }
  if (failed_refreshes_ > 0) {
    common::Log(common::LogLevel::kInfo, "discovery", "Kubernetes API read again",
                {{"api_server", request_.api_server}, {"failed_refreshes", failed_refreshes_}});
  }
  failed_refreshes_ = 0;
  skipped_pods_.Inc(static_cast<double>(fetched->skipped_pods));
  if (fetched->skipped_pods != last_skipped_ && fetched->skipped_pods > 0) {
    common::Log(common::LogLevel::kWarn, "discovery",
                "Kubernetes pods left out: they do not match the Pod schema",
                {{"api_server", request_.api_server},
                 {"skipped", fetched->skipped_pods},
                 {"pods", fetched->pods}});
  }
  last_skipped_ = fetched->skipped_pods;
  if (groups_ && *groups_ == fetched->groups) return std::nullopt;
  groups_ = std::move(fetched->groups);
  return groups_;
}

}  // namespace strata::agent::discovery
