-- persona.fit: k-means personas from a table, the k search, experiment tracking, labels.

-- Months 2025-01..03 of the survey (loaded by vendor_personas): the k search finds the
-- vendor's three personas.
CREATE VIEW survey_q1 AS
SELECT * FROM survey WHERE survey_date < '2025-04-01';
SET client_min_messages = warning;
SELECT persona.fit('survey', 'survey_q1', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}',
                   k_min => 2, k_max => 6, n_init => 4) AS version;
RESET client_min_messages;
SELECT model, version, stage, k, standardized, origin FROM persona.models WHERE model = 'survey';
SELECT k, version IS NOT NULL AS chosen, round((metrics->>'silhouette')::numeric, 4) AS silhouette,
       (metrics->>'rows_used')::int AS rows_used, (metrics->>'rows_skipped')::int AS skipped
  FROM persona.runs WHERE model = 'survey' ORDER BY k;
-- Every fitted centroid is within 0.5 of a vendor centroid.
SELECT p.persona_id, v.persona AS vendor_persona, round(min_dist::numeric, 3) < 0.5 AS close,
       p.size, p.share
  FROM persona.personas p
  CROSS JOIN LATERAL (
      SELECT vp.persona, sqrt((SELECT sum((a - b) ^ 2) FROM unnest(p.centroid,
             ARRAY[vp.x1, vp.x2, vp.x3, vp.x4, vp.x5, vp.x6, vp.x7, vp.x8, vp.x9, vp.x10]) u(a, b)))
             AS min_dist
        FROM vendor_personas vp ORDER BY 2 LIMIT 1) v
 WHERE p.model = 'survey' ORDER BY v.persona;
-- The fitted version scores at once (after a promote), in raw units.
SELECT persona.promote('survey', 1);
SELECT count(*) AS rows,
       count(DISTINCT (s.true_persona, assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10],
                                                   'survey'))) AS pairs
  FROM survey_q1 s;
-- Same seed, same data: same centroids.
SELECT persona.fit('survey', 'survey_q1', k => 3, n_init => 4) AS version;
SELECT (SELECT centroids FROM persona.model_versions WHERE model = 'survey' AND version = 1)
     = (SELECT centroids FROM persona.model_versions WHERE model = 'survey' AND version = 2)
    AS same_centroids;
-- The features default to the model's.
SELECT params->'features' AS features, params->>'seed' AS seed, params->>'select_by' AS select_by
  FROM persona.runs WHERE model = 'survey' AND version = 2;

-- Renaming personas.
SELECT persona.label('survey', 1, 1, 'Sustainable Steve');
SELECT label FROM persona.personas WHERE model = 'survey' AND version = 1 ORDER BY persona_id;
SELECT regress.try($$SELECT persona.label('survey', 1, 2, 'Sustainable Steve')$$);
SELECT regress.try($$SELECT persona.label('survey', 1, 4, 'x')$$);
SELECT regress.try($$SELECT persona.label('survey', 9, 1, 'x')$$);
SELECT regress.try($$SELECT persona.label('survey', 1, 1, ' ')$$);

-- UCI wholesale customers, log1p of the six spending columns, standardized: the inertia of
-- the best of 10 restarts is within 1% of scikit-learn's KMeans(n_init=10) (the median over
-- random_state 0..9, from crates/persona-math/tests/fixtures/kmeans_wholesale.json).
CREATE TABLE wholesale (channel int, region int, fresh int, milk int, grocery int, frozen int,
                        detergents_paper int, delicassen int);
\copy wholesale FROM PROGRAM 'cat "$PG_ABS_SRCDIR/../../data/wholesale_customers.csv"' WITH (FORMAT csv, HEADER)
CREATE VIEW wholesale_log AS
SELECT ln(1 + fresh) AS fresh, ln(1 + milk) AS milk, ln(1 + grocery) AS grocery,
       ln(1 + frozen) AS frozen, ln(1 + detergents_paper) AS detergents_paper,
       ln(1 + delicassen) AS delicassen
  FROM wholesale;
CREATE TABLE sklearn (doc jsonb);
\copy sklearn FROM PROGRAM 'tr -d "\n" < "$PG_ABS_SRCDIR/../../crates/persona-math/tests/fixtures/kmeans_wholesale.json"' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT k, persona.fit('wholesale', 'wholesale_log',
                      '{fresh,milk,grocery,frozen,detergents_paper,delicassen}', k => k)
  FROM generate_series(2, 8) k;
SELECT r.k, (r.metrics->>'inertia')::float8 <= 1.01 * s.median AS within_1pct
  FROM persona.runs r
  JOIN (SELECT (c->>'k')::int AS k,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY i::float8) AS median
          FROM sklearn, jsonb_array_elements(doc->'kmeans'->'clusterings') c,
               jsonb_array_elements_text(c->'inertia_by_random_state') i
         GROUP BY 1) s ON s.k = r.k
 WHERE r.model = 'wholesale' ORDER BY r.k;
-- The stored scaler is scikit-learn's StandardScaler (population standard deviation).
SELECT bool_and(abs(m - (s.doc->'scaler'->'mean'->>(i - 1)::int)::float8) < 1e-12
            AND abs(c - (s.doc->'scaler'->'scale'->>(i - 1)::int)::float8) < 1e-12) AS scaler_matches
  FROM persona.model_versions v, sklearn s,
       unnest(v.scaler_mean, v.scaler_scale) WITH ORDINALITY u(m, c, i)
 WHERE v.model = 'wholesale' AND v.version = 1;

-- C01: k larger than the number of distinct points is an error naming both numbers.
CREATE TABLE c01 (x float8);
INSERT INTO c01 VALUES (10), (10), (10), (20), (20);
SELECT regress.try($$SELECT persona.fit('c01', 'c01', '{x}', k => 3)$$);
SELECT persona.fit('c01', 'c01', '{x}', k => 2, standardize => false) AS version;
SELECT centroid FROM persona.personas WHERE model = 'c01' ORDER BY centroid;

-- C02: an empty cluster during Lloyd iterations is re-seeded; stored sizes match scoring.
CREATE TABLE c02 (x float8);
INSERT INTO c02 VALUES (1), (2), (3);
SELECT persona.fit('c02', 'c02', '{x}', init => '{{4},{0},{1}}', max_iter => 10, tol => 0,
                   standardize => false, promote => true) AS version;
SELECT persona_id, centroid, size FROM persona.personas WHERE model = 'c02' ORDER BY centroid;
SELECT (metrics->>'inertia')::float8 AS inertia FROM persona.runs WHERE model = 'c02';
SELECT x, assign_persona_id(ARRAY[x], 'c02') = p.persona_id AS label_matches
  FROM c02 JOIN persona.personas p ON p.model = 'c02' AND p.centroid = ARRAY[x] ORDER BY x;
SELECT regress.try($$SELECT persona.fit('c02', 'c02', '{x}', init => '{{4,1}}')$$);
SELECT regress.try($$SELECT persona.fit('c02', 'c02', '{x}', k => 2, init => '{{4},{0},{1}}')$$);
SELECT regress.try($$SELECT persona.fit('c02', 'c02', '{x}', init => '{{4},{NaN}}')$$);

-- C04: rows with a NULL, NaN or infinite feature are skipped and counted.
CREATE TABLE c04 (a float8, b float8);
INSERT INTO c04 VALUES (1, 2), (3, 4), (10, 12), (11, 13), (NULL, 3), ('NaN', 5),
                       ('Infinity', 1);
SELECT persona.fit('c04', 'c04', '{a,b}', k => 2, standardize => false) AS version;
SELECT centroid FROM persona.personas WHERE model = 'c04' ORDER BY centroid;
SELECT metrics->'inertia' AS inertia, metrics->'rows_used' AS used,
       metrics->'rows_skipped' AS skipped
  FROM persona.runs WHERE model = 'c04';

-- C05: a constant feature is centred, left unscaled, and reported.
CREATE TABLE c05 (id int, a float8, b float8);
INSERT INTO c05 SELECT g, 14.62, g FROM generate_series(1, 1000) g;
SELECT persona.fit('c05', 'c05', '{a,b}', k => 2) AS version;
SELECT round(scaler_mean[1]::numeric, 9) AS mean_a, scaler_scale[1] AS scale_a, scaler_mean[2] AS mean_b,
       round(scaler_scale[2]::numeric, 6) AS scale_b
  FROM persona.model_versions WHERE model = 'c05';
-- A new row {15.0, 500.5} maps to {0.38, 0} in standardized units.
SELECT round(((15.0 - scaler_mean[1]) / scaler_scale[1])::numeric, 9) AS z_a,
       round(((500.5 - scaler_mean[2]) / scaler_scale[2])::numeric, 9) AS z_b
  FROM persona.model_versions WHERE model = 'c05';

-- C07: silhouette is undefined for one persona; the fit is still stored, with the reason.
CREATE TABLE c07 (x float8);
INSERT INTO c07 VALUES (0), (0.1), (1);
SELECT persona.fit('c07', 'c07', '{x}', k => 1) AS version;
SELECT k, metrics->'silhouette' AS silhouette, metrics->>'silhouette_note' AS note,
       metrics->'silhouette_inertia_ratio' AS ratio
  FROM persona.runs WHERE model = 'c07';
SELECT persona.fit('c07', 'c07', '{x}', k => 2, standardize => false) AS version;
SELECT round((metrics->>'silhouette')::numeric, 6) AS silhouette
  FROM persona.runs WHERE model = 'c07' AND k = 2;
-- A k search passes over runs whose metric is undefined.
SELECT persona.fit('c07', 'c07', '{x}', k_min => 1, k_max => 2, standardize => false) AS version;
SELECT version, k FROM persona.models WHERE model = 'c07' ORDER BY version;

-- Bad input, each with its SQLSTATE, and nothing registered.
CREATE TABLE words (w text, n int);
INSERT INTO words VALUES ('a', 1), ('b', 2);
CREATE TABLE nothing (x float8);
SELECT count(*) AS versions_before FROM persona.model_versions;
SELECT count(*) AS runs_before FROM persona.fit_runs;
SELECT regress.try($$SELECT persona.fit(NULL, 'c01', '{x}')$$);
SELECT regress.try($$SELECT persona.fit('bad', NULL, '{x}')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{}')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{y}')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{"x; DROP TABLE c01"}')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{"x) FROM pg_authid --"}')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'words', '{w}')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', k => 0)$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', k => -1)$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', k_min => 5, k_max => 3)$$);
SELECT regress.try($$SELECT persona.fit('bad', 'nothing', '{x}', k => 2)$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', select_by => 'accuracy')$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', k => 2, n_init => 0)$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', k => 2, max_iter => 0)$$);
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', k => 2, tol => -1)$$);
SELECT regress.try($$SELECT persona.fit('bad', 'no_such_table', '{x}')$$);
-- C19: degenerate inputs are ordinary errors, never a crash.
CREATE TABLE one_row (x float8);
INSERT INTO one_row VALUES (1);
SELECT regress.try($$SELECT persona.fit('bad', 'one_row', '{x}', k => 2)$$);
CREATE TABLE array_rows (f float8[]);
INSERT INTO array_rows VALUES ('{}'), ('{1,2}');
SELECT regress.try($$SELECT persona.fit('bad', 'array_rows', '{f}', k => 1)$$);
CREATE ROLE persona_outsider IN ROLE persona_admin;
GRANT USAGE ON SCHEMA regress TO persona_outsider;
SET ROLE persona_outsider;
SELECT regress.try($$SELECT persona.fit('bad', 'c01', '{x}', k => 2)$$);
RESET ROLE;
DROP OWNED BY persona_outsider;
DROP ROLE persona_outsider;
SELECT count(*) AS versions_after FROM persona.model_versions;
SELECT count(*) AS runs_after FROM persona.fit_runs;
SELECT count(*) AS c01_rows FROM c01;

-- C20: a long fit is cancelled by statement_timeout and leaves nothing behind.
CREATE TABLE big AS
SELECT g AS id, random() AS a, random() AS b, random() AS c, random() AS d, random() AS e
  FROM generate_series(1, 300000) g;
-- (A cancel is not an error a PL/pgSQL handler may catch, so it reaches the client.)
\set VERBOSITY terse
SET statement_timeout = '1s';
SELECT persona.fit('huge', 'big', '{a,b,c,d,e}', k => 100, max_iter => 500);
RESET statement_timeout;
\set VERBOSITY default
SELECT count(*) AS huge_versions FROM persona.model_versions WHERE model = 'huge';
SELECT 1 AS still_connected;

-- A domain over a number is a number; features name distinct columns; a new model's name is
-- kept to 200 characters.
CREATE DOMAIN positive_float AS float8 CHECK (VALUE > 0);
CREATE TABLE dom_rows (a positive_float, b float8);
INSERT INTO dom_rows SELECT 1 + i % 5, i % 3 FROM generate_series(1, 30) AS i;
SELECT persona.fit('dom', 'dom_rows', '{a,b}', k => 2, n_init => 1) AS version;
SELECT regress.try($$SELECT persona.fit('dup', 'dom_rows', '{a,b,a}', k => 2)$$);
SELECT regress.try(format($$SELECT persona.fit(%L, 'dom_rows', '{a,b}', k => 2)$$,
                          repeat('m', 201)));
SELECT regress.try(format($$SELECT persona.import_centroids(%L, '{{1}}')$$, repeat('m', 201)));
SELECT persona.drop_model('dom');
DROP TABLE dom_rows;
DROP DOMAIN positive_float;

-- Values whose squares overflow float8 would give garbage centroids: refused with 22003.
CREATE TABLE huge_values AS
SELECT i * 1e300::float8 AS a, i::float8 AS b FROM generate_series(1, 100) AS i;
SELECT regress.try($$SELECT persona.fit('hv', 'huge_values', '{a,b}', k => 3)$$);
SELECT count(*) AS hv_versions FROM persona.model_versions WHERE model = 'hv';
DROP TABLE huge_values;
