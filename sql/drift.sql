-- Drift monitoring: a baseline per model version, and drift checks of new data against the
-- baseline of the production version (src/drift.rs computes; these tables keep the results).
--
-- A baseline is what the check needs of the reference data and nothing more: per feature the
-- counts, mean and population standard deviation over all rows, quantile bins, the exact
-- value counts of a feature with few distinct values, and a bounded uniform sample (so KS and
-- Wasserstein are exact while the reference fits in it); per version the persona counts and
-- the same summary of the distance to the nearest centroid.

CREATE TABLE persona.baselines (
    model          text NOT NULL,
    version        integer NOT NULL,
    origin         text NOT NULL CHECK (origin IN ('fit', 'set_baseline')),
    source         text,
    n_rows         bigint NOT NULL CHECK (n_rows >= 0),
    rows_skipped   bigint NOT NULL CHECK (rows_skipped >= 0),
    persona_counts bigint[] NOT NULL
                   CHECK (array_ndims(persona_counts) = 1
                          AND array_position(persona_counts, NULL) IS NULL),
    sample_size    integer NOT NULL CHECK (sample_size >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL DEFAULT current_user,
    PRIMARY KEY (model, version),
    FOREIGN KEY (model, version) REFERENCES persona.model_versions (model, version)
        ON DELETE CASCADE
);

CREATE TABLE persona.baseline_features (
    model           text NOT NULL,
    version         integer NOT NULL,
    ordinal         integer NOT NULL CHECK (ordinal >= 1),
    feature         text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('feature', 'distance')),
    n_rows          bigint NOT NULL CHECK (n_rows >= 0),
    n_null          bigint NOT NULL CHECK (n_null >= 0 AND n_null <= n_rows),
    mean            float8,
    std             float8 CHECK (std >= 0),
    edges           float8[] NOT NULL CHECK (array_position(edges, NULL) IS NULL),
    shares          float8[] NOT NULL CHECK (array_position(shares, NULL) IS NULL),
    sample          float8[] NOT NULL CHECK (array_position(sample, NULL) IS NULL),
    categories      float8[] CHECK (array_position(categories, NULL) IS NULL),
    category_counts bigint[] CHECK (array_position(category_counts, NULL) IS NULL),
    PRIMARY KEY (model, version, ordinal),
    FOREIGN KEY (model, version) REFERENCES persona.baselines (model, version)
        ON DELETE CASCADE,
    CHECK (cardinality(shares) = cardinality(edges) + 1 OR cardinality(sample) = 0),
    CHECK ((categories IS NULL) = (category_counts IS NULL)),
    CHECK (cardinality(categories) = cardinality(category_counts))
);

-- Every check_drift, kept: the dataset verdict and every per-feature row in details.
CREATE TABLE persona.drift_reports (
    report_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model            text NOT NULL,
    version          integer NOT NULL,
    source           text NOT NULL,
    method           text NOT NULL,
    drift_share      float8 NOT NULL,
    checked_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    checked_by       text NOT NULL DEFAULT current_user,
    dataset_drift    boolean,
    drifted_features integer NOT NULL,
    total_features   integer NOT NULL,
    share            float8,
    n_current        bigint NOT NULL,
    details          jsonb NOT NULL CHECK (jsonb_typeof(details) = 'array')
);
CREATE INDEX drift_reports_model ON persona.drift_reports (model, checked_at);

-- pg_dump keeps baselines and reports: they are user data, not extension code.
SELECT pg_catalog.pg_extension_config_dump('persona.baselines', '');
SELECT pg_catalog.pg_extension_config_dump('persona.baseline_features', '');
SELECT pg_catalog.pg_extension_config_dump('persona.drift_reports', '');
SELECT pg_catalog.pg_extension_config_dump('persona.drift_reports_report_id_seq', '');

-- One row per report and compared column, with plain column types, for dashboards and
-- alerts: SELECT * FROM persona.drift_features WHERE drifted.
CREATE VIEW persona.drift_features AS
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

-- The functions are written in Rust (src/drift.rs) and declared here, so that their
-- signatures, defaults and volatility read as SQL. None is STRICT: a NULL argument gets its
-- own error message rather than a silent NULL result.
CREATE FUNCTION persona.set_baseline(model text, source regclass, version integer DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'set_baseline_wrapper'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION persona.drift(model text, source regclass, method text DEFAULT 'auto',
                              threshold float8 DEFAULT NULL)
RETURNS TABLE (feature text, method text, statistic float8, p_value float8,
               threshold float8, drifted boolean, n_reference bigint, n_current bigint)
AS 'MODULE_PATHNAME', 'drift_wrapper'
LANGUAGE c STABLE PARALLEL UNSAFE ROWS 12;

CREATE FUNCTION persona.check_drift(model text, source regclass, drift_share float8 DEFAULT 0.5,
                                    method text DEFAULT 'auto')
RETURNS TABLE (report_id bigint, dataset_drift boolean, drifted_features integer,
               total_features integer, share float8)
AS 'MODULE_PATHNAME', 'check_drift_wrapper'
LANGUAGE c VOLATILE PARALLEL UNSAFE ROWS 1;

-- A saved report as a self-contained HTML page (src/report.rs): the verdict, a table of the
-- compared columns and their reference and current histograms, in inline CSS and SVG.
CREATE FUNCTION persona.drift_report_html(report_id bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'drift_report_html_wrapper'
LANGUAGE c STABLE PARALLEL SAFE;

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
