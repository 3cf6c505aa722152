-- Pending rows by endpoint, for the claim's round of the endpoints (store/claim.ts): when the head
-- of the queue belongs to endpoints at their cap, a claim reaches everyone else's due rows through
-- this index instead of reading the capped endpoints' whole backlog in due order.
create index deliveries_due_by_endpoint on deliveries (endpoint_id, next_attempt_at) where status = 'pending';
