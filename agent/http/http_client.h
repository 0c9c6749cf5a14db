#pragma once

// HttpClient: a cpp-httplib client for one server, set up from the HTTP client options that
// scrape jobs and http_sd_configs share (http_client_config.h), and the text that says why a
// request failed. Scrape jobs (inputs/scrape/scrape_client.h) and HTTP SD (discovery/http_sd.h)
// build one per request, so TLS files and secret files rotated on disk are used from the next
// request on.
//
// https uses an SSLClient: ca_file (else the system's roots), cert_file/key_file for servers that
// ask for a client certificate, insecure_skip_verify. With tls_config.server_name the connection
// still goes to the server's host while SNI and certificate verification use that name. httplib
// then sends server_name as the Host header: callers that want the server's address as Host (as
// Prometheus sends it) put it in the request's headers.
//
// A client is used from one thread at a time; it owns its connection.

#include <httplib.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/http/http_client_config.h"

namespace strata::agent::http {

class HttpClient {
 public:
  // A client for `server`. Reads the secret files (request_credentials.h) and, for https, loads
  // the TLS files. Unavailable naming the key when a secret file cannot be read; InvalidArgument
  // when cert_file and key_file cannot be used together, or when server_name is set and the
  // server's host does not resolve.
  static absl::StatusOr<HttpClient> Create(const HttpServer& server,
                                           const HttpClientOptions& options);

  HttpClient(HttpClient&&) = default;
  HttpClient& operator=(HttpClient&&) = default;

  // GET `path` (with query) sending `headers` plus the configured credentials; the body goes to
  // `receiver`, which stops the transfer by returning false. Failure is in the result's error().
  httplib::Result Get(const std::string& path, httplib::Headers headers,
                      httplib::ContentReceiver receiver);

  // What `error` (of the last Get) means, for logs and metrics: for a certificate that was
  // refused, OpenSSL's reason ("TLS: certificate of 10.0.0.1:443 not accepted: unable to get
  // local issuer certificate", or "... it is not valid for \"name\"" when the chain verifies but
  // the name does not match); for a failed handshake or a connection the TLS layer broke,
  // httplib's error with OpenSSL's reason, e.g. "Read (TLS: tlsv13 alert certificate required)";
  // else httplib's error ("Connection", "Read", ...).
  std::string DescribeError(httplib::Error error) const;

 private:
  HttpClient(std::unique_ptr<httplib::ClientImpl> client, httplib::SSLClient* tls,
             std::string address, std::string verify_name, std::string authorization);

  std::unique_ptr<httplib::ClientImpl> client_;
  httplib::SSLClient* tls_;  // client_ when https, else null
  std::string address_;
  std::string verify_name_;    // the name the certificate is checked against
  std::string authorization_;  // Authorization header; "" : none (basic auth is on client_)
};

}  // namespace strata::agent::http
