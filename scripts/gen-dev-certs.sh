#!/usr/bin/env bash
# Creates a development CA plus a collector (server) and an agent (client) certificate with
# openssl, for the demo and the tests. Not for production: keys are unencrypted.
#
#   scripts/gen-dev-certs.sh DIR [--days N] [--agent-cn NAME]
#
# Writes DIR/ca.pem, DIR/ca-key.pem, DIR/collector.pem, DIR/collector-key.pem, DIR/agent.pem,
# DIR/agent-key.pem. The collector certificate is valid for localhost and 127.0.0.1.
# Existing files are kept (run again after deleting DIR to start over).
set -euo pipefail

dir=${1:?usage: gen-dev-certs.sh DIR [--days N] [--agent-cn NAME]}
shift
days=825
agent_cn="strata-agent-$(hostname)"
while [ $# -gt 0 ]; do
  case "$1" in
    --days) days=$2; shift 2 ;;
    --agent-cn) agent_cn=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$dir"
cd "$dir"
if [ -f ca.pem ] && [ -f collector.pem ] && [ -f agent.pem ]; then
  echo "dev certificates already in $(pwd)"
  exit 0
fi
umask 077
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

new_key ca-key.pem
openssl req -x509 -new -key ca-key.pem -sha256 -days "$days" -subj "/CN=Strata dev CA $(date +%s%N)" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

issue() {  # name cn extensions
  new_key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -sha256 \
    -days "$days" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue collector strata-collector \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:strata-collector,IP:127.0.0.1,IP:::1"
issue agent "$agent_cn" \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
rm -f ca.srl
chmod 644 ca.pem collector.pem agent.pem
echo "dev certificates written to $(pwd)"
