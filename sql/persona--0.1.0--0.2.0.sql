-- persona 0.1.0 to 0.2.0, run by ALTER EXTENSION persona UPDATE.
\echo Use "ALTER EXTENSION persona UPDATE TO '0.2.0'" to load this file. \quit

-- pg_dump keeps the identity sequences of the registry's tables, so that a restored database
-- goes on numbering events, runs and jobs where the original stopped.
SELECT pg_catalog.pg_extension_config_dump('persona.model_events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('persona.fit_runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('persona.jobs_job_id_seq', '');

-- A cancelled retrain (statement_timeout, pg_cancel_backend) records its run as failed and
-- releases its lock before the cancel is raised again.
CREATE OR REPLACE PROCEDURE persona.retrain_if_drifted(model text, source regclass,
                                            promote text DEFAULT 'manual')
LANGUAGE plpgsql
AS $$
DECLARE
    v_lock_key constant integer := hashtext('persona.retrain_if_drifted');
    v_job bigint;
    v_status text;
    v_error text;
    v_state text;
    v_report bigint;
    v_rows bigint;
    v_version integer;
    v_fingerprint text;
    v_events jsonb := '[]';
    v_event jsonb;
BEGIN
    IF model IS NULL OR source IS NULL THEN
        RAISE EXCEPTION 'model and source must not be null' USING ERRCODE = '22004';
    END IF;
    IF promote IS NULL OR promote NOT IN ('manual', 'auto') THEN
        RAISE EXCEPTION 'promote must be ''manual'' or ''auto'', got %', coalesce(promote, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'manual registers a staging version; auto promotes it if it is no worse.';
    END IF;
    -- One run per model at a time. A session lock, because the run commits in the middle.
    IF NOT pg_try_advisory_lock(v_lock_key, hashtext(model)) THEN
        RAISE NOTICE 'a retrain of model "%" is already running; this call is skipped', model;
        INSERT INTO persona.jobs (model, source, promote_mode, status, finished_at)
        VALUES (model, source::text, promote, 'skipped', clock_timestamp());
        RETURN;
    END IF;
    -- A run that died with its session left its row 'running'; holding the lock proves it
    -- is not running any more.
    UPDATE persona.jobs j
       SET status = 'failed', finished_at = clock_timestamp(),
           error = 'interrupted: the session ended before the run finished'
     WHERE j.model = retrain_if_drifted.model AND j.status = 'running';
    INSERT INTO persona.jobs (model, source, promote_mode, status)
    VALUES (model, source::text, promote, 'running')
    RETURNING job_id INTO v_job;
    -- The run row is visible from now on, whatever happens next.
    COMMIT;

    BEGIN
        SELECT r.status, r.report_id, r.rows_used, r.new_version, r.fingerprint, r.events
          INTO v_status, v_report, v_rows, v_version, v_fingerprint, v_events
          FROM persona._retrain_step(model, source, promote) r;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- Everything the step wrote is rolled back with it: the registry is as it was. A
        -- cancel (statement_timeout, pg_cancel_backend) is caught too, so that the run's row
        -- and the lock are released; it is raised again below.
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
        v_status := 'failed';
        v_events := jsonb_build_array(jsonb_build_object('event', 'run_failed', 'error', v_error));
    END;

    UPDATE persona.jobs
       SET status = v_status, finished_at = clock_timestamp(), error = v_error,
           report_id = v_report, rows_used = v_rows, new_version = v_version,
           fingerprint = v_fingerprint
     WHERE job_id = v_job;
    FOR v_event IN SELECT * FROM jsonb_array_elements(v_events) LOOP
        PERFORM pg_notify('persona_events',
            (jsonb_build_object('model', model, 'job_id', v_job) || v_event)::text);
    END LOOP;
    COMMIT;
    PERFORM pg_advisory_unlock(v_lock_key, hashtext(model));
    IF v_state = '57014' THEN
        RAISE EXCEPTION '%', v_error USING ERRCODE = '57014';
    END IF;
END;
$$;

-- Privileges. Two group roles: persona_reader scores and reads the registry's summaries;
-- persona_admin (a member of persona_reader) also fits, imports, promotes, checks drift and
-- retrains. Every function runs with its caller's rights, so an admin still needs SELECT on
-- the tables it fits or checks. The baseline samples (persona.baseline_features) are
-- customer data: only admins may read them. Roles are cluster-wide, so a second database
-- reuses the roles the first one created.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'persona_reader') THEN
        CREATE ROLE persona_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'persona_admin') THEN
        CREATE ROLE persona_admin NOLOGIN;
    END IF;
    IF NOT pg_catalog.pg_has_role('persona_admin', 'persona_reader', 'MEMBER') THEN
        GRANT persona_reader TO persona_admin;
    END IF;
END;
$$;

GRANT USAGE ON SCHEMA persona TO persona_reader;
GRANT SELECT ON persona.registered_models, persona.model_versions, persona.model_events,
                persona.fit_runs, persona.baselines, persona.drift_reports, persona.jobs,
                persona.models, persona.personas, persona.runs, persona.drift_features,
                persona.job_status, persona.stale_models
   TO persona_reader;
GRANT ALL ON ALL TABLES IN SCHEMA persona TO persona_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA persona TO persona_admin;

-- Functions that write, or read customer rows of the baselines, are not for PUBLIC.
REVOKE EXECUTE ON FUNCTION
    persona._register_version(text, integer, text[], text[], float8[], float8[], float8[],
                              text, boolean),
    persona._set_production(text, integer, text),
    persona._retrain_step(text, regclass, text),
    persona.promote(text, integer),
    persona.rollback(text),
    persona.drop_model(text),
    persona.label(text, integer, integer, text),
    persona.import_centroids(text, float8[], text[], text[], boolean),
    persona.import_model(jsonb, text, boolean),
    persona.fit(text, regclass, text[], integer, integer, integer, boolean, integer, integer,
                float8, bigint, text, boolean, float8[]),
    persona.set_baseline(text, regclass, integer),
    persona.drift(text, regclass, text, float8),
    persona.check_drift(text, regclass, float8, text),
    persona.source_fingerprint(regclass, text[])
  FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE persona.retrain_if_drifted(text, regclass, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    persona._register_version(text, integer, text[], text[], float8[], float8[], float8[],
                              text, boolean),
    persona._set_production(text, integer, text),
    persona._retrain_step(text, regclass, text),
    persona.promote(text, integer),
    persona.rollback(text),
    persona.drop_model(text),
    persona.label(text, integer, integer, text),
    persona.import_centroids(text, float8[], text[], text[], boolean),
    persona.import_model(jsonb, text, boolean),
    persona.fit(text, regclass, text[], integer, integer, integer, boolean, integer, integer,
                float8, bigint, text, boolean, float8[]),
    persona.set_baseline(text, regclass, integer),
    persona.drift(text, regclass, text, float8),
    persona.check_drift(text, regclass, float8, text),
    persona.source_fingerprint(regclass, text[])
  TO persona_admin;
GRANT EXECUTE ON PROCEDURE persona.retrain_if_drifted(text, regclass, text) TO persona_admin;
