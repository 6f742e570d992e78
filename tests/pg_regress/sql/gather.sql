-- persona.feature_stats: per-feature statistics as an aggregate whose partial states combine.
-- Checked against PostgreSQL's own aggregates, and run serially and by parallel workers.

CREATE TABLE gather_rows AS
SELECT i,
       ARRAY[1e6 + sin(i * 0.37),
             CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 - 100 END,
             CASE WHEN i % 11 = 0 THEN 'NaN'::float8 ELSE (i % 5)::float8 END] AS features
  FROM generate_series(1, 60000) i;
ANALYZE gather_rows;

-- Serial, and the same numbers from PostgreSQL's aggregates (NaN left out as persona does).
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT persona.feature_stats(features) AS s FROM gather_rows;
SELECT (s ->> 'rows')::bigint AS rows, f.ordinality AS feature, (f.value ->> 'n')::bigint AS n,
       (f.value ->> 'n_null')::bigint AS n_null,
       round((f.value ->> 'mean')::numeric, 6) AS mean, round((f.value ->> 'std')::numeric, 6) AS std,
       (f.value ->> 'min')::float8 AS min, (f.value ->> 'max')::float8 AS max
  FROM serial, jsonb_array_elements(s -> 'features') WITH ORDINALITY f;
SELECT j AS feature, count(x) AS n, round(avg(x)::numeric, 6) AS mean,
       round(stddev_pop(x)::numeric, 6) AS std, min(x), max(x)
  FROM gather_rows, LATERAL (VALUES (1, features[1]), (2, features[2]), (3, features[3])) v(j, x)
 WHERE x <> 'NaN'
 GROUP BY j ORDER BY j;

-- Parallel: the plan splits the aggregate, and the result is the serial one.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT persona.feature_stats(features) FROM gather_rows;
CREATE TEMP TABLE parallel AS SELECT persona.feature_stats(features) AS s FROM gather_rows;
-- Counts, minima and maxima exactly; means and deviations up to the order of summation.
SELECT f.ordinality AS feature,
       (p.value ->> 'n') = (f.value ->> 'n') AND (p.value ->> 'n_null') = (f.value ->> 'n_null')
       AND (p.value ->> 'min') = (f.value ->> 'min') AND (p.value ->> 'max') = (f.value ->> 'max')
           AS counts_and_range_equal,
       abs((p.value ->> 'mean')::float8 - (f.value ->> 'mean')::float8)
           <= 1e-12 * greatest(abs((f.value ->> 'mean')::float8), 1) AS mean_equal,
       abs((p.value ->> 'std')::float8 - (f.value ->> 'std')::float8)
           <= 1e-9 * greatest((f.value ->> 'std')::float8, 1) AS std_equal
  FROM serial, parallel,
       jsonb_array_elements(serial.s -> 'features') WITH ORDINALITY f,
       jsonb_array_elements(parallel.s -> 'features') WITH ORDINALITY p
 WHERE f.ordinality = p.ordinality;
SELECT (parallel.s ->> 'rows') = (serial.s ->> 'rows') AS rows_equal FROM serial, parallel;
-- The workers really ran (and so serialized, shipped and combined their states).
CREATE FUNCTION regress.workers_launched(query text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
        IF line ~ 'Workers Launched' THEN
            RETURN substring(line FROM '(\d+)')::integer;
        END IF;
    END LOOP;
    RETURN 0;
END;
$$;
SELECT regress.workers_launched('SELECT persona.feature_stats(features) FROM gather_rows') > 0
    AS workers_ran;
RESET ALL;

-- Grouped, empty and bad input.
SELECT i % 2 AS grp, (persona.feature_stats(features) ->> 'rows')::bigint AS rows
  FROM gather_rows GROUP BY 1 ORDER BY 1;
SELECT persona.feature_stats(features) FROM gather_rows WHERE false;
SELECT persona.feature_stats(NULL::float8[]);
SELECT regress.try($$SELECT persona.feature_stats(f) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(f)$$);
