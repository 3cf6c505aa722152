-- Background jobs (replays), and the operator's own tenant whose endpoints receive Herald's
-- operational events.

create table jobs (
  id uuid primary key,
  tenant_id text not null references tenants (id) on delete cascade,
  kind text not null,
  params jsonb not null,
  status text not null check (status in ('queued', 'running', 'succeeded', 'failed')),
  total integer,
  processed integer not null default 0,
  created_count integer not null default 0,
  -- where a running job has got to, so another worker can carry on after a crash
  position text,
  error text,
  locked_until timestamptz,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index jobs_runnable on jobs (created_at) where status in ('queued', 'running');
create index jobs_tenant on jobs (tenant_id, id);

-- The reserved tenant `_herald` (no API key can be made for it: only the operator reaches it).
-- Endpoints the operator adds to it receive endpoint.disabled and delivery.exhausted events.
insert into tenants (id, name) values ('_herald', 'Herald operational events') on conflict (id) do nothing;
insert into event_types (name, description) values
  ('endpoint.disabled', 'Herald disabled an endpoint (410 Gone, or it kept failing).'),
  ('delivery.exhausted', 'A delivery failed its last attempt.')
on conflict (name) do nothing;

-- The auto-disable sweep looks only at endpoints that are failing.
create index endpoints_failing on endpoints (consecutive_failures) where enabled and consecutive_failures > 0;
