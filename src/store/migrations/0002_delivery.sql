-- Events, deliveries (the queue), attempts (the log) and idempotency keys.

create table events (
  id uuid primary key,
  tenant_id text not null references tenants (id) on delete cascade,
  type text not null,
  environment text not null check (environment in ('live', 'test')),
  account_id text,
  related_entity_id text,
  related_entity_type text,
  -- the published `data`, exactly as received (never re-serialised)
  payload text not null,
  created_at timestamptz not null
);
create index events_tenant on events (tenant_id, id);

-- One event for one endpoint. While `pending`, `next_attempt_at` is when it is due; a worker that
-- claims it pushes `next_attempt_at` to the end of its lease, so a worker that dies simply lets
-- the lease run out and the delivery becomes due again. No foreign key to endpoints: the log
-- outlives a deleted endpoint.
create table deliveries (
  id uuid primary key,
  tenant_id text not null references tenants (id) on delete cascade,
  event_id uuid not null references events (id) on delete cascade,
  endpoint_id uuid not null,
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  attempt_count integer not null default 0,
  next_attempt_at timestamptz,
  locked_until timestamptz,
  last_attempt_at timestamptz,
  last_outcome text,
  last_status_code integer,
  last_error text,
  succeeded_at timestamptz,
  cloned_from uuid,
  created_at timestamptz not null
);
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';
create index deliveries_tenant on deliveries (tenant_id, id);
create index deliveries_endpoint on deliveries (endpoint_id, id);
create index deliveries_event on deliveries (event_id);

create table attempts (
  id uuid primary key,
  delivery_id uuid not null references deliveries (id) on delete cascade,
  tenant_id text not null,
  endpoint_id uuid not null,
  attempt_number integer not null,
  url text not null,
  request_headers jsonb not null,
  outcome text not null,
  status_code integer,
  response_headers jsonb,
  response_body text,
  response_truncated boolean not null default false,
  error text,
  duration_ms integer not null,
  created_at timestamptz not null
);
create index attempts_delivery on attempts (delivery_id, id);
create index attempts_endpoint on attempts (endpoint_id, id);

create table idempotency_keys (
  tenant_id text not null,
  scope text not null,
  key text not null,
  request_hash text not null,
  -- set while the first request runs; a crashed request's lock expires and the key can be reused
  locked_until timestamptz,
  response_status integer,
  response_body jsonb,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (tenant_id, scope, key)
);
create index idempotency_keys_expiry on idempotency_keys (expires_at);

-- Auto-disable bookkeeping on the endpoint: consecutive failed deliveries and the last success.
alter table endpoints add column consecutive_failures integer not null default 0;
alter table endpoints add column last_success_at timestamptz;
