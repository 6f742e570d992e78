-- Scoring: assign_persona, assign_persona_id, persona.nearest and the IMMUTABLE kernels.
-- Model 'shapes' (from the import test): origin (0,0), east (10,0), north (0,10).

SET persona.default_model = 'shapes';
SELECT assign_persona(ARRAY[1, 1]::float8[]) AS near_origin,
       assign_persona(ARRAY[9, 1]::float8[]) AS near_east,
       assign_persona(ARRAY[1, 9]::float8[], 'shapes') AS near_north,
       assign_persona_id(ARRAY[9, 1]::float8[]) AS east_id,
       assign_persona_id(ARRAY[1, 9]::float8[], 'shapes') AS north_id;

-- A tie goes to the lower persona id: (5, 0) is 5 from origin and 5 from east.
SELECT assign_persona('{5,0}'::float8[]) AS tie, assign_persona_id('{5,0}'::float8[]) AS tie_id;

-- persona.nearest explains a label: Euclidean distances and the margin to the runner-up.
SELECT * FROM persona.nearest('{3,4}');
SELECT * FROM persona.nearest('{6,0}', 'shapes');
-- k = 1: no runner-up.
SELECT * FROM persona.nearest('{8,5}', 'single');
-- A NULL array gives NULL (no row for the set-returning nearest).
SELECT assign_persona(NULL::float8[]) IS NULL AS null_label,
       assign_persona_id(NULL::float8[], 'shapes') IS NULL AS null_id,
       (SELECT count(*) FROM persona.nearest(NULL)) AS nearest_rows;

-- Over a table: one statement, many rows, one model load.
CREATE TABLE points AS
SELECT g AS id, ARRAY[(g % 11)::float8, (g / 11)::float8] AS features
  FROM generate_series(0, 120) g;
SELECT assign_persona(features) AS persona, count(*) FROM points GROUP BY 1 ORDER BY 1;

-- Bad feature vectors.
SELECT regress.try($$SELECT assign_persona('{1,2,3}'::float8[])$$);
SELECT regress.try($$SELECT assign_persona('{1}'::float8[], 'shapes')$$);
SELECT regress.try($$SELECT assign_persona('{}'::float8[])$$);
SELECT regress.try($$SELECT assign_persona('{{1,2}}'::float8[])$$);
SELECT regress.try($$SELECT assign_persona_id('{{1},{2}}'::float8[])$$);
SELECT regress.try($$SELECT assign_persona('{NULL,3}'::float8[])$$);
SELECT regress.try($$SELECT assign_persona('{NaN,3}'::float8[])$$);
SELECT regress.try($$SELECT assign_persona_id('{1,Infinity}'::float8[])$$);
SELECT regress.try($$SELECT * FROM persona.nearest('{-Infinity,1}'::float8[])$$);

-- With persona.invalid_features = 'null' such rows get NULL, never persona 1; a wrong shape
-- is still an error.
SET persona.invalid_features = 'null';
SELECT assign_persona('{NULL,3}'::float8[]) IS NULL AS null_element,
       assign_persona('{NaN,3}'::float8[]) IS NULL AS nan,
       assign_persona_id('{1,Infinity}'::float8[]) IS NULL AS infinity,
       (SELECT count(*) FROM persona.nearest('{NaN,1}')) AS nearest_rows;
SELECT regress.try($$SELECT assign_persona('{1}'::float8[])$$);
RESET persona.invalid_features;
SELECT regress.try($$SET persona.invalid_features = 'skip'$$);

-- Unknown models and models without a production version.
SELECT regress.try($$SELECT assign_persona('{1,2}'::float8[], 'nope')$$);
SELECT regress.try($$SELECT * FROM persona.nearest('{1,2}', 'nope')$$);
SELECT persona.import_centroids('draft', '{{1,1}}', promote => false);
SELECT regress.try($$SELECT assign_persona('{1,2}'::float8[], 'draft')$$);

-- Choosing the model when none is named: the setting, else the one production model.
RESET persona.default_model;
SELECT regress.try($$SELECT assign_persona('{1,2}'::float8[])$$);
SET persona.default_model = 'nope';
SELECT regress.try($$SELECT assign_persona('{1,2}'::float8[])$$);
RESET persona.default_model;
BEGIN;
DELETE FROM persona.registered_models WHERE model <> 'shapes';
SELECT assign_persona('{9,1}'::float8[]) AS only_production_model;
ROLLBACK;

-- The IMMUTABLE kernel takes the model as a value and reads no table.
SELECT p.provolatile, p.proparallel, p.proisstrict, p.proname,
       pg_get_function_identity_arguments(p.oid) AS args
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname IN ('assign_persona', 'assign_persona_id', 'assign', 'assign_id',
                     'nearest', 'model_value', 'import_centroids', 'promote')
 ORDER BY p.proname, args;
SELECT persona.model_value('shapes');
SELECT persona.assign('{9,1}', persona.model_value('shapes')) AS east,
       persona.assign_id('{1,9}', persona.model_value('shapes')) AS north_id;
SELECT persona.assign(features, (SELECT persona.model_value('shapes'))) AS persona, count(*)
  FROM points GROUP BY 1 ORDER BY 1;
-- A hand-written value is checked before use.
SELECT regress.try($$SELECT persona.assign('{1}', '{"model":"m","version":1,"features":["a"],"labels":["x"],"centroids":[[0],[1]],"scaler_mean":null,"scaler_scale":null}')$$);
SELECT regress.try($$SELECT persona.assign('{1}', '{"model":"m","version":1,"features":["a"],"labels":["x"],"centroids":[[0]],"scaler_mean":[0],"scaler_scale":[0]}')$$);
SELECT regress.try($$SELECT persona.assign('{1}', '{"model":"m"}')$$);
SELECT regress.try($$SELECT '{"model": 1}'::persona.persona_model$$);
SELECT regress.try($$SELECT 'not json'::persona.persona_model$$);
-- A valid value round-trips through its text form.
SELECT persona.model_value('shapes')::text::persona.persona_model::text
       = persona.model_value('shapes')::text
    AS round_trip;

-- Parallel scoring gives the same answer as serial scoring.
CREATE TABLE many AS
SELECT g AS id, ARRAY[(g % 13)::float8, (g % 7)::float8 * 1.5] AS features
  FROM generate_series(1, 200000) g;
ANALYZE many;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT assign_persona_id(features, 'shapes') AS id, count(*) FROM many GROUP BY 1;
SELECT assign_persona_id(features, 'shapes') AS id, count(*) FROM many GROUP BY 1 ORDER BY 1;
SET max_parallel_workers_per_gather = 0;
SELECT assign_persona_id(features, 'shapes') AS id, count(*) FROM many GROUP BY 1 ORDER BY 1;
RESET ALL;
SELECT 1 AS still_connected;

-- Far beyond the range where squared distances fit in float8, the nearest persona, the
-- runner-up and the distances are still right.
SELECT persona.import_centroids('far', '{{0,0},{5e199,-5e199},{-5e199,5e199}}',
                                features => '{a,b}', promote => true) AS version;
SELECT persona_id, distance, runner_up_id, runner_up_distance
  FROM persona.nearest('{1e200,-1e200}', 'far');
SELECT assign_persona_id('{1e200,-1e200}', 'far') AS id;
SELECT persona.drop_model('far');

-- Arrays read from a table arrive in every on-disk form: small ones with a short header,
-- large ones compressed inline or stored out of line; each scores like the same literal.
CREATE TABLE stored_vectors (id integer, features float8[]);
INSERT INTO stored_vectors VALUES (1, '{1,1}'), (2, '{9,1}'), (3, '{1,9}'), (4, '{NaN,1}');
SET persona.invalid_features = 'null';
SELECT id, assign_persona(features, 'shapes') AS persona,
       assign_persona_id(features, 'shapes') AS id_
  FROM stored_vectors ORDER BY id;
RESET persona.invalid_features;
SELECT persona.import_centroids('wide', ARRAY[array_fill(0::float8, ARRAY[2000]),
                                              array_fill(1::float8, ARRAY[2000])],
                                promote => true) AS version;
CREATE TABLE wide_compressed (id integer, features float8[]);
CREATE TABLE wide_external (id integer, features float8[]);
ALTER TABLE wide_external ALTER features SET STORAGE EXTERNAL;
INSERT INTO wide_compressed VALUES (1, array_fill(0.9::float8, ARRAY[2000])),
                                   (2, array_fill(0.1::float8, ARRAY[2000]));
INSERT INTO wide_external VALUES (1, array_fill(0.9::float8, ARRAY[2000])),
                                 (2, array_fill(0.1::float8, ARRAY[2000]));
-- 16,024 bytes raw: compressed to a few hundred bytes, or moved out of line as it is.
SELECT 'compressed' AS storage, id, assign_persona_id(features, 'wide') AS persona_id,
       pg_column_size(features) < 1000 AS compressed
  FROM wide_compressed
UNION ALL
SELECT 'external', id, assign_persona_id(features, 'wide'), pg_column_size(features) < 1000
  FROM wide_external
 ORDER BY 1, 2;
SELECT persona.drop_model('wide');
DROP TABLE stored_vectors, wide_compressed, wide_external;
