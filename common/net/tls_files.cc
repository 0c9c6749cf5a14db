#include "common/net/tls_files.h"

#include <fstream>
#include <sstream>

namespace strata::common {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string data = buf.str();
  if (data.size() > (1u << 20)) return absl::InvalidArgumentError(path + " is larger than 1 MiB");
  return data;
}

absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsFileOptions& options, bool require_cert) {
  TlsMaterial m;
  if (options.ca_file.empty()) return absl::InvalidArgumentError("tls.ca_file is required");
  auto ca = ReadSmallFile(options.ca_file);
  if (!ca.ok())
    return absl::InvalidArgumentError("tls.ca_file: " + std::string(ca.status().message()));
  if (ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return absl::InvalidArgumentError("tls.ca_file: " + options.ca_file +
                                      " holds no PEM certificate");
  }
  m.ca_pem = *std::move(ca);
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("tls.cert_file and tls.key_file must be set together");
  }
  if (options.cert_file.empty()) {
    if (require_cert)
      return absl::InvalidArgumentError("tls.cert_file and tls.key_file are required");
    return m;
  }
  auto cert = ReadSmallFile(options.cert_file);
  if (!cert.ok())
    return absl::InvalidArgumentError("tls.cert_file: " + std::string(cert.status().message()));
  auto key = ReadSmallFile(options.key_file);
  if (!key.ok())
    return absl::InvalidArgumentError("tls.key_file: " + std::string(key.status().message()));
  m.cert_pem = *std::move(cert);
  m.key_pem = *std::move(key);
  return m;
}

}  // namespace strata::common
