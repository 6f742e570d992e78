-- The model registry: one row per model, one row per version, an append-only event log.
--
-- Every version keeps what scoring needs (features, labels, centroids in original units and the
-- optional standardization), so a version can be scored, compared, exported or rolled back to
-- without anything outside these tables.

CREATE TABLE persona.registered_models (
    model      text PRIMARY KEY CHECK (model <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT current_user
);

CREATE TABLE persona.model_versions (
    model        text NOT NULL REFERENCES persona.registered_models (model) ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version > 0),
    stage        text NOT NULL DEFAULT 'staging'
                 CHECK (stage IN ('staging', 'production', 'archived')),
    k            integer NOT NULL CHECK (k >= 1),
    features     text[] NOT NULL,
    labels       text[] NOT NULL,
    centroids    float8[] NOT NULL,
    scaler_mean  float8[],
    scaler_scale float8[],
    origin       text NOT NULL CHECK (origin IN ('import', 'fit')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT current_user,
    PRIMARY KEY (model, version),
    CHECK (cardinality(labels) = k),
    CHECK (array_ndims(centroids) = 2 AND array_length(centroids, 1) = k
           AND array_length(centroids, 2) = cardinality(features)),
    CHECK ((scaler_mean IS NULL) = (scaler_scale IS NULL)),
    CHECK (scaler_mean IS NULL OR cardinality(scaler_mean) = cardinality(features))
);

-- At most one production version per model, whatever the interleaving of promotes.
CREATE UNIQUE INDEX model_versions_one_production
    ON persona.model_versions (model) WHERE stage = 'production';

CREATE TABLE persona.model_events (
    event_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model      text NOT NULL,
    version    integer NOT NULL,
    from_stage text,
    to_stage   text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    changed_by text NOT NULL DEFAULT current_user,
    reason     text
);
CREATE INDEX model_events_model ON persona.model_events (model, event_id);

-- pg_dump keeps the models: the registry is user data, not extension code.
SELECT pg_catalog.pg_extension_config_dump('persona.registered_models', '');
SELECT pg_catalog.pg_extension_config_dump('persona.model_versions', '');
SELECT pg_catalog.pg_extension_config_dump('persona.model_events', '');
-- The identity sequence too, or a restored database would number from 1 again.
SELECT pg_catalog.pg_extension_config_dump('persona.model_events_event_id_seq', '');

-- Registers a validated version and returns its number. Callers (import_centroids, fit) have
-- checked shapes and values; this only numbers, stores and logs. Locking the model row makes
-- version numbers and the production flag safe under concurrent callers.
CREATE FUNCTION persona._register_version(
    p_model text, p_k integer, p_features text[], p_labels text[], p_centroids float8[],
    p_scaler_mean float8[], p_scaler_scale float8[], p_origin text, p_promote boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_version integer;
BEGIN
    INSERT INTO persona.registered_models (model) VALUES (p_model) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM persona.registered_models WHERE model = p_model FOR UPDATE;
    SELECT coalesce(max(version), 0) + 1 INTO v_version
      FROM persona.model_versions WHERE model = p_model;
    INSERT INTO persona.model_versions (model, version, k, features, labels, centroids,
                                        scaler_mean, scaler_scale, origin)
    VALUES (p_model, v_version, p_k, p_features, p_labels, p_centroids,
            p_scaler_mean, p_scaler_scale, p_origin);
    INSERT INTO persona.model_events (model, version, from_stage, to_stage, reason)
    VALUES (p_model, v_version, NULL, 'staging', 'registered by ' || p_origin);
    IF p_promote THEN
        PERFORM persona._set_production(p_model, v_version, 'promoted at registration');
    END IF;
    RETURN v_version;
END;
$$;

-- Makes a version the production one and archives the previous production version.
-- The caller holds the model row lock.
CREATE FUNCTION persona._set_production(p_model text, p_version integer, p_reason text)
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

CREATE FUNCTION persona.promote(model text, version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL OR version IS NULL THEN
        RAISE EXCEPTION 'model and version must not be null' USING ERRCODE = '22004';
    END IF;
    PERFORM 1 FROM persona.registered_models m WHERE m.model = promote.model FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = '42704',
            HINT = 'The registered models are listed in persona.models.';
    END IF;
    PERFORM 1 FROM persona.model_versions v
     WHERE v.model = promote.model AND v.version = promote.version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'version % of model "%" does not exist', version, model
            USING ERRCODE = '42704',
                  HINT = 'The versions of a model are listed in persona.models.';
    END IF;
    PERFORM persona._set_production(model, version, 'promoted');
END;
$$;

CREATE VIEW persona.models AS
SELECT v.model,
       v.version,
       v.stage,
       v.k,
       v.features,
       v.labels,
       v.scaler_mean IS NOT NULL AS standardized,
       v.origin,
       v.created_at,
       v.created_by
  FROM persona.model_versions v
 ORDER BY v.model, v.version;

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
