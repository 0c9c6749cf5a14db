#include "tests/unit/agent/inputs/scrape/test_certs.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace strata::agent::scrape {

std::string UniqueTempDir() {
  std::string path = ::testing::TempDir() + "/strata-test-XXXXXX";
  if (mkdtemp(path.data()) == nullptr) throw std::runtime_error("mkdtemp " + path);
  return path;
}
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

void Require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Require(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, signed by `issuer_key` (self-signed when `issuer` is null).
Cert MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, bool is_ca,
              const std::string& alt_names) {
  static long serial = 1;
  Cert cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer == nullptr ? cert.get() : issuer;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  AddExtension(cert.get(), signer, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (is_ca) AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  if (!alt_names.empty()) AddExtension(cert.get(), signer, NID_subject_alt_name, alt_names);
  Require(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "sign");
  return cert;
}

void WriteFiles(const CertFiles& files, X509* cert, EVP_PKEY* key) {
  FILE* c = std::fopen(files.cert.c_str(), "w");
  Require(c != nullptr, "open cert file");
  PEM_write_X509(c, cert);
  std::fclose(c);
  FILE* k = std::fopen(files.key.c_str(), "w");
  Require(k != nullptr, "open key file");
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(k);
}

Key ReadKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  Require(f != nullptr, "read key");
  Key key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::fclose(f);
  Require(key != nullptr, "parse key");
  return key;
}

Cert ReadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  Require(f != nullptr, "read cert");
  Cert cert(PEM_read_X509(f, nullptr, nullptr, nullptr), X509_free);
  std::fclose(f);
  Require(cert != nullptr, "parse cert");
  return cert;
}

}  // namespace

TestCa::TestCa(const std::string& dir, const std::string& name)
    : dir_(dir), ca_{dir + "/" + name + "-ca.pem", dir + "/" + name + "-ca-key.pem"} {
  Key key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Require(key != nullptr, "CA key");
  Cert cert = MakeCert(key.get(), name + " test CA", nullptr, key.get(), true, "");
  WriteFiles(ca_, cert.get(), key.get());
}

CertFiles TestCa::Issue(const std::string& name, const std::string& alt_names) const {
  const CertFiles files{dir_ + "/" + name + ".pem", dir_ + "/" + name + "-key.pem"};
  Key ca_key = ReadKey(ca_.key);
  Cert ca_cert = ReadCert(ca_.cert);
  Key key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Require(key != nullptr, "key");
  Cert cert = MakeCert(key.get(), name, ca_cert.get(), ca_key.get(), false, alt_names);
  WriteFiles(files, cert.get(), key.get());
  return files;
}

}  // namespace strata::agent::scrape
