-- The exact first steps of the README, in a fresh database with the default search_path.
CREATE EXTENSION persona;
SHOW search_path;
SELECT n.nspname AS schema, count(*) AS functions
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname IN ('assign_persona', 'assign_persona_id')
 GROUP BY 1;

-- A test helper: runs a statement and shows its outcome as 'ok' or 'SQLSTATE: message',
-- so that every expected error is asserted by SQLSTATE as well as by message.
CREATE SCHEMA regress;
CREATE FUNCTION regress.try(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
    v_message text;
    v_hint text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                            v_hint = PG_EXCEPTION_HINT;
    RETURN v_state || ': ' || v_message
           || CASE WHEN v_hint <> '' THEN ' (hint: ' || v_hint || ')' ELSE '' END;
END;
$$;

-- Before any model exists, scoring says so instead of guessing.
SELECT regress.try($$SELECT assign_persona(ARRAY[1, 2]::float8[])$$);
