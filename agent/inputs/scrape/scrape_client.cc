#include "agent/inputs/scrape/scrape_client.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cctype>
#include <memory>

#include "absl/status/statusor.h"
#include "common/net/tls_files.h"

namespace strata::agent::scrape {
namespace {

// A secret file's content without surrounding whitespace (Prometheus trims it likewise).
absl::StatusOr<std::string> ReadSecretFile(const std::string& key, const std::string& path) {
  absl::StatusOr<std::string> data = common::ReadSmallFile(path);
  if (!data.ok()) {
    return absl::UnavailableError(key + ": " + std::string(data.status().message()));
  }
  std::string s = *std::move(data);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  s.erase(0, start);
  if (HasControlCharacter(s)) {
    return absl::UnavailableError(key + ": " + path + " holds control characters");
  }
  return s;
}

// The numeric address to connect to for `host` (itself when it is one), "" when unresolvable.
std::string NumericAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    return host;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr =
      result->ai_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(result->ai_addr)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr);
  const bool ok = inet_ntop(result->ai_family, addr, text, sizeof(text)) != nullptr;
  freeaddrinfo(result);
  return ok ? std::string(text) : "";
}

// The Host header: the address as written, a bare IPv6 address in brackets.
std::string HostHeader(const ScrapeTarget& target) {
  if (target.address.find(':') != std::string::npos && target.address.front() != '[' &&
      target.address.find(':') != target.address.rfind(':')) {
    return "[" + target.address + "]";
  }
  return target.address;
}

}  // namespace

ScrapeClient::ScrapeClient(const ScrapeConfig& config, const common::Clock& clock)
    : clock_(clock),
      timeout_ms_(config.scrape_timeout_ms),
      body_size_limit_bytes_(config.body_size_limit_bytes),
      tls_(config.tls_config),
      basic_auth_(config.basic_auth),
      authorization_(config.authorization) {}

FetchResult ScrapeClient::Fetch(const ScrapeTarget& target) const {
  FetchResult out;
  httplib::Headers headers = {
      // OpenMetrics preferred, the text format accepted: Prometheus 2.x's Accept header.
      {"Accept",
       "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
       "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"},
      {"Accept-Encoding", "gzip"},
      {"X-Prometheus-Scrape-Timeout-Seconds", std::to_string(timeout_ms_ / 1000.0)},
      {"User-Agent", "strata-agent"},
      {"Host", HostHeader(target)}};
  std::string username = basic_auth_.username;
  std::string password = basic_auth_.password;
  if (basic_auth_.enabled()) {
    if (!basic_auth_.username_file.empty()) {
      absl::StatusOr<std::string> u =
          ReadSecretFile("basic_auth.username_file", basic_auth_.username_file);
      if (!u.ok()) return {std::string(u.status().message()), "", ""};
      username = *std::move(u);
    }
    if (!basic_auth_.password_file.empty()) {
      absl::StatusOr<std::string> p =
          ReadSecretFile("basic_auth.password_file", basic_auth_.password_file);
      if (!p.ok()) return {std::string(p.status().message()), "", ""};
      password = *std::move(p);
    }
  } else if (authorization_.enabled()) {
    std::string credentials = authorization_.credentials;
    if (!authorization_.credentials_file.empty()) {
      absl::StatusOr<std::string> c =
          ReadSecretFile("authorization.credentials_file", authorization_.credentials_file);
      if (!c.ok()) return {std::string(c.status().message()), "", ""};
      credentials = *std::move(c);
    }
    const std::string type = authorization_.type.empty() ? "Bearer" : authorization_.type;
    headers.emplace("Authorization", type + " " + credentials);
  }

  std::unique_ptr<httplib::ClientImpl> client;
  httplib::SSLClient* tls = nullptr;
  std::string verify_name = target.host;
  if (target.scheme == "https") {
    if (!tls_.server_name.empty()) verify_name = tls_.server_name;
    auto ssl = tls_.cert_file.empty()
                   ? std::make_unique<httplib::SSLClient>(verify_name, target.port)
                   : std::make_unique<httplib::SSLClient>(verify_name, target.port, tls_.cert_file,
                                                          tls_.key_file);
    if (!ssl->is_valid()) {
      out.error =
          "tls_config: cannot use cert_file " + tls_.cert_file + " with key_file " + tls_.key_file;
      return out;
    }
    if (!tls_.ca_file.empty()) ssl->set_ca_cert_path(tls_.ca_file);
    ssl->enable_server_certificate_verification(!tls_.insecure_skip_verify);
    if (verify_name != target.host) {
      // SNI and verification use server_name; the connection still goes to the target's host.
      const std::string ip = NumericAddress(target.host);
      if (ip.empty()) {
        out.error = "cannot resolve host \"" + target.host + "\"";
        return out;
      }
      ssl->set_hostname_addr_map({{verify_name, ip}});
    }
    tls = ssl.get();
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(target.host, target.port);
  }
  if (basic_auth_.enabled()) client->set_basic_auth(username, password);
  const int64_t timeout = timeout_ms_;
  client->set_connection_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client->set_read_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client->set_write_timeout(timeout / 1000, (timeout % 1000) * 1000);

  std::string path = target.metrics_path;
  if (!target.query.empty()) {
    path += (path.find('?') == std::string::npos ? "?" : "&") + target.query;
  }
  ERR_clear_error();  // this thread's OpenSSL errors from now on are this scrape's
  const int64_t start = clock_.MonotonicMs();
  auto res = client->Get(path, headers, [&](const char* data, size_t len) {
    if (out.body.size() + len > static_cast<size_t>(body_size_limit_bytes_)) {
      out.error = "body exceeds body_size_limit";
      return false;
    }
    if (clock_.MonotonicMs() - start > timeout) {
      out.error = "scrape_timeout exceeded";
      return false;
    }
    out.body.append(data, len);
    return true;
  });
  if (!out.error.empty()) return out;
  if (!res) {
    const httplib::Error error = res.error();
    if (tls != nullptr && error == httplib::Error::SSLServerVerification) {
      const long verify = tls->get_openssl_verify_result();
      // A chain that verifies but was refused: the certificate is not for this name.
      out.error = "TLS: certificate of " + target.address + " not accepted: " +
                  (verify == X509_V_OK ? "it is not valid for \"" + verify_name + "\""
                                       : std::string(X509_verify_cert_error_string(verify)));
    } else {
      out.error = tls != nullptr && error == httplib::Error::SSLConnection
                      ? "TLS: handshake with " + target.address + " failed"
                      : httplib::to_string(error);
      // What OpenSSL saw, e.g. the server's alert when it wants a client certificate (with
      // TLS 1.3 that arrives after the handshake, as a failed read).
      if (const unsigned long e = ERR_peek_error(); tls != nullptr && e != 0) {
        const char* reason = ERR_reason_error_string(e);
        out.error += std::string(" (TLS: ") + (reason != nullptr ? reason : "unknown") + ")";
      }
    }
    ERR_clear_error();
    return out;
  }
  if (res->status != 200) {
    out.error = "HTTP status " + std::to_string(res->status);
    return out;
  }
  out.content_type = res->get_header_value("Content-Type");
  return out;
}

}  // namespace strata::agent::scrape
