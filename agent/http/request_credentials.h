#pragma once

// The credentials of one request, resolved from basic_auth or authorization (http_client_config.h)
// by reading their secret files now. Called for every request, so a username_file,
// password_file or credentials_file rotated on disk is used from the next request on, as
// Prometheus does.

#include <string>

#include "absl/status/statusor.h"
#include "agent/http/http_client_config.h"

namespace strata::agent::http {

struct RequestCredentials {
  bool basic = false;  // send username and password as HTTP basic authentication
  std::string username;
  std::string password;
  std::string authorization;  // the Authorization header's value ("Bearer tok3n"); "" : none
};

// What `basic_auth` (preferred when both are set: the schemas forbid that) or `authorization`
// send; nothing when neither is enabled. A secret file's content is used without surrounding
// whitespace. Unavailable naming the key when a file cannot be read or holds control characters,
// e.g. "basic_auth.password_file: cannot read /etc/pw".
absl::StatusOr<RequestCredentials> ReadRequestCredentials(const BasicAuth& basic_auth,
                                                          const Authorization& authorization);

}  // namespace strata::agent::http
