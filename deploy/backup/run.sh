#!/bin/sh
# The backup container (compose.yaml `backup`; docs/containers.md): the seed's daily backup with
# scripts/backup.mjs (docs/postgresql.md) — every service's database from its DATABASE_URL secret, Chroma's
# data and the IDP's signing keys into BACKUP_OUT, then the retention of `prune`. The first run is at
# start, then one every BACKUP_INTERVAL_SECONDS (a day). `--once`: one backup and prune, then exit.
set -eu
secrets="${MSI_SECRETS_DIR:-/run/secrets}"
out="${BACKUP_OUT:-/backups}"
for service in idp ticketing organizations api; do
  name=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')_DATABASE_URL
  export "$name=$(cat "$secrets/${service}_database_url")"
done
while :; do
  node scripts/backup.mjs backup --out "$out" --quiet
  node scripts/backup.mjs prune "$out" --keep-daily 7 --keep-weekly 4 --keep-monthly 6
  [ "${1:-}" = "--once" ] && exit 0
  sleep "${BACKUP_INTERVAL_SECONDS:-86400}"
done
