-- Citus: the registry as reference tables. Scoring reads the registry, and on Citus a query
-- on a worker can read a reference table (a full copy on every node) but not a distributed
-- one, so the registry is replicated rather than sharded. Run once on the coordinator, after
-- CREATE EXTENSION citus and persona.
CREATE FUNCTION persona.distribute_registry()
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_table regclass;
    v_done boolean;
BEGIN
    IF to_regprocedure('pg_catalog.create_reference_table(regclass)') IS NULL THEN
        RAISE EXCEPTION 'citus is not installed in this database'
            USING ERRCODE = '0A000',
                  HINT = 'Run CREATE EXTENSION citus on the coordinator first; without Citus '
                         'the registry needs no distribution.';
    END IF;
    -- Parents before children: a foreign key may only point at a table that is already a
    -- reference table. Tables Citus already knows are skipped, so a second call is harmless.
    FOREACH v_table IN ARRAY ARRAY['persona.registered_models', 'persona.fit_runs',
                                   'persona.model_versions', 'persona.baselines',
                                   'persona.baseline_features', 'persona.model_events',
                                   'persona.drift_reports', 'persona.jobs']::regclass[] LOOP
        v_done := false;
        IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
            EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
                                     WHERE logicalrelid = $1)'
               INTO v_done USING v_table;
        END IF;
        CONTINUE WHEN v_done;
        EXECUTE 'SELECT pg_catalog.create_reference_table($1)' USING v_table;
        RETURN NEXT v_table;
    END LOOP;
END;
$$;
REVOKE EXECUTE ON FUNCTION persona.distribute_registry() FROM PUBLIC;
COMMENT ON FUNCTION persona.distribute_registry() IS
    'Citus only: makes the registry tables reference tables (run once on the coordinator); returns the tables it changed.';
