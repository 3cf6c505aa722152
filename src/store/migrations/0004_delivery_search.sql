-- The delivery search and export page through a tenant's deliveries in creation order (their
-- default sort) with keyset cursors. Without this index every page sorted all the tenant's
-- deliveries again, so exporting n rows cost n²; with it each page starts at its cursor.
create index deliveries_tenant_created on deliveries (tenant_id, created_at, id);
