#pragma once

// The HTTP client options the agent shares between scrape jobs and http_sd_configs, under
// Prometheus' keys (the part of its HTTP client config that cpp-httplib covers): `tls_config` for
// https servers, and `basic_auth` or `authorization`, sent with every request, over http as well
// as https, as Prometheus does.
//
// The schemas check the shape: files named together, keys that exclude each other, values that
// cannot go into a header. CheckTlsFiles() reads the TLS files when the job starts, so a wrong
// path or a key that is not the certificate's fails the config naming the key. HttpClient
// (http_client.h) reads the TLS files and the secret files (password_file, credentials_file)
// again for every request, so rotated files are picked up without a reload.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/config/schema.h"

namespace strata::agent::http {

struct TlsConfig {
  std::string ca_file;    // CA bundle for the servers' certificates; "" : the system's roots
  std::string cert_file;  // client certificate, with key_file, for servers that ask for one
  std::string key_file;
  std::string server_name;  // "" : the server's host; else SNI and verification use this name
  bool insecure_skip_verify = false;
};

struct BasicAuth {
  std::string username;
  std::string username_file;
  std::string password;
  std::string password_file;

  bool enabled() const {
    return !username.empty() || !username_file.empty() || !password.empty() ||
           !password_file.empty();
  }
};

struct Authorization {
  std::string type = "Bearer";
  std::string credentials;
  std::string credentials_file;

  // Without credentials nothing is sent (the type alone is not a header worth sending).
  bool enabled() const { return !credentials.empty() || !credentials_file.empty(); }
};

// Where requests go.
struct HttpServer {
  std::string scheme;  // "http" or "https"
  std::string host;    // DNS name or IP address to connect to, IPv6 without brackets
  int port = 0;
  std::string address;  // the server as configured, e.g. "10.0.0.1:9100", for error texts
};

// What HttpClient (http_client.h) is built from: a scrape job's or an http_sd_config's options.
struct HttpClientOptions {
  TlsConfig tls_config;  // https only
  BasicAuth basic_auth;  // at most one of basic_auth and authorization
  Authorization authorization;
  int64_t timeout_ms = 10000;  // each of the connect, read and write timeouts
};

const common::Schema<TlsConfig>& TlsConfigSchema();
const common::Schema<BasicAuth>& BasicAuthSchema();
const common::Schema<Authorization>& AuthorizationSchema();

// OK when every file `tls` names can be used, else InvalidArgument naming the key, e.g.
// "tls_config.ca_file: cannot read /etc/ca.pem": a file that cannot be read, a CA file without a
// PEM certificate, a certificate or key OpenSSL cannot load, a key that is not the certificate's.
absl::Status CheckTlsFiles(const TlsConfig& tls);

// True when `s` holds a control character (CR, LF, ...), which must not reach a header.
bool HasControlCharacter(const std::string& s);

// "" when at most one of `basic_auth` and `authorization` is set, else the error for the
// enclosing schema's Check (both would fill the one Authorization header).
std::string CheckOneAuthorization(const BasicAuth& basic_auth, const Authorization& authorization);

}  // namespace strata::agent::http
