-- Experiment tracking for persona.fit: every k-means run is a row, whether or not it was
-- registered as a version; a registered version points back to its run.

CREATE TABLE persona.fit_runs (
    run_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model      text NOT NULL,
    version    integer,
    k          integer NOT NULL,
    params     jsonb NOT NULL,
    metrics    jsonb NOT NULL,
    started_at timestamptz NOT NULL,
    duration   interval NOT NULL,
    created_by text NOT NULL DEFAULT current_user
);
CREATE INDEX fit_runs_model ON persona.fit_runs (model, run_id);
SELECT pg_catalog.pg_extension_config_dump('persona.fit_runs', '');
SELECT pg_catalog.pg_extension_config_dump('persona.fit_runs_run_id_seq', '');

ALTER TABLE persona.model_versions
    ADD COLUMN run_id bigint REFERENCES persona.fit_runs (run_id),
    ADD COLUMN sizes bigint[],
    ADD COLUMN matched_version integer,
    ADD COLUMN previous_ids integer[];
COMMENT ON COLUMN persona.model_versions.matched_version IS
    'The production version whose personas this version was matched to when it was fitted.';
COMMENT ON COLUMN persona.model_versions.previous_ids IS
    'For each persona, the id it had in matched_version (NULL for a new persona).';
COMMENT ON COLUMN persona.model_versions.run_id IS 'The fit run that produced the version.';
COMMENT ON COLUMN persona.model_versions.sizes IS
    'Training rows per persona (NULL for imported centroids).';

-- The metrics GUIs sort and chart by are plain float8 columns; params and metrics stay whole.
CREATE VIEW persona.runs AS
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

-- One row per persona of each version, centroids in original units.
CREATE VIEW persona.personas AS
SELECT v.model,
       v.version,
       p.persona_id,
       v.labels[p.persona_id] AS label,
       ARRAY(SELECT unnest(v.centroids[p.persona_id:p.persona_id][:])) AS centroid,
       v.sizes[p.persona_id] AS size,
       round(v.sizes[p.persona_id]::numeric
             / nullif((SELECT sum(s) FROM unnest(v.sizes) s), 0), 4)::float8 AS share,
       v.previous_ids[p.persona_id] AS previous_id
  FROM persona.model_versions v,
       generate_series(1, v.k) AS p(persona_id)
 ORDER BY v.model, v.version, p.persona_id;

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

CREATE FUNCTION persona.label(model text, version integer, persona_id integer, label text)
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
COMMENT ON FUNCTION persona.label(text, integer, integer, text) IS
    'Renames one persona of a model version.';
