#pragma once

// The HTTP client options of a scrape job, under Prometheus' keys (the part of its HTTP client
// config that cpp-httplib covers): `tls_config` for https targets, and `basic_auth` or
// `authorization`, sent with every scrape request of the job, over http as well as https, as
// Prometheus does.
//
// The schemas check the shape: files named together, keys that exclude each other, values that
// cannot go into a header. CheckTlsFiles() reads the TLS files when the job starts, so a wrong
// path or a key that is not the certificate's fails the config naming the key. The scrape client
// (scrape_client.h) reads the TLS files and the secret files (password_file, credentials_file)
// again on every scrape, so rotated files are picked up without a reload.

#include <string>

#include "absl/status/status.h"
#include "common/config/schema.h"

namespace strata::agent::scrape {

struct TlsConfig {
  std::string ca_file;    // CA bundle for the targets' certificates; "" : the system's roots
  std::string cert_file;  // client certificate, with key_file, for targets that ask for one
  std::string key_file;
  std::string server_name;  // "" : the target's host; else SNI and verification use this name
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

const common::Schema<TlsConfig>& TlsConfigSchema();
const common::Schema<BasicAuth>& BasicAuthSchema();
const common::Schema<Authorization>& AuthorizationSchema();

// OK when every file `tls` names can be used, else InvalidArgument naming the key, e.g.
// "tls_config.ca_file: cannot read /etc/ca.pem": a file that cannot be read, a CA file without a
// PEM certificate, a certificate or key OpenSSL cannot load, a key that is not the certificate's.
absl::Status CheckTlsFiles(const TlsConfig& tls);

// True when `s` holds a control character (CR, LF, ...), which must not reach a header.
bool HasControlCharacter(const std::string& s);

}  // namespace strata::agent::scrape
