#pragma once

// Certificates for TLS tests, made with OpenSSL in the test's temp dir: a CA, and certificates it
// signs (a server certificate for given subject alternative names, or a client certificate).
// EC P-256 keys, valid from a minute ago for a day. Test-only: keys are written unencrypted.

#include <string>

namespace strata::agent::scrape {

// A new directory under the test temp dir, for this process alone: ctest runs the tests of one
// binary as parallel processes, which must not overwrite each other's files.
std::string UniqueTempDir();

struct CertFiles {
  std::string cert;  // PEM certificate path
  std::string key;   // PEM private key path
};

class TestCa {
 public:
  // Writes <dir>/<name>-ca.pem and <dir>/<name>-ca-key.pem.
  TestCa(const std::string& dir, const std::string& name);

  const std::string& ca_file() const { return ca_.cert; }

  // A certificate signed by this CA for `alt_names` in OpenSSL's syntax, e.g.
  // "DNS:localhost,IP:127.0.0.1" (empty: none, as for a client certificate).
  CertFiles Issue(const std::string& name, const std::string& alt_names) const;

 private:
  std::string dir_;
  CertFiles ca_;
};

}  // namespace strata::agent::scrape
