-- Scheduled retraining: the monthly loop (check drift, retrain on drift, promote, tell the
-- team) as one procedure that pg_cron can CALL, with every run recorded in persona.jobs.

CREATE TABLE persona.jobs (
    job_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model        text NOT NULL,
    source       text NOT NULL,
    promote_mode text NOT NULL,
    status       text NOT NULL CHECK (status IN ('running', 'skipped', 'no drift',
                                                 'insufficient data', 'unchanged', 'trained',
                                                 'promoted', 'failed')),
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    error        text,
    report_id    bigint,
    new_version  integer,
    rows_used    bigint,
    fingerprint  text,
    run_by       text NOT NULL DEFAULT current_user
);
-- Never two running rows for a model, even if the advisory lock were bypassed.
CREATE UNIQUE INDEX jobs_one_running ON persona.jobs (model) WHERE status = 'running';
CREATE INDEX jobs_model ON persona.jobs (model, job_id);
SELECT pg_catalog.pg_extension_config_dump('persona.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('persona.jobs_job_id_seq', '');

ALTER TABLE persona.model_events ADD COLUMN report_id bigint;
COMMENT ON COLUMN persona.model_events.report_id IS
    'The drift report that led to the change, when a retrain promoted the version.';

-- Whether `candidate` is at least as good as `incumbent` by fit's selection metric.
CREATE FUNCTION persona._at_least_as_good(metric text, candidate float8, incumbent float8)
RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN CASE
    WHEN candidate IS NULL THEN false
    WHEN incumbent IS NULL THEN true
    WHEN metric IN ('inertia', 'davies_bouldin') THEN candidate <= incumbent
    ELSE candidate >= incumbent
END;

-- No SET search_path here: a procedure with a SET clause may not COMMIT. Every persona
-- object is schema-qualified, and pg_catalog is searched first anyway.
CREATE PROCEDURE persona.retrain_if_drifted(model text, source regclass,
                                            promote text DEFAULT 'manual')
LANGUAGE plpgsql
AS $$
DECLARE
    v_lock_key constant integer := hashtext('persona.retrain_if_drifted');
    v_job bigint;
    v_status text;
    v_error text;
    v_state text;
    v_hint text;
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
    IF NOT EXISTS (SELECT 1 FROM persona.registered_models r
                    WHERE r.model = retrain_if_drifted.model) THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = '42704',
            HINT = 'The registered models are listed in persona.models.';
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
        -- Everything the step wrote is rolled back with it: the registry is as it was. The
        -- error, a cancel (statement_timeout, pg_cancel_backend) included, is caught so that
        -- the run's row and the lock are released, and raised again below, so that the caller
        -- and pg_cron's job_run_details see the run fail.
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE,
                                v_hint = PG_EXCEPTION_HINT;
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
    IF v_hint <> '' THEN
        RAISE EXCEPTION '%', v_error USING ERRCODE = v_state, HINT = v_hint;
    ELSIF v_state IS NOT NULL THEN
        RAISE EXCEPTION '%', v_error USING ERRCODE = v_state;
    END IF;
END;
$$;

-- The work of one retrain, in one transaction (the caller's subtransaction): returns what
-- happened and the notifications to send once it is committed.
CREATE FUNCTION persona._retrain_step(p_model text, p_source regclass, p_promote text,
    OUT status text, OUT report_id bigint, OUT rows_used bigint, OUT new_version integer,
    OUT fingerprint text, OUT events jsonb)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prod persona.model_versions;
    v_params jsonb;
    v_drift boolean;
    v_metric text;
    v_new_score float8;
    v_old_score float8;
BEGIN
    events := '[]';
    SELECT * INTO v_prod FROM persona.model_versions v
     WHERE v.model = p_model AND v.stage = 'production';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" has no production version to check against', p_model
            USING ERRCODE = '55000';
    END IF;
    SELECT c.report_id, c.dataset_drift INTO report_id, v_drift
      FROM persona.check_drift(p_model, p_source) c;
    SELECT r.n_current INTO rows_used FROM persona.drift_reports r
     WHERE r.report_id = _retrain_step.report_id;
    IF v_drift IS NULL THEN
        status := 'insufficient data';
        RETURN;
    ELSIF NOT v_drift THEN
        status := 'no drift';
        RETURN;
    END IF;
    events := events || jsonb_build_object('event', 'drift_found', 'version', v_prod.version,
                                           'report_id', report_id);
    fingerprint := persona.source_fingerprint(p_source, v_prod.features);
    IF EXISTS (SELECT 1 FROM persona.jobs j
                WHERE j.model = p_model AND j.fingerprint = _retrain_step.fingerprint
                  AND j.status IN ('trained', 'promoted')) THEN
        status := 'unchanged';
        RETURN;
    END IF;
    -- The production version's settings, its k search range included; fit's defaults for
    -- imported centroids.
    SELECT r.params INTO v_params FROM persona.fit_runs r WHERE r.run_id = v_prod.run_id;
    v_params := coalesce(v_params, '{}');
    v_metric := coalesce(v_params->>'select_by', 'silhouette');
    new_version := persona.fit(p_model, p_source, v_prod.features,
        k_min => coalesce((v_params->>'k_min')::int, 2),
        k_max => coalesce((v_params->>'k_max')::int, 10),
        standardize => coalesce((v_params->>'standardize')::boolean, true),
        n_init => coalesce((v_params->>'n_init')::int, 10),
        max_iter => coalesce((v_params->>'max_iter')::int, 300),
        tol => coalesce((v_params->>'tol')::float8, 1e-4),
        seed => coalesce((v_params->>'seed')::bigint, 0),
        select_by => v_metric);
    status := 'trained';
    events := events || jsonb_build_object('event', 'version_trained', 'version', new_version,
                                           'report_id', report_id);
    IF p_promote = 'auto' THEN
        SELECT (r.metrics->>v_metric)::float8 INTO v_new_score FROM persona.fit_runs r
         WHERE r.model = p_model AND r.version = new_version;
        v_old_score := (persona.evaluate(p_model, v_prod.version, p_source)->>v_metric)::float8;
        IF persona._at_least_as_good(v_metric, v_new_score, v_old_score) THEN
            PERFORM persona.promote(p_model, new_version);
            UPDATE persona.model_events e
               SET report_id = _retrain_step.report_id,
                   reason = format('promoted by retrain_if_drifted: %s %s vs %s', v_metric,
                                   round(v_new_score::numeric, 6), round(v_old_score::numeric, 6))
             WHERE e.event_id = (SELECT max(e2.event_id) FROM persona.model_events e2
                                  WHERE e2.model = p_model AND e2.version = new_version);
            status := 'promoted';
            events := events || jsonb_build_object('event', 'version_promoted',
                                                   'version', new_version,
                                                   'report_id', report_id);
        ELSE
            RAISE NOTICE 'version % of model "%" stays in staging: %', new_version, p_model,
                CASE WHEN v_new_score IS NULL THEN format('its %s is undefined', v_metric)
                     ELSE format('its %s (%s) is worse than production''s (%s)', v_metric,
                                 round(v_new_score::numeric, 6), round(v_old_score::numeric, 6))
                END
                USING HINT = 'persona.promote makes it the production version anyway.';
            events := events || jsonb_build_object('event', 'version_kept_in_staging',
                                                   'version', new_version,
                                                   'report_id', report_id,
                                                   'metric', v_metric,
                                                   'score', v_new_score::text,
                                                   'production_score', v_old_score::text);
        END IF;
    END IF;
END;
$$;

-- Per model: the last run, the last success and how many runs failed since.
CREATE VIEW persona.job_status AS
SELECT m.model,
       last.started_at AS last_run_at,
       last.status AS last_status,
       ok.finished_at AS last_success_at,
       (SELECT count(*) FROM persona.jobs f
         WHERE f.model = m.model AND f.status = 'failed'
           AND f.job_id > coalesce(ok.job_id, 0)) AS failures_since_success
  FROM persona.registered_models m
  LEFT JOIN LATERAL (SELECT * FROM persona.jobs j WHERE j.model = m.model
                      ORDER BY j.job_id DESC LIMIT 1) last ON true
  LEFT JOIN LATERAL (SELECT * FROM persona.jobs j WHERE j.model = m.model
                        AND j.status IN ('no drift', 'unchanged', 'trained', 'promoted')
                      ORDER BY j.job_id DESC LIMIT 1) ok ON true;

-- Models with a production version whose retraining has not succeeded within twice the
-- expected interval (setting persona.retrain_interval, default 1 month), counted from the last
-- success or, for a model never retrained, from its last promotion: this also catches runs
-- that pg_cron never started, without flagging a model promoted a moment ago.
CREATE VIEW persona.stale_models AS
SELECT s.model, s.last_success_at, s.last_status, s.failures_since_success,
       i.expected AS expected_interval
  FROM persona.job_status s
  CROSS JOIN LATERAL (SELECT coalesce(nullif(current_setting('persona.retrain_interval', true),
                                             ''), '1 month')::interval AS expected) i
  CROSS JOIN LATERAL (SELECT max(e.changed_at) AS since FROM persona.model_events e
                       WHERE e.model = s.model AND e.to_stage = 'production') p
 WHERE EXISTS (SELECT 1 FROM persona.model_versions v
                WHERE v.model = s.model AND v.stage = 'production')
   AND coalesce(s.last_success_at, p.since) < now() - 2 * i.expected;

COMMENT ON TABLE persona.jobs IS 'Every call of persona.retrain_if_drifted, kept even when it fails.';
COMMENT ON COLUMN persona.jobs.status IS
    'running, skipped (another run held the model), no drift, insufficient data (too few '
    'rows to judge), unchanged (same data as an earlier retrain), trained, promoted or failed.';
COMMENT ON COLUMN persona.jobs.error IS 'The error message of a failed run.';
COMMENT ON COLUMN persona.jobs.report_id IS 'The drift report of the run (persona.drift_reports).';
COMMENT ON COLUMN persona.jobs.new_version IS 'The version the run trained, if any.';
COMMENT ON COLUMN persona.jobs.rows_used IS 'Rows of the source the drift check used.';
COMMENT ON COLUMN persona.jobs.fingerprint IS 'persona.source_fingerprint of the source.';
COMMENT ON VIEW persona.job_status IS 'Per model: last retrain run, last success, failures since.';
COMMENT ON VIEW persona.stale_models IS
    'Models whose last successful retrain is older than twice persona.retrain_interval.';
COMMENT ON PROCEDURE persona.retrain_if_drifted(text, regclass, text) IS
    'Checks drift against production; on drift fits a new version (manual: staging, auto: '
    'promoted if no worse) and sends NOTIFY persona_events.';
COMMENT ON COLUMN persona.jobs.job_id IS 'Run number.';
COMMENT ON COLUMN persona.jobs.model IS 'Model that was checked.';
COMMENT ON COLUMN persona.jobs.source IS 'Relation that was checked and, on drift, trained on.';
COMMENT ON COLUMN persona.jobs.promote_mode IS
    'manual (register as staging) or auto (promote when no worse than production).';
COMMENT ON COLUMN persona.jobs.started_at IS 'When the run started.';
COMMENT ON COLUMN persona.jobs.finished_at IS 'When the run ended; NULL while it runs.';
COMMENT ON COLUMN persona.jobs.run_by IS 'Role that ran it (the pg_cron job''s user).';
COMMENT ON COLUMN persona.job_status.model IS 'Model name.';
COMMENT ON COLUMN persona.job_status.last_run_at IS 'When the last retrain run started.';
COMMENT ON COLUMN persona.job_status.last_status IS 'Status of the last run.';
COMMENT ON COLUMN persona.job_status.last_success_at IS
    'When the last run that ended without error (no drift, unchanged, trained, promoted) finished.';
COMMENT ON COLUMN persona.job_status.failures_since_success IS
    'Failed runs since the last success.';
COMMENT ON COLUMN persona.stale_models.model IS 'Model name.';
COMMENT ON COLUMN persona.stale_models.last_success_at IS
    'When the last successful retrain finished; NULL if none ever did.';
COMMENT ON COLUMN persona.stale_models.last_status IS 'Status of the last run, if any.';
COMMENT ON COLUMN persona.stale_models.failures_since_success IS
    'Failed runs since the last success.';
COMMENT ON COLUMN persona.stale_models.expected_interval IS
    'persona.retrain_interval (default 1 month); stale after twice that.';
COMMENT ON FUNCTION persona._at_least_as_good(text, float8, float8) IS
    'Internal: whether a candidate metric value is at least as good as the incumbent''s.';
COMMENT ON FUNCTION persona._retrain_step(text, regclass, text) IS
    'Internal: one retrain (check, fit, maybe promote) in one transaction, for retrain_if_drifted.';
