-- Drift monitoring on the survey (vendor_personas made the table and the model 'vendor').
-- Baseline: month 2025-01. 2025-02 is drawn like it; 2025-04 changes spread and persona mix;
-- 2025-05 brings a persona the vendor does not know. scripts/reference/drift_sql_reference.py
-- computes every number below with scipy from data/survey_2025.csv.

CREATE VIEW survey_2025_01 AS SELECT * FROM survey WHERE survey_date = '2025-01-01';
CREATE VIEW survey_2025_02 AS SELECT * FROM survey WHERE survey_date = '2025-02-01';
CREATE VIEW survey_2025_04 AS SELECT * FROM survey WHERE survey_date = '2025-04-01';
CREATE VIEW survey_2025_05 AS SELECT * FROM survey WHERE survey_date = '2025-05-01';

-- An imported model has no baseline until one is set.
SELECT regress.try($$SELECT * FROM persona.drift('vendor', 'survey_2025_02')$$);

SELECT persona.set_baseline('vendor', 'survey_2025_01');
SELECT model, version, origin, source, n_rows, rows_skipped, persona_counts, sample_size
  FROM persona.baselines WHERE model = 'vendor';
-- Per feature: exact moments over all rows (compare avg and stddev_pop), the whole month as
-- its sample (500 < persona.baseline_sample_size), decile bins.
SELECT b.ordinal, b.feature, b.kind, b.n_rows, b.n_null, round(b.mean::numeric, 6) AS mean,
       round(b.std::numeric, 6) AS std, cardinality(b.edges) AS edges,
       round((SELECT sum(s) FROM unnest(b.shares) s)::numeric, 12) AS shares_sum,
       cardinality(b.sample) AS sample, b.categories
  FROM persona.baseline_features b WHERE b.model = 'vendor' ORDER BY b.ordinal;
SELECT round(avg(x1)::numeric, 6) AS mean_x1, round(stddev_pop(x1)::numeric, 6) AS std_x1
  FROM survey_2025_01;

-- 2025-02: nothing drifts.
SELECT feature, method, round(statistic::numeric, 6) AS statistic,
       round(p_value::numeric, 6) AS p_value, threshold, drifted, n_reference, n_current
  FROM persona.drift('vendor', 'survey_2025_02');
-- 2025-04: every feature, the persona shares and the distances drift.
SELECT feature, method, round(statistic::numeric, 6) AS statistic,
       round(p_value::numeric, 6) AS p_value, threshold, drifted, n_reference, n_current
  FROM persona.drift('vendor', 'survey_2025_04');
-- 2025-05: likewise; the new customers crowd into the vendor's personas.
SELECT feature, method, round(statistic::numeric, 6) AS statistic,
       round(p_value::numeric, 6) AS p_value, threshold, drifted, n_reference, n_current
  FROM persona.drift('vendor', 'survey_2025_05');

-- The dataset verdicts, saved as reports.
SELECT m.month, c.dataset_drift, c.drifted_features, c.total_features, c.share
  FROM unnest('{02,04,05}'::text[]) AS m(month)
 CROSS JOIN LATERAL persona.check_drift('vendor', format('survey_2025_%s', m.month)::regclass) c
 ORDER BY m.month;
SELECT source, version, method, drift_share, dataset_drift, drifted_features, total_features,
       share, n_current, jsonb_array_length(details) AS rows
  FROM persona.drift_reports WHERE model = 'vendor' ORDER BY report_id;
SELECT r.source, f.feature, f.kind, f.method, f.drifted
  FROM persona.drift_features f JOIN persona.drift_reports r USING (report_id)
 WHERE f.model = 'vendor' AND f.kind <> 'feature' ORDER BY f.report_id, f.ordinal;
