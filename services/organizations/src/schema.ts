import { MEMBER_PERMISSIONS } from '@msi/kit/demo';
import type { Migration } from '@msi/kit';

export const ORG_STATUSES = ['live', 'degraded', 'down'] as const;
export type OrgStatus = (typeof ORG_STATUSES)[number];
export const ORG_TYPES = ['police', 'sheriff', 'fire', 'ems', 'city', 'utility', 'enterprise'] as const;
export const TIERS = ['essentials', 'professional', 'enterprise'] as const;
export const PRODUCTS = [
  'V700 Body Camera',
  'M500 In-Car Video',
  'Evidence Library',
  'Aware',
  'Docking Station DS-8',
] as const;
export type Product = (typeof PRODUCTS)[number];

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

/** The organizations database (MSI_DATA_DIR/organizations/organizations.sqlite). Applied in order, once. */
export const MIGRATIONS: Migration[] = [
  `
  CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    legacy_name   TEXT UNIQUE COLLATE NOCASE,
    type          TEXT NOT NULL CHECK (type IN (${list(ORG_TYPES)})),
    region        TEXT NOT NULL,
    tier          TEXT NOT NULL CHECK (tier IN (${list(TIERS)})),
    status        TEXT NOT NULL CHECK (status IN (${list(ORG_STATUSES)})),
    aware_service TEXT,
    customer_since TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  );
  CREATE TABLE deployments (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    product          TEXT NOT NULL CHECK (product IN (${list(PRODUCTS)})),
    status           TEXT NOT NULL CHECK (status IN (${list(ORG_STATUSES)})),
    version          TEXT NOT NULL,
    device_count     INTEGER NOT NULL CHECK (device_count >= 0),
    last_incident    TEXT,
    last_incident_at TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (org_id, product)
  );
  CREATE TABLE members (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations(id),
    username   TEXT NOT NULL COLLATE NOCASE,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    title      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, username)
  );
  CREATE TABLE member_permissions (
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    permission TEXT NOT NULL CHECK (permission IN (${list(MEMBER_PERMISSIONS)})),
    PRIMARY KEY (member_id, permission)
  ) WITHOUT ROWID;
  -- Append-only: who changed what, when, with the state before and after (JSON).
  CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    org_id  INTEGER REFERENCES organizations(id),
    subject TEXT,
    before  TEXT,
    after   TEXT,
    note    TEXT
  );
  CREATE INDEX events_org ON events (org_id, id);
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
  `,
];
