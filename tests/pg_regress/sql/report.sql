-- persona.drift_report_html and the histograms a saved report keeps.

-- A model whose feature names need escaping in HTML, a discrete feature and a shifted one.
SELECT persona.import_centroids('html', '{{0,0,1},{10,5,2}}', '{"<b>low</b>","high & mighty"}',
                                '{"<script>x</script>",visits,spend}');
CREATE TABLE html_ref AS
    SELECT (i % 11)::float8 AS "<script>x</script>", (i % 3)::float8 AS visits,
           1 + (i % 2)::float8 AS spend
      FROM generate_series(1, 200) i;
CREATE TABLE html_cur AS
    SELECT (i % 11)::float8 + 4 AS "<script>x</script>", (i % 3)::float8 AS visits,
           CASE WHEN i % 5 = 0 THEN 2 ELSE 1 END::float8 AS spend
      FROM generate_series(1, 100) i;
SELECT persona.set_baseline('html', 'html_ref');
SELECT report_id > 0 AS saved, dataset_drift, drifted_features, total_features
  FROM persona.check_drift('html', 'html_cur');

-- The histograms, row by row: bins for a continuous column (one more edge than bars), one bar
-- per value for a discrete one, one per persona; each side's counts add up to its values.
SELECT feature, kind, cardinality(bin_edges) AS edges, bar_labels,
       reference_counts, current_counts,
       (SELECT sum(c) FROM unnest(reference_counts) c) AS reference_total,
       (SELECT sum(c) FROM unnest(current_counts) c) AS current_total,
       n_reference, n_current
  FROM persona.drift_features
 WHERE report_id = (SELECT max(report_id) FROM persona.drift_reports)
 ORDER BY ordinal;
-- Equal-width bins over both sides: 0 .. 14 in 20 bins of 0.7.
SELECT bin_edges[1] AS first_edge, bin_edges[2] AS second_edge, bin_edges[21] AS last_edge
  FROM persona.drift_features
 WHERE report_id = (SELECT max(report_id) FROM persona.drift_reports) AND ordinal = 1;

-- The page: one document, no script or external asset, names escaped, every row shown.
CREATE TEMP TABLE page AS
SELECT persona.drift_report_html(max(report_id)) AS html FROM persona.drift_reports;
SELECT html LIKE '<!DOCTYPE html>%' AS doctype,
       html LIKE '%</html>' || chr(10) AS closed,
       html ~* '<script|<link|<img|<iframe|src=|href=|url\(|@import' AS external_or_script,
       html LIKE '%&lt;script&gt;x&lt;/script&gt;%' AS feature_escaped,
       html LIKE '%&lt;b&gt;low&lt;/b&gt;%' AS persona_escaped,
       html LIKE '%high &amp; mighty%' AS ampersand_escaped,
       html LIKE '%Dataset drift detected%' AS verdict,
       (SELECT count(*) FROM regexp_matches(html, '<tr( class="drifted")?><td>', 'g')) AS table_rows,
       (SELECT count(*) FROM regexp_matches(html, '<figure ', 'g')) AS figures,
       (SELECT count(*) FROM regexp_matches(html, '<svg viewBox', 'g')) AS charts
  FROM page;

-- No verdict: too few current rows. The page says so instead of claiming no drift.
CREATE TABLE html_tiny AS SELECT * FROM html_cur LIMIT 5;
SELECT dataset_drift FROM persona.check_drift('html', 'html_tiny');
SELECT persona.drift_report_html(max(report_id)) LIKE '%No verdict%' AS no_verdict
  FROM persona.drift_reports;

-- Errors: a NULL id, an unknown id.
SELECT regress.try($$SELECT persona.drift_report_html(NULL)$$);
SELECT regress.try($$SELECT persona.drift_report_html(-1)$$);
