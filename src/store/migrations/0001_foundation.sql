-- Tenants, the operator's settings, API keys, the event-type catalog and endpoints.

create table settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);

create table tenants (
  id text primary key,
  name text not null,
  parent_id text references tenants (id) on delete restrict,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index tenants_parent on tenants (parent_id) where parent_id is not null;

create table api_keys (
  id uuid primary key,
  tenant_id text not null references tenants (id) on delete cascade,
  name text not null,
  key_hash text not null unique,
  prefix text not null,
  last4 text not null,
  permissions text[] not null,
  environment text not null check (environment in ('live', 'test')),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_tenant on api_keys (tenant_id, id);

create table event_types (
  name text primary key,
  description text not null default '',
  schema jsonb,
  deprecated boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table endpoints (
  id uuid primary key,
  tenant_id text not null references tenants (id) on delete cascade,
  url text not null,
  description text not null default '',
  event_types text[] not null,
  -- the sorted subscription set; with tenant and URL it identifies a duplicate endpoint
  event_types_key text not null,
  account_ids text[],
  environment text not null check (environment in ('live', 'test')),
  enabled boolean not null default true,
  disabled_reason text,
  disabled_at timestamptz,
  headers jsonb not null default '{}',
  metadata jsonb not null default '{}',
  secret_sealed text not null,
  previous_secret_sealed text,
  previous_secret_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index endpoints_same_target on endpoints (tenant_id, url, event_types_key);
create index endpoints_tenant on endpoints (tenant_id, id);
create index endpoints_fan_out on endpoints (tenant_id, environment) where enabled;
