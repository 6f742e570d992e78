-- A generated battery of malformed calls to every function and procedure of the extension.
-- The functions come from the catalog, so a new function is fuzzed without editing this file;
-- each argument is drawn from a pool of hostile and valid values of its type (NULL, NaN,
-- infinities, empty, 2-D and huge arrays, negative and enormous numbers, quotes, unicode,
-- unknown models and versions). Every call runs as its own statement under a statement
-- timeout, in a subtransaction that is rolled back, so each sees the same fixtures.
-- The assertions: no call ends in an internal error (class XX), every message is lower-case,
-- and the server is still up at the end.
CREATE SCHEMA fz;
CREATE TABLE fz.src AS
SELECT (i % 3) * 10 + (i % 7) * 0.1 AS x1, (i % 3) * -5 + (i % 5) * 0.1 AS x2, 'row ' || i AS note
  FROM generate_series(1, 60) AS i;
CREATE TABLE fz.empty (x1 float8, x2 float8);
CREATE TABLE fz.holes (x1 float8, x2 float8);
INSERT INTO fz.holes VALUES (NULL, 1), ('NaN', 2), ('Infinity', 3), (1, '-Infinity'), (1, 1);
CREATE TABLE fz.words (x1 text, x2 text);
INSERT INTO fz.words VALUES ('a', 'b');
CREATE VIEW fz.src_view AS SELECT x1, x2 FROM fz.src;
SELECT persona.import_centroids('fz', '{{0,0},{10,-5},{20,-10}}', '{a,b,c}', '{x1,x2}') AS v;
SELECT persona.set_baseline('fz', 'fz.src') AS baseline;

-- The pool: SQL expressions per argument type.
CREATE TABLE fz.pool (type regtype, expr text);
INSERT INTO fz.pool
SELECT 'text'::regtype, unnest(ARRAY[
    'NULL', $q$''$q$, $q$'fz'$q$, $q$'no such model'$q$, $q$'x1'$q$,
    $q$'x1; DROP TABLE fz.src'$q$, $q$'x1) FROM pg_authid --'$q$, $q$'quo''te"d'$q$,
    $q$'ümlaut 名前 🙂'$q$, $q$repeat('x', 100000)$q$, $q$'auto'$q$, $q$'ks'$q$, $q$'psi'$q$,
    $q$'wasserstein'$q$, $q$'silhouette'$q$, $q$'inertia'$q$, $q$'always'$q$, $q$'never'$q$,
    $q$'Persona 1'$q$, $q$E'\t\n'$q$])
UNION ALL
SELECT 'regclass'::regtype, unnest(ARRAY[
    'NULL', $q$'fz.src'$q$, $q$'fz.empty'$q$, $q$'fz.holes'$q$, $q$'fz.words'$q$,
    $q$'fz.src_view'$q$, $q$'pg_class'$q$, $q$0$q$, $q$4294967295$q$])
UNION ALL
SELECT 'integer'::regtype, unnest(ARRAY[
    'NULL', '-2147483648', '-1', '0', '1', '2', '3', '1000000', '2147483647'])
UNION ALL
SELECT 'bigint'::regtype, unnest(ARRAY['NULL', '-1', '0', '1', '9223372036854775807'])
UNION ALL
SELECT 'double precision'::regtype, unnest(ARRAY[
    'NULL', $q$'NaN'$q$, $q$'Infinity'$q$, $q$'-Infinity'$q$, '-1', '0', '0.05', '0.5', '1',
    '1e308'])
UNION ALL
SELECT 'double precision[]'::regtype, unnest(ARRAY[
    'NULL', $q$'{}'$q$, $q$'{NULL}'$q$, $q$'{0,0}'$q$, $q$'{1,NULL}'$q$, $q$'{NaN,0}'$q$,
    $q$'{Infinity,1}'$q$, $q$'{1,2,3}'$q$, $q$'{1e308,-1e308}'$q$, $q$'[5:6]={1,2}'$q$,
    $q$'{{0,0},{10,-5}}'$q$, $q$'{{1,2,3},{4,5,6}}'$q$, $q$'{{NaN,0},{1,1}}'$q$,
    $q$'{{{1}}}'$q$, $q$array_fill(0::float8, ARRAY[200000])$q$,
    $q$array_fill(1::float8, ARRAY[1000, 200])$q$])
UNION ALL
SELECT 'text[]'::regtype, unnest(ARRAY[
    'NULL', $q$'{}'$q$, $q$'{NULL}'$q$, $q$'{x1,x2}'$q$, $q$'{x1,x1}'$q$, $q$'{x2}'$q$,
    $q$'{note,x1}'$q$, $q$'{"x1; DROP TABLE fz.src",x2}'$q$,
    $q$'{"x1) FROM pg_authid --"}'$q$, $q$'{a,b,c}'$q$, $q$'{{x1},{x2}}'$q$,
    $q$array_fill('x'::text, ARRAY[10000])$q$])
UNION ALL
SELECT 'boolean'::regtype, unnest(ARRAY['NULL', 'true', 'false'])
UNION ALL
SELECT 'jsonb'::regtype, unnest(ARRAY[
    'NULL', $q$'{}'$q$, $q$'[]'$q$, $q$'null'$q$, $q$'"fz"'$q$, $q$'{"centroids": "x"}'$q$,
    $q$'{"centroids": [[1e400]]}'$q$, $q$'{"format": -1, "centroids": [[1, 2]]}'$q$,
    $q$persona.export_model('fz')$q$,
    $q$jsonb_set(persona.export_model('fz'), '{centroids}', '[[1], [2, 3]]')$q$,
    $q$jsonb_set(persona.export_model('fz'), '{features}', '["x1", "x1"]')$q$,
    $q$jsonb_set(persona.export_model('fz'), '{labels}', '[]')$q$])
UNION ALL
SELECT 'persona.persona_model'::regtype, unnest(ARRAY['NULL', $q$persona.model_value('fz')$q$])
UNION ALL
SELECT 'cstring'::regtype, unnest(ARRAY[
    'NULL', $q$''$q$, $q$'{'$q$, $q$'null'$q$, $q$'[]'$q$, $q$'{"k": 1}'$q$,
    $q$persona.model_value('fz')::text$q$,
    $q$replace(persona.model_value('fz')::text, '10', 'NaN')$q$])
UNION ALL
SELECT 'interval'::regtype, unnest(ARRAY['NULL', $q$'-1 day'$q$, $q$'0'$q$, $q$'1 hour'$q$]);
-- The cstring pool is cast explicitly.
UPDATE fz.pool SET expr = '(' || expr || ')::cstring' WHERE type = 'cstring' AND expr <> 'NULL';

-- Every function and procedure of the extension that SQL can call.
CREATE VIEW fz.targets AS
SELECT p.oid AS fn, p.oid::regprocedure::text AS signature, p.prokind, p.proretset,
       p.pronargs, p.pronargdefaults,
       ARRAY(SELECT unnest(p.proargtypes::regtype[])) AS argtypes
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'persona'
 WHERE p.prokind IN ('f', 'p')
   AND NOT ('internal'::regtype = ANY (p.proargtypes::regtype[]));

-- Every argument type has a pool (a new type must get one before its function is fuzzed).
SELECT DISTINCT t AS type_without_pool
  FROM fz.targets, unnest(argtypes) AS t
 WHERE t NOT IN (SELECT type FROM fz.pool);

-- The calls: 40 per function, each argument drawn from its pool by a hash of the function's
-- signature, the call and the argument position, so that a function's calls do not change when
-- another function is added; a hashed number of trailing defaulted arguments is left out.
CREATE FUNCTION fz.draw(key text, n integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 1 + abs(hashtext(key) % n) $$;
CREATE TABLE fz.calls AS
WITH pool AS (
    SELECT type, expr, row_number() OVER (PARTITION BY type ORDER BY expr) AS pos,
           count(*) OVER (PARTITION BY type) AS size
      FROM fz.pool
), draws AS (
    SELECT t.fn, t.signature, t.prokind, t.proretset, t.argtypes, c AS call_no,
           t.pronargs + 1 - fz.draw(t.signature || c, t.pronargdefaults + 1) AS nargs
      FROM fz.targets t, generate_series(1, 40) AS c
)
SELECT row_number() OVER (ORDER BY signature, call_no) AS id, signature, prokind, proretset,
       (SELECT string_agg(format('(%s)::%s', p.expr, p.type), ', ' ORDER BY i)
          FROM generate_series(1, nargs) AS i
          JOIN pool p ON p.type = draws.argtypes[i]
                     AND p.pos = fz.draw(draws.signature || draws.call_no || '/' || i,
                                         p.size::int)) AS args,
       fn
  FROM draws;
ALTER TABLE fz.calls ADD COLUMN sql text, ADD COLUMN state text, ADD COLUMN message text;
UPDATE fz.calls
   SET sql = CASE WHEN prokind = 'p' THEN format('CALL %s(%s)', fn::regproc, coalesce(args, ''))
                  WHEN proretset THEN format('SELECT count(*) FROM %s(%s)', fn::regproc,
                                             coalesce(args, ''))
                  ELSE format('SELECT (%s(%s))::text', fn::regproc, coalesce(args, '')) END;

CREATE PROCEDURE fz.run(p_id bigint) LANGUAGE plpgsql AS $$
DECLARE
    v_sql text;
    v_state text;
    v_message text;
BEGIN
    SELECT sql INTO v_sql FROM fz.calls WHERE id = p_id;
    BEGIN
        EXECUTE v_sql;
        RAISE SQLSTATE 'PZ999';  -- roll the call back, whatever it wrote
    EXCEPTION
        WHEN query_canceled THEN
            v_state := SQLSTATE;
            v_message := SQLERRM;
        WHEN OTHERS THEN
            v_state := SQLSTATE;
            v_message := SQLERRM;
    END;
    UPDATE fz.calls SET state = CASE v_state WHEN 'PZ999' THEN 'ok' ELSE v_state END,
                        message = CASE v_state WHEN 'PZ999' THEN NULL ELSE v_message END
     WHERE id = p_id;
END;
$$;

SET statement_timeout = '5s';
SET client_min_messages = error;
\set ECHO none
SELECT format('CALL fz.run(%s)', id) FROM fz.calls ORDER BY id \gexec
\set ECHO all
RESET client_min_messages;
RESET statement_timeout;

-- The server is up, every call ran, and the battery is hundreds of calls over every function.
SELECT count(*) >= 500 AS hundreds_of_calls,
       count(DISTINCT signature) = (SELECT count(*) FROM fz.targets) AS every_function,
       count(*) FILTER (WHERE state IS NULL) AS not_run
  FROM fz.calls;
-- No internal errors (SQLSTATE class XX: internal error, data or index corrupted).
SELECT signature, sql, message FROM fz.calls WHERE state LIKE 'XX%' ORDER BY id;
-- Errors from the extension are lower-case (PostgreSQL's own are too).
SELECT DISTINCT state, message FROM fz.calls
 WHERE state <> 'ok' AND message ~ '^[A-Z][a-z]' ORDER BY 1, 2;
-- The functions no random call got through (each needs a specific valid combination).
SELECT signature FROM fz.calls GROUP BY signature
HAVING count(*) FILTER (WHERE state = 'ok') = 0 ORDER BY 1;
-- Nothing was left behind by the calls: the fixtures and the registry are as before.
SELECT count(*) AS models FROM persona.models WHERE model LIKE 'fz%' OR model LIKE 'x1%';
SELECT count(*) AS rows FROM fz.src;

DROP SCHEMA fz CASCADE;
SELECT persona.drop_model('fz');
