#!/bin/sh
# PostgreSQL's first start (the image's /docker-entrypoint-initdb.d, run once, on an empty volume):
# a role and a database per service, as docs/postgresql.md lists them. Each service's password is the
# one in its DATABASE_URL secret (/run/secrets/<service>_database_url), so there is one place for it.
set -eu
# The secrets compose mounts; another directory for a test run against a scratch cluster.
secrets="${MSI_SECRETS_DIR:-/run/secrets}"
for service in idp ticketing organizations api; do
  url=$(cat "${secrets}/${service}_database_url")
  password=$(printf '%s' "$url" | sed -E 's#^postgres(ql)?://[^:/@]+:([^@]+)@.*$#\2#')
  if [ -z "$password" ] || [ "$password" = "$url" ]; then
    echo "init-databases: ${secrets}/${service}_database_url must be postgres://msi_${service}:PASSWORD@postgres:5432/msi_${service}" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="msi_${service}" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
SQL
done
# Ticketing's case-insensitive names (docs/postgresql.md); trusted since PostgreSQL 13, made here anyway.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname msi_ticketing -c 'CREATE EXTENSION IF NOT EXISTS citext'
