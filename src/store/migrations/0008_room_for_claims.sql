-- Room on every page for the claim of each row on it. A claim is a HOT update (no index entry
-- written) only while the new version fits on the row's page. At fillfactor 80 a page that one
-- publish filled had room for the claims of a fifth of its rows; the others moved to other pages
-- with a new entry in all six indexes. Under `npm run bench` (fan-out 10) half the claims were such
-- updates, and claims took 62 µs of PostgreSQL's time per delivery. With room for every row's new
-- version, 33 µs, and PostgreSQL's CPU time per delivery fell from 117 to 86 µs. Under half, as
-- each new version also takes a line pointer: at 50 the last row or two of a page still moved.
-- The price is space: the table takes about twice the pages. Pages already written keep what they
-- hold; pages written from now on are filled to 45 %.
alter table deliveries set (fillfactor = 45);
