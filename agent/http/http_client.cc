#include "agent/http/http_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <utility>

#include "agent/http/request_credentials.h"

namespace strata::agent::http {
namespace {

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

}  // namespace

HttpClient::HttpClient(std::unique_ptr<httplib::ClientImpl> client, httplib::SSLClient* tls,
                       std::string address, std::string verify_name, std::string authorization)
    : client_(std::move(client)),
      tls_(tls),
      address_(std::move(address)),
      verify_name_(std::move(verify_name)),
      authorization_(std::move(authorization)) {}

absl::StatusOr<HttpClient> HttpClient::Create(const HttpServer& server,
                                              const HttpClientOptions& options) {
  // Secrets first: an unreadable secret file is the error, whatever TLS would say.
  absl::StatusOr<RequestCredentials> credentials =
      ReadRequestCredentials(options.basic_auth, options.authorization);
  if (!credentials.ok()) return credentials.status();

  const TlsConfig& tls = options.tls_config;
  std::unique_ptr<httplib::ClientImpl> client;
  httplib::SSLClient* ssl_client = nullptr;
  std::string verify_name = server.host;
  if (server.scheme == "https") {
    if (!tls.server_name.empty()) verify_name = tls.server_name;
    auto ssl = tls.cert_file.empty()
                   ? std::make_unique<httplib::SSLClient>(verify_name, server.port)
                   : std::make_unique<httplib::SSLClient>(verify_name, server.port, tls.cert_file,
                                                          tls.key_file);
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError("tls_config: cannot use cert_file " + tls.cert_file +
                                        " with key_file " + tls.key_file);
    }
    if (!tls.ca_file.empty()) ssl->set_ca_cert_path(tls.ca_file);
    ssl->enable_server_certificate_verification(!tls.insecure_skip_verify);
    if (verify_name != server.host) {
      // SNI and verification use server_name; the connection still goes to the server's host.
      const std::string ip = NumericAddress(server.host);
      if (ip.empty()) {
        return absl::InvalidArgumentError("cannot resolve host \"" + server.host + "\"");
      }
      ssl->set_hostname_addr_map({{verify_name, ip}});
    }
    ssl_client = ssl.get();
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(server.host, server.port);
  }
  if (credentials->basic) client->set_basic_auth(credentials->username, credentials->password);
  const int64_t timeout = options.timeout_ms;
  client->set_connection_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client->set_read_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client->set_write_timeout(timeout / 1000, (timeout % 1000) * 1000);
  return HttpClient(std::move(client), ssl_client, server.address, std::move(verify_name),
                    std::move(credentials->authorization));
}

httplib::Result HttpClient::Get(const std::string& path, httplib::Headers headers,
                                httplib::ContentReceiver receiver) {
  if (!authorization_.empty()) headers.emplace("Authorization", authorization_);
  ERR_clear_error();  // this thread's OpenSSL errors from now on are this request's
  return client_->Get(path, headers, std::move(receiver));
}

std::string HttpClient::DescribeError(httplib::Error error) const {
  std::string text;
  if (tls_ != nullptr && error == httplib::Error::SSLServerVerification) {
    const long verify = tls_->get_openssl_verify_result();
    // A chain that verifies but was refused: the certificate is not for this name.
    text = "TLS: certificate of " + address_ + " not accepted: " +
           (verify == X509_V_OK ? "it is not valid for \"" + verify_name_ + "\""
                                : std::string(X509_verify_cert_error_string(verify)));
  } else {
    text = tls_ != nullptr && error == httplib::Error::SSLConnection
               ? "TLS: handshake with " + address_ + " failed"
               : httplib::to_string(error);
    // What OpenSSL saw, e.g. the server's alert when it wants a client certificate (with TLS 1.3
    // that arrives after the handshake, as a failed read).
    if (const unsigned long e = ERR_peek_error(); tls_ != nullptr && e != 0) {
      const char* reason = ERR_reason_error_string(e);
      text += std::string(" (TLS: ") + (reason != nullptr ? reason : "unknown") + ")";
    }
  }
  ERR_clear_error();
  return text;
}

}  // namespace strata::agent::http
