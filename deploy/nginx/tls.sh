#!/bin/sh
# Runs before nginx starts (the image's /docker-entrypoint.d): when the tls volume holds no certificate,
# make a private CA and a certificate for MSI_DOMAIN and its subdomains, signed by it. The services
# trust the CA through NODE_EXTRA_CA_CERTS=/tls/ca.crt; a browser is told to trust it once (or put a
# real certificate as /tls/server.crt and /tls/server.key, and its chain as /tls/ca.crt, in the volume).
set -eu
dir="${MSI_TLS_DIR:-/tls}"
domain="${MSI_DOMAIN:?MSI_DOMAIN must be the deployment's domain}"
if [ -s "$dir/server.crt" ] && [ -s "$dir/server.key" ]; then
  echo "msi-tls: using the certificate in $dir"
  exit 0
fi
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=MSI Assistant local CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$domain" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:*.%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$domain" "$domain" > "$dir/ext.cnf"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 825 -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
rm -f "$dir/server.csr" "$dir/ext.cnf"
chmod 644 "$dir/ca.crt" "$dir/server.crt"
echo "msi-tls: made a certificate for $domain and *.$domain, signed by $dir/ca.crt"
