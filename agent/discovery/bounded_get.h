#pragma once

// GetBounded: an HTTP GET whose body is read into `body` only up to `max_bytes`; a longer body
// aborts the transfer and sets `too_large`, so a discovery endpoint cannot make the agent
// buffer without bound. Works with httplib::Client and httplib::ClientImpl (plain or TLS).

#include <httplib.h>

#include <cstddef>
#include <string>

namespace strata::agent::discovery {

template <typename HttpClient>
httplib::Result GetBounded(HttpClient& client, const std::string& path,
                           const httplib::Headers& headers, size_t max_bytes, std::string* body,
                           bool* too_large) {
  body->clear();
  *too_large = false;
  return client.Get(path, headers, [&](const char* data, size_t len) {
    if (body->size() + len > max_bytes) {
      *too_large = true;
      return false;
    }
    body->append(data, len);
    return true;
  });
}

}  // namespace strata::agent::discovery
