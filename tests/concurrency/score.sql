-- One pgbench transaction: score 500 rows that are the same point (the array depends on the
-- row only so that the call is made per row); within one statement every row must be scored
-- by one version, so every distance is the same, or the division by zero fails the client.
\set p random(1, 1000)
SELECT 1 / (count(DISTINCT n.distance) = 1)::int AS one_version
  FROM generate_series(1, 500) AS g,
       persona.nearest(ARRAY[:p * 0.01 + g * 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]::float8[], 'conc') AS n;
SELECT count(assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10], 'conc')) FROM survey;
