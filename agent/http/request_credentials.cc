#include "agent/http/request_credentials.h"

#include <cctype>
#include <utility>

#include "common/net/tls_files.h"

namespace strata::agent::http {
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

}  // namespace

absl::StatusOr<RequestCredentials> ReadRequestCredentials(const BasicAuth& basic_auth,
                                                          const Authorization& authorization) {
  RequestCredentials out;
  if (basic_auth.enabled()) {
    out.basic = true;
    out.username = basic_auth.username;
    out.password = basic_auth.password;
    if (!basic_auth.username_file.empty()) {
      absl::StatusOr<std::string> u =
          ReadSecretFile("basic_auth.username_file", basic_auth.username_file);
      if (!u.ok()) return u.status();
      out.username = *std::move(u);
    }
    if (!basic_auth.password_file.empty()) {
      absl::StatusOr<std::string> p =
          ReadSecretFile("basic_auth.password_file", basic_auth.password_file);
      if (!p.ok()) return p.status();
      out.password = *std::move(p);
    }
  } else if (authorization.enabled()) {
    std::string credentials = authorization.credentials;
    if (!authorization.credentials_file.empty()) {
      absl::StatusOr<std::string> c =
          ReadSecretFile("authorization.credentials_file", authorization.credentials_file);
      if (!c.ok()) return c.status();
      credentials = *std::move(c);
    }
    const std::string type = authorization.type.empty() ? "Bearer" : authorization.type;
    out.authorization = type + " " + credentials;
  }
  return out;
}

}  // namespace strata::agent::http
