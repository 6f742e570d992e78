-- Runs last, when every function pgrx generates from Rust exists: the scoring kernels that are
-- declared by hand, and the comments on the Rust functions.

-- Scoring with a model value instead of a model name. These read no table, so they are
-- IMMUTABLE: a distributed planner (Citus) may push them to the nodes that hold the rows, with
-- the value computed once where the registry lives:
--   SELECT persona.assign(features, (SELECT persona.model_value('dtc'))) FROM customers;
CREATE FUNCTION persona.assign(features float8[], model persona.persona_model)
RETURNS text
AS 'MODULE_PATHNAME', 'assign_value_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION persona.assign_id(features float8[], model persona.persona_model)
RETURNS integer
AS 'MODULE_PATHNAME', 'assign_id_value_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

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
