#include "agent/http/http_client_config.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "common/net/tls_files.h"

namespace strata::agent::http {
namespace {

absl::Status TlsError(const std::string& key, const std::string& message) {
  ERR_clear_error();  // what OpenSSL queued is summed up in `message`
  return absl::InvalidArgumentError("tls_config." + key + ": " + message);
}

// Reads `path` for `key`, so a missing file is reported as such and not as a PEM error.
absl::Status Readable(const std::string& key, const std::string& path) {
  absl::StatusOr<std::string> data = common::ReadSmallFile(path);
  if (!data.ok()) return TlsError(key, std::string(data.status().message()));
  return absl::OkStatus();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool HasControlCharacter(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; });
}

const common::Schema<TlsConfig>& TlsConfigSchema() {
  static const common::Schema<TlsConfig> schema = [] {
    common::Schema<TlsConfig> s;
    s.String("ca_file", &TlsConfig::ca_file,
             "CA bundle (PEM) for the servers' certificates; empty: the system's roots")
        .String("cert_file", &TlsConfig::cert_file,
                "client certificate (PEM) for servers that ask for one; needs key_file")
        .String("key_file", &TlsConfig::key_file, "private key (PEM) of cert_file")
        .String("server_name", &TlsConfig::server_name,
                "name sent as SNI and checked against the certificate; empty: the server's host")
        .Bool("insecure_skip_verify", &TlsConfig::insecure_skip_verify,
              "do not verify the servers' certificates")
        .Check([](const TlsConfig& c) -> std::string {
          if (!c.cert_file.empty() && c.key_file.empty()) {
            return "cert_file \"" + c.cert_file + "\" is set without key_file";
          }
          if (c.cert_file.empty() && !c.key_file.empty()) {
            return "key_file \"" + c.key_file + "\" is set without cert_file";
          }
          if (HasControlCharacter(c.server_name)) {
            return "server_name must not contain control characters";
          }
          return "";
        });
    return s;
  }();
  return schema;
}

const common::Schema<BasicAuth>& BasicAuthSchema() {
  static const common::Schema<BasicAuth> schema = [] {
    common::Schema<BasicAuth> s;
    s.String("username", &BasicAuth::username, "user name")
        .String("username_file", &BasicAuth::username_file,
                "file holding the user name, re-read for every request")
        .String("password", &BasicAuth::password, "password")
        .String("password_file", &BasicAuth::password_file,
                "file holding the password, re-read for every request")
        .Check([](const BasicAuth& c) -> std::string {
          if (!c.username.empty() && !c.username_file.empty()) {
            return "at most one of username and username_file may be set";
          }
          if (!c.password.empty() && !c.password_file.empty()) {
            return "at most one of password and password_file may be set";
          }
          if (HasControlCharacter(c.username) || HasControlCharacter(c.password)) {
            return "username and password must not contain control characters";
          }
          if (c.username.find(':') != std::string::npos) {
            return "username must not contain ':' (it separates user and password)";
          }
          return "";
        });
    return s;
  }();
  return schema;
}

const common::Schema<Authorization>& AuthorizationSchema() {
  static const common::Schema<Authorization> schema = [] {
    common::Schema<Authorization> s;
    s.String("type", &Authorization::type,
             "authentication scheme of the Authorization header; empty: Bearer")
        .String("credentials", &Authorization::credentials,
                "credentials sent after the type (e.g. the bearer token)")
        .String("credentials_file", &Authorization::credentials_file,
                "file holding the credentials, re-read for every request")
        .Check([](const Authorization& c) -> std::string {
          if (!c.credentials.empty() && !c.credentials_file.empty()) {
            return "at most one of credentials and credentials_file may be set";
          }
          if (Lower(c.type) == "basic") {
            return "type cannot be \"" + c.type + "\": use basic_auth instead";
          }
          if (std::any_of(c.type.begin(), c.type.end(), [](char ch) {
                return std::isspace(static_cast<unsigned char>(ch)) ||
                       std::iscntrl(static_cast<unsigned char>(ch));
              })) {
            return "type \"" + c.type + "\" must be one word";
          }
          if (HasControlCharacter(c.credentials)) {
            return "credentials must not contain control characters";
          }
          return "";
        });
    return s;
  }();
  return schema;
}

std::string CheckOneAuthorization(const BasicAuth& basic_auth, const Authorization& authorization) {
  if (basic_auth.enabled() && authorization.enabled()) {
    return "at most one of basic_auth and authorization may be set";
  }
  return "";
}

absl::Status CheckTlsFiles(const TlsConfig& tls) {
  if (!tls.ca_file.empty()) {
    absl::StatusOr<std::string> ca = common::ReadSmallFile(tls.ca_file);
    if (!ca.ok()) return TlsError("ca_file", std::string(ca.status().message()));
    if (ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return TlsError("ca_file", tls.ca_file + " holds no PEM certificate");
    }
  }
  if (tls.cert_file.empty()) return absl::OkStatus();
  if (absl::Status s = Readable("cert_file", tls.cert_file); !s.ok()) return s;
  if (absl::Status s = Readable("key_file", tls.key_file); !s.ok()) return s;
  // Loaded the way HttpClient loads them, so what passes here works there. The key goes
  // first: loading it after a certificate it does not match would fail as an unusable key.
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (ctx == nullptr) return TlsError("cert_file", "OpenSSL could not create a context");
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return TlsError("key_file", tls.key_file + " holds no usable PEM private key");
  }
  if (SSL_CTX_use_certificate_file(ctx.get(), tls.cert_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return TlsError("cert_file", tls.cert_file + " holds no usable PEM certificate");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return TlsError("key_file", tls.key_file + " is not the private key of " + tls.cert_file);
  }
  return absl::OkStatus();
}

}  // namespace strata::agent::http
