-- persona 0.1.0 to 0.2.0, run by ALTER EXTENSION persona UPDATE.
\echo Use "ALTER EXTENSION persona UPDATE TO '0.2.0'" to load this file. \quit

-- pg_dump keeps the identity sequences of the registry's tables, so that a restored database
-- goes on numbering events, runs and jobs where the original stopped.
SELECT pg_catalog.pg_extension_config_dump('persona.model_events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('persona.fit_runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('persona.jobs_job_id_seq', '');

-- A failed or cancelled retrain records its run as failed and releases its lock before its
-- error is raised again; an unknown model is refused before any job row is written.
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

-- A retrain whose new version is not promoted says why (NOTICE and a NOTIFY event).
CREATE OR REPLACE FUNCTION persona._retrain_step(p_model text, p_source regclass, p_promote text,
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

-- Successive rollbacks walk back through the promotions; the stage switch refuses a version
-- that does not exist.
CREATE OR REPLACE FUNCTION persona.rollback(model text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_current integer;
    v_stack integer[] := '{}';
    v_event record;
    v_target integer;
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION 'model must not be null' USING ERRCODE = '22004';
    END IF;
    PERFORM 1 FROM persona.registered_models m WHERE m.model = rollback.model FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = '42704',
            HINT = 'The registered models are listed in persona.models.';
    END IF;
    SELECT v.version INTO v_current FROM persona.model_versions v
     WHERE v.model = rollback.model AND v.stage = 'production';
    IF v_current IS NULL THEN
        RAISE EXCEPTION 'model "%" has no production version to roll back from', model
            USING ERRCODE = '55000';
    END IF;
    -- The promotions form a stack: a promotion pushes its version, a rollback pops one. The
    -- target is the version under the top, so successive rollbacks walk back one promotion
    -- at a time and end when there is none, whatever was promoted in between.
    FOR v_event IN SELECT e.version, e.reason FROM persona.model_events e
                    WHERE e.model = rollback.model AND e.to_stage = 'production'
                    ORDER BY e.event_id LOOP
        IF v_event.reason LIKE 'rollback from version %' THEN
            v_stack := v_stack[1:cardinality(v_stack) - 1];
        ELSE
            v_stack := v_stack || v_event.version;
        END IF;
    END LOOP;
    v_target := v_stack[cardinality(v_stack) - 1];
    IF v_target IS NULL THEN
        RAISE EXCEPTION 'model "%" has no earlier production version to roll back to', model
            USING ERRCODE = '55000';
    END IF;
    PERFORM persona._set_production(model, v_target,
                                    format('rollback from version %s', v_current));
    RETURN v_target;
END;
$$;

CREATE OR REPLACE FUNCTION persona._set_production(p_model text, p_version integer, p_reason text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old integer;
    v_stage text;
BEGIN
    SELECT stage INTO v_stage FROM persona.model_versions
     WHERE model = p_model AND version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'version % of model "%" does not exist', p_version, p_model
            USING ERRCODE = '42704';
    END IF;
    IF v_stage = 'production' THEN
        RETURN;
    END IF;
    SELECT version INTO v_old FROM persona.model_versions
     WHERE model = p_model AND stage = 'production';
    IF v_old IS NOT NULL THEN
        UPDATE persona.model_versions SET stage = 'archived'
         WHERE model = p_model AND version = v_old;
        INSERT INTO persona.model_events (model, version, from_stage, to_stage, reason)
        VALUES (p_model, v_old, 'production', 'archived',
                format('replaced by version %s', p_version));
    END IF;
    UPDATE persona.model_versions SET stage = 'production'
     WHERE model = p_model AND version = p_version;
    INSERT INTO persona.model_events (model, version, from_stage, to_stage, reason)
    VALUES (p_model, p_version, v_stage, 'production', p_reason);
END;
$$;

-- A model never retrained is stale only once its promotion is older than twice the interval.
CREATE OR REPLACE VIEW persona.stale_models AS
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

-- Labels are kept to 200 characters, like model names.
CREATE OR REPLACE FUNCTION persona.label(model text, version integer, persona_id integer, label text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_labels text[];
BEGIN
    IF model IS NULL OR version IS NULL OR persona_id IS NULL OR label IS NULL THEN
        RAISE EXCEPTION 'model, version, persona_id and label must not be null'
            USING ERRCODE = '22004';
    END IF;
    IF btrim(label) = '' THEN
        RAISE EXCEPTION 'label must not be empty' USING ERRCODE = '22023';
    END IF;
    IF char_length(label) > 200 THEN
        RAISE EXCEPTION 'label must be at most 200 characters, got %', char_length(label)
            USING ERRCODE = '22023';
    END IF;
    SELECT v.labels INTO v_labels FROM persona.model_versions v
     WHERE v.model = label.model AND v.version = label.version FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'version % of model "%" does not exist', version, model
            USING ERRCODE = '42704', HINT = 'The versions of a model are listed in persona.models.';
    END IF;
    IF persona_id < 1 OR persona_id > cardinality(v_labels) THEN
        RAISE EXCEPTION 'persona_id % is out of range: version % has personas 1 to %',
            persona_id, version, cardinality(v_labels) USING ERRCODE = '22023';
    END IF;
    IF label = ANY (v_labels) AND v_labels[persona_id] <> label THEN
        RAISE EXCEPTION 'label "%" is already used by another persona of this version', label
            USING ERRCODE = '23505';
    END IF;
    UPDATE persona.model_versions v SET labels[persona_id] = label.label
     WHERE v.model = label.model AND v.version = label.version;
END;
$$;

-- Drift reports keep reference and current histograms; drift_report_html draws one report.
CREATE FUNCTION persona.drift_report_html(report_id bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'drift_report_html_wrapper'
LANGUAGE c STABLE PARALLEL SAFE;

-- persona.runs shows its metrics as plain columns; persona.drift_features the histograms.
CREATE OR REPLACE VIEW persona.runs AS
SELECT r.run_id, r.model, r.version, r.k, r.params, r.metrics, r.started_at, r.duration,
       r.created_by,
       r.params ->> 'source' AS source,
       (r.metrics ->> 'inertia')::float8 AS inertia,
       (r.metrics ->> 'silhouette')::float8 AS silhouette,
       (r.metrics ->> 'calinski_harabasz')::float8 AS calinski_harabasz,
       (r.metrics ->> 'davies_bouldin')::float8 AS davies_bouldin,
       (r.metrics ->> 'silhouette_inertia_ratio')::float8 AS silhouette_inertia_ratio,
       (r.metrics ->> 'n_iter')::integer AS n_iter,
       (r.metrics ->> 'rows_used')::bigint AS rows_used,
       (r.metrics ->> 'rows_skipped')::bigint AS rows_skipped
  FROM persona.fit_runs r
 ORDER BY r.run_id;

CREATE OR REPLACE VIEW persona.drift_features AS
SELECT r.report_id,
       r.model,
       r.version,
       r.checked_at,
       d.ordinal::integer AS ordinal,
       d.item ->> 'feature' AS feature,
       d.item ->> 'kind' AS kind,
       d.item ->> 'method' AS method,
       (d.item ->> 'statistic')::float8 AS statistic,
       (d.item ->> 'p_value')::float8 AS p_value,
       (d.item ->> 'threshold')::float8 AS threshold,
       (d.item ->> 'drifted')::boolean AS drifted,
       (d.item ->> 'n_reference')::bigint AS n_reference,
       (d.item ->> 'n_current')::bigint AS n_current,
       (d.item ->> 'n_null')::bigint AS n_null,
       ARRAY(SELECT h.v::float8
               FROM jsonb_array_elements_text(d.item -> 'histogram' -> 'edges')
                    WITH ORDINALITY h(v, i) ORDER BY h.i) AS bin_edges,
       ARRAY(SELECT h.v
               FROM jsonb_array_elements_text(d.item -> 'histogram' -> 'labels')
                    WITH ORDINALITY h(v, i) ORDER BY h.i) AS bar_labels,
       ARRAY(SELECT h.v::bigint
               FROM jsonb_array_elements_text(d.item -> 'histogram' -> 'reference')
                    WITH ORDINALITY h(v, i) ORDER BY h.i) AS reference_counts,
       ARRAY(SELECT h.v::bigint
               FROM jsonb_array_elements_text(d.item -> 'histogram' -> 'current')
                    WITH ORDINALITY h(v, i) ORDER BY h.i) AS current_counts
  FROM persona.drift_reports r
 CROSS JOIN LATERAL jsonb_array_elements(r.details) WITH ORDINALITY AS d(item, ordinal);

-- persona.feature_stats, the per-feature statistics as a parallel aggregate.
-- persona.feature_stats: the per-feature statistics fit and drift start from (count, mean,
-- population standard deviation, range), as an aggregate whose partial states combine, so
-- PostgreSQL's parallel query, and a distributed engine such as Citus, split it across workers
-- (src/gather.rs). The transition state is internal; between processes it travels as bytea.

CREATE FUNCTION persona._feature_stats_step(state internal, features float8[])
RETURNS internal
AS 'MODULE_PATHNAME', 'feature_stats_step_wrapper'
LANGUAGE c IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_combine(first internal, second internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'feature_stats_combine_wrapper'
LANGUAGE c IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_serialize(state internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'feature_stats_serialize_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_deserialize(bytes bytea, unused internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'feature_stats_deserialize_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_final(state internal)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'feature_stats_final_wrapper'
LANGUAGE c IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE persona.feature_stats(features float8[]) (
    SFUNC = persona._feature_stats_step,
    STYPE = internal,
    COMBINEFUNC = persona._feature_stats_combine,
    SERIALFUNC = persona._feature_stats_serialize,
    DESERIALFUNC = persona._feature_stats_deserialize,
    FINALFUNC = persona._feature_stats_final,
    PARALLEL = SAFE
);


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

-- Functions that write, or read customer rows of the baselines, are for persona_admin only.
DO $$
DECLARE
    v_routine regprocedure;
BEGIN
    FOREACH v_routine IN ARRAY ARRAY[
        'persona._register_version(text, integer, text[], text[], float8[], float8[], float8[],
                                   text, boolean)',
        'persona._set_production(text, integer, text)',
        'persona._retrain_step(text, regclass, text)',
        'persona.promote(text, integer)',
        'persona.rollback(text)',
        'persona.drop_model(text)',
        'persona.label(text, integer, integer, text)',
        'persona.import_centroids(text, float8[], text[], text[], boolean)',
        'persona.import_model(jsonb, text, boolean)',
        'persona.fit(text, regclass, text[], integer, integer, integer, boolean, integer,
                     integer, float8, bigint, text, boolean, float8[])',
        'persona.set_baseline(text, regclass, integer)',
        'persona.drift(text, regclass, text, float8)',
        'persona.check_drift(text, regclass, float8, text)',
        'persona.source_fingerprint(regclass, text[])',
        'persona.retrain_if_drifted(text, regclass, text)']::regprocedure[]
    LOOP
        EXECUTE format('REVOKE EXECUTE ON ROUTINE %s FROM PUBLIC', v_routine);
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO persona_admin', v_routine);
    END LOOP;
END;
$$;

-- Every function, table, view, type and column is commented (the comments of 0.2.0, all).
COMMENT ON SCHEMA persona IS 'persona: model registry, fitting, drift checks and scoring kernels.';
COMMENT ON TABLE persona.registered_models IS 'One row per model name.';
COMMENT ON TABLE persona.model_versions IS
    'Every version of every model: centroids, labels, features and standardization.';
COMMENT ON COLUMN persona.model_versions.stage IS
    'staging, production or archived; at most one production version per model.';
COMMENT ON COLUMN persona.model_versions.centroids IS
    'k x d matrix of centroids in the original units of the features.';
COMMENT ON COLUMN persona.model_versions.scaler_mean IS
    'Per-feature mean subtracted before scoring; NULL when the model is not standardized.';
COMMENT ON COLUMN persona.model_versions.scaler_scale IS
    'Per-feature scale (population standard deviation, 1 for a constant feature).';
COMMENT ON TABLE persona.model_events IS 'Append-only log of every stage change.';
COMMENT ON VIEW persona.models IS 'One row per model version.';
COMMENT ON COLUMN persona.models.model IS 'Model name.';
COMMENT ON COLUMN persona.models.version IS 'Version number, 1, 2, ... per model.';
COMMENT ON COLUMN persona.models.stage IS 'staging, production or archived.';
COMMENT ON COLUMN persona.models.k IS 'Number of personas (centroids).';
COMMENT ON COLUMN persona.models.features IS 'Feature names, in the order scoring expects them.';
COMMENT ON COLUMN persona.models.labels IS 'Persona names; persona id n is labels[n].';
COMMENT ON COLUMN persona.models.standardized IS
    'True when features are z-scored before the distance is taken.';
COMMENT ON COLUMN persona.models.origin IS 'import (given centroids) or fit (trained here).';
COMMENT ON COLUMN persona.models.created_at IS 'When the version was registered.';
COMMENT ON COLUMN persona.models.created_by IS 'Role that registered the version.';
COMMENT ON FUNCTION persona.promote(text, integer) IS
    'Makes a version the production one; the previous production version is archived.';
COMMENT ON COLUMN persona.registered_models.model IS 'Model name.';
COMMENT ON COLUMN persona.registered_models.created_at IS 'When the first version was registered.';
COMMENT ON COLUMN persona.registered_models.created_by IS 'Role that registered the first version.';
COMMENT ON COLUMN persona.model_versions.model IS 'Model name.';
COMMENT ON COLUMN persona.model_versions.version IS 'Version number, 1, 2, ... per model.';
COMMENT ON COLUMN persona.model_versions.k IS 'Number of personas (centroids).';
COMMENT ON COLUMN persona.model_versions.features IS
    'Feature names, in the order scoring expects them.';
COMMENT ON COLUMN persona.model_versions.labels IS 'Persona names; persona id n is labels[n].';
COMMENT ON COLUMN persona.model_versions.origin IS 'import (given centroids) or fit (trained here).';
COMMENT ON COLUMN persona.model_versions.created_at IS 'When the version was registered.';
COMMENT ON COLUMN persona.model_versions.created_by IS 'Role that registered the version.';
COMMENT ON COLUMN persona.model_events.event_id IS 'Event number, in the order of the changes.';
COMMENT ON COLUMN persona.model_events.model IS 'Model name.';
COMMENT ON COLUMN persona.model_events.version IS 'Version whose stage changed.';
COMMENT ON COLUMN persona.model_events.from_stage IS 'Stage before the change; NULL at registration.';
COMMENT ON COLUMN persona.model_events.to_stage IS 'Stage after the change.';
COMMENT ON COLUMN persona.model_events.changed_at IS 'When the stage changed.';
COMMENT ON COLUMN persona.model_events.changed_by IS 'Role that changed it.';
COMMENT ON COLUMN persona.model_events.reason IS
    'Why: registered by import or fit, promoted, replaced by version n, rolled back, ...';
COMMENT ON FUNCTION persona._register_version(text, integer, text[], text[], float8[], float8[],
                                              float8[], text, boolean) IS
    'Internal: numbers, stores and logs a validated version (called by import_centroids, fit, import_model).';
COMMENT ON FUNCTION persona._set_production(text, integer, text) IS
    'Internal: makes a version the production one and archives the previous one.';
COMMENT ON FUNCTION persona.drift_report_html(bigint) IS
    'A saved drift report as one self-contained HTML page: verdict, table of columns, reference and current histograms (inline CSS and SVG, no script).';
COMMENT ON FUNCTION persona.set_baseline(text, regclass, integer) IS
    'Stores (or replaces) the drift baseline of a model version from a relation; default: the production version. Returns the version.';
COMMENT ON FUNCTION persona.drift(text, regclass, text, float8) IS
    'Compares a relation with the baseline of the production version: one row per feature, then persona_share and distance.';
COMMENT ON FUNCTION persona.check_drift(text, regclass, float8, text) IS
    'Runs persona.drift, decides dataset drift (share of drifted features >= drift_share) and saves the report in persona.drift_reports.';
COMMENT ON TABLE persona.baselines IS
    'One drift baseline per model version: where it came from, and the persona counts of its rows.';
COMMENT ON COLUMN persona.baselines.model IS 'Model name.';
COMMENT ON COLUMN persona.baselines.version IS 'Model version the baseline belongs to.';
COMMENT ON COLUMN persona.baselines.origin IS
    'fit (stored by persona.fit from its training rows) or set_baseline.';
COMMENT ON COLUMN persona.baselines.source IS
    'Relation persona.set_baseline read; NULL for a baseline stored by fit.';
COMMENT ON COLUMN persona.baselines.n_rows IS 'Rows read, including rows with NULL features.';
COMMENT ON COLUMN persona.baselines.rows_skipped IS
    'Rows with a NULL, NaN or infinite feature: left out of persona counts and distances.';
COMMENT ON COLUMN persona.baselines.persona_counts IS
    'Rows assigned to each persona under this version (index = persona id).';
COMMENT ON COLUMN persona.baselines.sample_size IS
    'persona.baseline_sample_size when the baseline was made: the cap of every sample.';
COMMENT ON COLUMN persona.baselines.created_at IS 'When the baseline was stored.';
COMMENT ON COLUMN persona.baselines.created_by IS 'Role that stored the baseline.';
COMMENT ON TABLE persona.baseline_features IS
    'Per feature of a baseline (kind feature), plus the distance to the nearest centroid (kind distance).';
COMMENT ON COLUMN persona.baseline_features.model IS 'Model name.';
COMMENT ON COLUMN persona.baseline_features.version IS 'Model version.';
COMMENT ON COLUMN persona.baseline_features.ordinal IS
    'Position of the feature in the version''s features; the distance comes last.';
COMMENT ON COLUMN persona.baseline_features.feature IS 'Feature name, or distance.';
COMMENT ON COLUMN persona.baseline_features.kind IS
    'feature, or distance (Euclidean distance to the nearest centroid, in scoring units).';
COMMENT ON COLUMN persona.baseline_features.n_rows IS 'Values read, NULLs included.';
COMMENT ON COLUMN persona.baseline_features.n_null IS
    'NULL, NaN and infinite values: counted here, excluded from everything else.';
COMMENT ON COLUMN persona.baseline_features.mean IS 'Mean of all valid values.';
COMMENT ON COLUMN persona.baseline_features.std IS
    'Population standard deviation of all valid values (normalises Wasserstein).';
COMMENT ON COLUMN persona.baseline_features.edges IS
    'Interior edges of the decile bins of the sample (ties merged); bins are closed on the left.';
COMMENT ON COLUMN persona.baseline_features.shares IS
    'Share of the sample in each bin (one more than the edges).';
COMMENT ON COLUMN persona.baseline_features.sample IS
    'Uniform sample of the valid values, sorted, at most sample_size values (all of them when they fit).';
COMMENT ON COLUMN persona.baseline_features.categories IS
    'Distinct values when there are at most 5 (a discrete feature); NULL otherwise.';
COMMENT ON COLUMN persona.baseline_features.category_counts IS
    'Count of each value in categories, over all rows.';
COMMENT ON TABLE persona.drift_reports IS 'Every persona.check_drift: the verdict and all per-feature rows.';
COMMENT ON COLUMN persona.drift_reports.report_id IS 'Report number.';
COMMENT ON COLUMN persona.drift_reports.model IS 'Model name.';
COMMENT ON COLUMN persona.drift_reports.version IS
    'Production version whose baseline was the reference.';
COMMENT ON COLUMN persona.drift_reports.source IS 'Relation that was checked.';
COMMENT ON COLUMN persona.drift_reports.method IS 'Method asked for (auto or a method name).';
COMMENT ON COLUMN persona.drift_reports.drift_share IS
    'Share of drifted features at which the dataset counts as drifted.';
COMMENT ON COLUMN persona.drift_reports.checked_at IS 'When the check ran.';
COMMENT ON COLUMN persona.drift_reports.checked_by IS 'Role that ran the check.';
COMMENT ON COLUMN persona.drift_reports.dataset_drift IS
    'share >= drift_share; NULL when no feature had enough data to be tested.';
COMMENT ON COLUMN persona.drift_reports.drifted_features IS 'Model features that drifted.';
COMMENT ON COLUMN persona.drift_reports.total_features IS
    'Model features that could be tested (verdict not NULL); persona_share and distance are not counted.';
COMMENT ON COLUMN persona.drift_reports.share IS 'drifted_features / total_features.';
COMMENT ON COLUMN persona.drift_reports.n_current IS 'Rows read from the source.';
COMMENT ON COLUMN persona.drift_reports.details IS
    'One object per row of persona.drift, in its order, with kind, n_null and the histogram of both sides added.';
COMMENT ON VIEW persona.drift_features IS 'One row per drift report and compared column.';
COMMENT ON COLUMN persona.drift_features.report_id IS 'Report number (persona.drift_reports).';
COMMENT ON COLUMN persona.drift_features.model IS 'Model name.';
COMMENT ON COLUMN persona.drift_features.version IS 'Production version used as reference.';
COMMENT ON COLUMN persona.drift_features.checked_at IS 'When the check ran.';
COMMENT ON COLUMN persona.drift_features.ordinal IS 'Row position within the report.';
COMMENT ON COLUMN persona.drift_features.feature IS 'Feature name, persona_share or distance.';
COMMENT ON COLUMN persona.drift_features.kind IS 'feature, persona_share or distance.';
COMMENT ON COLUMN persona.drift_features.method IS 'Method used for this row.';
COMMENT ON COLUMN persona.drift_features.statistic IS
    'Test statistic (ks, chisquare, z) or distance (wasserstein, psi, jensenshannon).';
COMMENT ON COLUMN persona.drift_features.p_value IS 'p-value of ks, chisquare and z; NULL for distances.';
COMMENT ON COLUMN persona.drift_features.threshold IS 'Threshold the verdict used.';
COMMENT ON COLUMN persona.drift_features.drifted IS
    'Verdict; NULL when there were too few current values (persona.drift_min_rows).';
COMMENT ON COLUMN persona.drift_features.n_reference IS 'Reference values the statistic used.';
COMMENT ON COLUMN persona.drift_features.n_current IS 'Valid current values the statistic used.';
COMMENT ON COLUMN persona.drift_features.n_null IS
    'Current values left out: NULL, NaN or infinite (for persona_share and distance: incomplete rows).';
COMMENT ON COLUMN persona.drift_features.bin_edges IS
    'Edges of the equal-width bins of the histogram (one more than the bars); empty when the bars are labelled.';
COMMENT ON COLUMN persona.drift_features.bar_labels IS
    'Bar labels of the histogram of a discrete column (its values) or of persona_share (persona names); empty for bins.';
COMMENT ON COLUMN persona.drift_features.reference_counts IS
    'Reference values per bar (the baseline sample for bins, exact counts for values and personas).';
COMMENT ON COLUMN persona.drift_features.current_counts IS 'Current values per bar.';
COMMENT ON COLUMN persona.model_versions.matched_version IS
    'The production version whose personas this version was matched to when it was fitted.';
COMMENT ON COLUMN persona.model_versions.previous_ids IS
    'For each persona, the id it had in matched_version (NULL for a new persona).';
COMMENT ON COLUMN persona.model_versions.run_id IS 'The fit run that produced the version.';
COMMENT ON COLUMN persona.model_versions.sizes IS
    'Training rows per persona (NULL for imported centroids).';
COMMENT ON TABLE persona.fit_runs IS 'Every k-means run of persona.fit.';
COMMENT ON VIEW persona.runs IS 'Every k-means run of persona.fit, registered or not.';
COMMENT ON COLUMN persona.runs.run_id IS 'Run number.';
COMMENT ON COLUMN persona.runs.model IS 'Model the run was for.';
COMMENT ON COLUMN persona.runs.version IS 'Version registered from this run; NULL if not chosen.';
COMMENT ON COLUMN persona.runs.k IS 'Number of personas of the run.';
COMMENT ON COLUMN persona.runs.params IS 'Arguments of the fit (source, features, seed, ...).';
COMMENT ON COLUMN persona.runs.metrics IS
    'inertia, silhouette, calinski_harabasz, davies_bouldin, silhouette_inertia_ratio, '
    'n_iter, rows_used, rows_skipped.';
COMMENT ON COLUMN persona.runs.started_at IS 'When the run started.';
COMMENT ON COLUMN persona.runs.duration IS 'How long the run took.';
COMMENT ON COLUMN persona.runs.created_by IS 'Role that ran the fit.';
COMMENT ON COLUMN persona.runs.source IS 'Relation the run was trained on (params.source).';
COMMENT ON COLUMN persona.runs.inertia IS 'Sum of squared distances to the nearest centroid (scoring units).';
COMMENT ON COLUMN persona.runs.silhouette IS
    'Mean silhouette (sampled above 10,000 rows); NULL for one persona.';
COMMENT ON COLUMN persona.runs.calinski_harabasz IS 'Calinski-Harabasz index (higher is better).';
COMMENT ON COLUMN persona.runs.davies_bouldin IS 'Davies-Bouldin index (lower is better).';
COMMENT ON COLUMN persona.runs.silhouette_inertia_ratio IS 'silhouette x 1000 / inertia.';
COMMENT ON COLUMN persona.runs.n_iter IS 'Lloyd iterations of the best restart.';
COMMENT ON COLUMN persona.runs.rows_used IS 'Rows the run was trained on.';
COMMENT ON COLUMN persona.runs.rows_skipped IS 'Rows skipped for a NULL, NaN or infinite feature.';
COMMENT ON COLUMN persona.fit_runs.run_id IS 'Run number.';
COMMENT ON COLUMN persona.fit_runs.model IS 'Model the run was for.';
COMMENT ON COLUMN persona.fit_runs.version IS 'Version registered from this run; NULL if not chosen.';
COMMENT ON COLUMN persona.fit_runs.k IS 'Number of personas of the run.';
COMMENT ON COLUMN persona.fit_runs.params IS 'Arguments of the fit (source, features, seed, ...).';
COMMENT ON COLUMN persona.fit_runs.metrics IS 'Quality metrics of the run (see persona.runs).';
COMMENT ON COLUMN persona.fit_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN persona.fit_runs.duration IS 'How long the run took.';
COMMENT ON COLUMN persona.fit_runs.created_by IS 'Role that ran the fit.';
COMMENT ON VIEW persona.personas IS 'One row per persona of each model version.';
COMMENT ON COLUMN persona.personas.model IS 'Model name.';
COMMENT ON COLUMN persona.personas.version IS 'Model version.';
COMMENT ON COLUMN persona.personas.persona_id IS '1-based persona id within the version.';
COMMENT ON COLUMN persona.personas.label IS 'Persona name (persona.label renames it).';
COMMENT ON COLUMN persona.personas.centroid IS 'Centroid in the original units of the features.';
COMMENT ON COLUMN persona.personas.previous_id IS
    'Id of the matching persona in the version this one was matched to (see persona.models).';
COMMENT ON COLUMN persona.personas.size IS 'Training rows assigned to the persona; NULL if imported.';
COMMENT ON COLUMN persona.personas.share IS 'Share of the training rows; NULL if imported.';
COMMENT ON FUNCTION persona.label(text, integer, integer, text) IS
    'Renames one persona of a model version.';
COMMENT ON FUNCTION persona.rollback(text) IS
    'Restores the version that was production before the current one; returns it.';
COMMENT ON FUNCTION persona.drop_model(text) IS
    'Removes a model and everything it owns: versions, baselines, runs, events, drift '
    'reports and retrain jobs.';
COMMENT ON FUNCTION persona.export_model(text, integer) IS
    'A model version (default: production) as a self-contained JSON document.';
COMMENT ON COLUMN persona.model_events.report_id IS
    'The drift report that led to the change, when a retrain promoted the version.';
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
COMMENT ON AGGREGATE persona.feature_stats(float8[]) IS
    'Per-feature n, n_null, mean, std (population), min and max of feature vectors, as jsonb; runs in parallel workers (partial states combine, shipped as bytea).';
COMMENT ON FUNCTION persona._feature_stats_step(internal, float8[]) IS
    'Internal: transition function of persona.feature_stats (adds one row).';
COMMENT ON FUNCTION persona._feature_stats_combine(internal, internal) IS
    'Internal: combine function of persona.feature_stats (merges two partial states).';
COMMENT ON FUNCTION persona._feature_stats_serialize(internal) IS
    'Internal: serializes a persona.feature_stats state to bytea.';
COMMENT ON FUNCTION persona._feature_stats_deserialize(bytea, internal) IS
    'Internal: reads a persona.feature_stats state from bytea.';
COMMENT ON FUNCTION persona._feature_stats_final(internal) IS
    'Internal: final function of persona.feature_stats (the jsonb result).';
COMMENT ON FUNCTION persona.assign(float8[], persona.persona_model) IS
    'Label of the nearest persona under a model value (IMMUTABLE kernel; reads no table).';
COMMENT ON FUNCTION persona.assign_id(float8[], persona.persona_model) IS
    '1-based id of the nearest persona under a model value (IMMUTABLE kernel).';
COMMENT ON FUNCTION assign_persona(float8[]) IS
    'Label of the nearest persona under the default model''s production version.';
COMMENT ON FUNCTION assign_persona(float8[], text) IS
    'Label of the nearest persona under the named model''s production version.';
COMMENT ON FUNCTION assign_persona_id(float8[]) IS
    '1-based id of the nearest persona under the default model''s production version.';
COMMENT ON FUNCTION assign_persona_id(float8[], text) IS
    '1-based id of the nearest persona under the named model''s production version.';
COMMENT ON FUNCTION persona.nearest(float8[], text) IS
    'The nearest persona, the runner-up and the margin between them (Euclidean distances).';
COMMENT ON FUNCTION persona.model_value(text) IS
    'The production version of a model as a persona_model value, for persona.assign.';
COMMENT ON FUNCTION persona.model_value(text, integer) IS
    'Any version of a model as a persona_model value, e.g. to score a staging version.';
COMMENT ON FUNCTION persona.import_centroids(text, float8[], text[], text[], boolean) IS
    'Registers a k x d matrix of centroids as a new version of a model; returns the version.';
COMMENT ON TYPE persona.persona_model IS
    'A self-contained model version: features, labels, centroids and standardization (JSON text).';
COMMENT ON FUNCTION persona.import_model(jsonb, text, boolean) IS
    'Registers a document made by persona.export_model as a new version; returns it.';
COMMENT ON FUNCTION persona.source_fingerprint(regclass, text[]) IS
    'Order-independent fingerprint of the feature values of a source.';
COMMENT ON FUNCTION persona.evaluate(text, integer, regclass) IS
    'Metrics (inertia, silhouette, ...) of a version''s personas on the rows of a source.';
COMMENT ON FUNCTION persona.fit(text, regclass, text[], integer, integer, integer, boolean,
                                integer, integer, float8, bigint, text, boolean, float8[]) IS
    'Trains k-means personas on a table and registers the best run as a new version.';
COMMENT ON FUNCTION persona.persona_model_in(cstring) IS
    'Input function of type persona.persona_model: reads and checks its JSON text.';
COMMENT ON FUNCTION persona.persona_model_out(persona.persona_model) IS
    'Output function of type persona.persona_model: its JSON text.';
