-- The SQL surface of drift monitoring: arguments, bad input, NULL and NaN values, degenerate
-- references, small and empty sources, reports, replacing baselines, privileges.

CREATE FUNCTION regress.drift_brief(p_model text, p_source regclass, p_method text DEFAULT 'auto',
                                    p_threshold float8 DEFAULT NULL)
RETURNS TABLE (feature text, method text, statistic numeric, p_value numeric,
               threshold float8, drifted boolean, n_reference bigint, n_current bigint)
LANGUAGE sql AS $$
    SELECT feature, method, round(statistic::numeric, 6), round(p_value::numeric, 6),
           threshold, drifted, n_reference, n_current
      FROM persona.drift(p_model, p_source, p_method, p_threshold)
$$;

SELECT persona.import_centroids('shop', '{{10,1},{30,3}}', '{small,large}', '{basket,visits}');
CREATE TABLE shop_ref AS
    SELECT 5 + (i * 7) % 31 AS basket, (i % 4)::numeric AS visits FROM generate_series(1, 80) i;
CREATE TABLE shop_cur AS
    SELECT 9 + (i * 11) % 29 AS basket, (i % 3)::numeric AS visits FROM generate_series(1, 60) i;
SELECT persona.set_baseline('shop', 'shop_ref');

-- Settings and their defaults.
SHOW persona.baseline_sample_size;
SHOW persona.drift_min_rows;
SELECT regress.try($$SET persona.baseline_sample_size = 10$$);
SELECT regress.try($$SET persona.drift_min_rows = 0$$);

-- Method names: Evidently's spelling, case and blanks ignored; anything else is listed.
SELECT feature, method FROM persona.drift('shop', 'shop_cur', ' KS ');
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur', 'kl_div')$$);
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur', NULL)$$);
SELECT regress.try($$SELECT * FROM persona.check_drift('shop', 'shop_cur', method => 'anderson')$$);

-- Thresholds: finite and positive. A given threshold applies to the rows of the method asked
-- for (all rows under auto); persona_share keeps chi-square's default under ks.
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur', 'ks', 0)$$);
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur', 'ks', -0.1)$$);
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur', 'ks', 'NaN')$$);
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur', 'psi', 'Infinity')$$);
SELECT * FROM regress.drift_brief('shop', 'shop_cur', 'ks', 1e-9);
SELECT * FROM regress.drift_brief('shop', 'shop_cur', 'auto', 0.5);

-- drift_share: a share in (0, 1].
SELECT regress.try($$SELECT * FROM persona.check_drift('shop', 'shop_cur', 0)$$);
SELECT regress.try($$SELECT * FROM persona.check_drift('shop', 'shop_cur', 1.5)$$);
SELECT regress.try($$SELECT * FROM persona.check_drift('shop', 'shop_cur', NULL)$$);

-- Unknown or missing model, missing source.
SELECT regress.try($$SELECT * FROM persona.drift('nope', 'shop_cur')$$);
SELECT regress.try($$SELECT * FROM persona.check_drift('nope', 'shop_cur')$$);
SELECT regress.try($$SELECT persona.set_baseline('nope', 'shop_ref')$$);
SELECT regress.try($$SELECT persona.set_baseline('shop', 'shop_ref', 7)$$);
SELECT regress.try($$SELECT * FROM persona.drift(NULL, 'shop_cur')$$);
SELECT regress.try($$SELECT * FROM persona.drift('', 'shop_cur')$$);
SELECT regress.try($$SELECT * FROM persona.drift('shop', NULL)$$);
SELECT regress.try($$SELECT persona.set_baseline('shop', NULL)$$);
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'no_such_table')$$);

-- A source without a feature column, or with a column that is not a number.
CREATE TABLE shop_renamed AS SELECT basket, visits AS visit_count FROM shop_cur;
CREATE TABLE shop_text AS SELECT basket, visits::text AS visits FROM shop_cur;
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_renamed')$$);
SELECT regress.try($$SELECT * FROM persona.check_drift('shop', 'shop_text')$$);
SELECT regress.try($$SELECT persona.set_baseline('shop', 'shop_text')$$);

-- A model whose production version has no baseline.
SELECT persona.import_centroids('bare', '{{0}}', features => '{basket}');
SELECT regress.try($$SELECT * FROM persona.check_drift('bare', 'shop_cur')$$);

-- NULL, NaN and infinite values are counted and left out, feature by feature; a row with any
-- of them has no persona and no distance.
CREATE TABLE shop_holes AS
    SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE 9 + (i * 11) % 29 END AS basket,
           CASE i % 15 WHEN 1 THEN 'NaN' WHEN 2 THEN 'Infinity' WHEN 3 THEN '-Infinity'
                ELSE (i % 3)::numeric END AS visits
      FROM generate_series(1, 60) i;
SELECT count(*) FILTER (WHERE basket IS NULL) AS null_basket,
       count(*) FILTER (WHERE visits IN ('NaN', 'Infinity', '-Infinity')) AS bad_visits
  FROM shop_holes;
SELECT * FROM regress.drift_brief('shop', 'shop_holes');
SELECT * FROM persona.check_drift('shop', 'shop_holes');
SELECT feature, kind, n_current, n_null FROM persona.drift_features
 WHERE report_id = (SELECT max(report_id) FROM persona.drift_reports) ORDER BY ordinal;
-- The same holes in a baseline.
SELECT persona.import_centroids('holes', '{{10,1},{30,3}}', features => '{basket,visits}');
SELECT persona.set_baseline('holes', 'shop_holes');
SELECT n_rows, rows_skipped, persona_counts FROM persona.baselines WHERE model = 'holes';
SELECT feature, n_rows, n_null, cardinality(sample) AS sample FROM persona.baseline_features
 WHERE model = 'holes' ORDER BY ordinal;
-- A source with no complete row cannot be a baseline.
CREATE TABLE shop_no_complete AS
    SELECT basket, NULL::float8 AS visits FROM shop_cur;
SELECT regress.try($$SELECT persona.set_baseline('holes', 'shop_no_complete')$$);

-- A constant reference feature: no division by zero, no NaN. Wasserstein divides by the
-- floor 0.001; chi-square over its bins is +Infinity (p = 0) when current values fall below
-- the only value the reference had, and the report keeps that Infinity.
SELECT persona.import_centroids('flat', '{{20}}', features => '{basket}');
CREATE TABLE flat_ref AS SELECT 20::float8 AS basket FROM generate_series(1, 40);
SELECT persona.set_baseline('flat', 'flat_ref');
SELECT feature, mean, std, edges, shares, categories, category_counts
  FROM persona.baseline_features WHERE model = 'flat' ORDER BY ordinal;
SELECT m.method AS asked, d.*
  FROM unnest('{auto,ks,wasserstein,psi,jensenshannon,chisquare,z}'::text[])
       WITH ORDINALITY AS m(method, o)
 CROSS JOIN LATERAL regress.drift_brief('flat', 'shop_cur', m.method) d
 WHERE d.feature = 'basket' ORDER BY m.o;
SELECT * FROM regress.drift_brief('flat', 'flat_ref');
SELECT * FROM persona.check_drift('flat', 'shop_cur', method => 'chisquare');
SELECT feature, method, statistic, p_value, drifted FROM persona.drift_features
 WHERE report_id = (SELECT max(report_id) FROM persona.drift_reports) ORDER BY ordinal;
SELECT details -> 0 -> 'statistic' AS stored FROM persona.drift_reports
 WHERE report_id = (SELECT max(report_id) FROM persona.drift_reports);

-- Fewer current values than persona.drift_min_rows (30): statistics, but no verdict.
CREATE TABLE shop_few AS
    SELECT 9 + (i * 11) % 29 AS basket, (i % 3)::numeric AS visits FROM generate_series(1, 12) i;
SELECT * FROM regress.drift_brief('shop', 'shop_few');
SELECT * FROM persona.check_drift('shop', 'shop_few');
SET persona.drift_min_rows = 10;
SELECT * FROM regress.drift_brief('shop', 'shop_few');
RESET persona.drift_min_rows;

-- An empty source: every verdict NULL, and a report that says so.
CREATE TABLE shop_empty (basket integer, visits numeric);
SELECT * FROM regress.drift_brief('shop', 'shop_empty');
SELECT * FROM persona.check_drift('shop', 'shop_empty');
SELECT source, dataset_drift, drifted_features, total_features, share, n_current
  FROM persona.drift_reports WHERE report_id = (SELECT max(report_id) FROM persona.drift_reports);
SELECT regress.try($$SELECT persona.set_baseline('shop', 'shop_empty')$$);
-- One feature without any value: it is reported, but not counted in the share.
CREATE TABLE shop_half AS SELECT basket, NULL::numeric AS visits FROM shop_cur;
SELECT * FROM regress.drift_brief('shop', 'shop_half');
SELECT * FROM persona.check_drift('shop', 'shop_half', 1.0);

-- drift_share decides the dataset verdict: drift when drifted / tested >= drift_share.
-- Under auto, visits drifts and basket does not.
SELECT d.share_limit, c.dataset_drift, c.drifted_features, c.total_features, c.share
  FROM unnest('{0.5,0.51,1}'::float8[]) AS d(share_limit)
 CROSS JOIN LATERAL persona.check_drift('shop', 'shop_cur', d.share_limit) c;
SELECT method, drift_share, dataset_drift FROM persona.drift_reports
 ORDER BY report_id DESC LIMIT 3;

-- A large reference (over 1000 rows): auto picks wasserstein, and jensenshannon for a
-- feature with at most 5 distinct values.
CREATE TABLE shop_big AS
    SELECT 5 + (i * 7) % 31 AS basket, (i % 4)::numeric AS visits
      FROM generate_series(1, 1500) i;
SELECT persona.import_centroids('big', '{{10,1},{30,3}}', features => '{basket,visits}');
SELECT persona.set_baseline('big', 'shop_big');
SELECT * FROM regress.drift_brief('big', 'shop_cur');

-- The reference sample is capped by persona.baseline_sample_size; moments stay exact over
-- all rows, and the sample is the same every time the same rows are read.
SET persona.baseline_sample_size = 100;
SELECT persona.set_baseline('big', 'shop_big');
SELECT sample_size FROM persona.baselines WHERE model = 'big';
SELECT b.feature, b.n_rows, cardinality(b.sample) AS sample,
       round(b.mean::numeric, 9) = round(avg(s.basket)::numeric, 9) AS exact_mean,
       round(b.std::numeric, 9) = round(stddev_pop(s.basket)::numeric, 9) AS exact_std
  FROM persona.baseline_features b, shop_big s
 WHERE b.model = 'big' AND b.feature = 'basket' GROUP BY b.feature, b.n_rows, b.sample, b.mean, b.std;
CREATE TEMP TABLE first_sample AS
    SELECT sample FROM persona.baseline_features WHERE model = 'big' AND ordinal = 1;
SELECT persona.set_baseline('big', 'shop_big');
SELECT b.sample = f.sample AS same_sample
  FROM persona.baseline_features b, first_sample f WHERE b.model = 'big' AND b.ordinal = 1;
RESET persona.baseline_sample_size;

-- set_baseline replaces the baseline; another version gets its own, and drift follows the
-- production version.
SELECT persona.set_baseline('shop', 'shop_cur');
SELECT source, n_rows, persona_counts FROM persona.baselines WHERE model = 'shop';
SELECT count(*) AS feature_rows, sum(n_rows) AS values_read FROM persona.baseline_features
 WHERE model = 'shop';
SELECT feature, method, statistic, p_value, drifted FROM persona.drift('shop', 'shop_cur');
SELECT persona.import_centroids('shop', '{{12,1},{28,2}}', '{small,large}', '{basket,visits}',
                                promote => false);
SELECT persona.set_baseline('shop', 'shop_ref', 2);
SELECT version, source FROM persona.baselines WHERE model = 'shop' ORDER BY version;
SELECT persona.promote('shop', 2);
SELECT * FROM regress.drift_brief('shop', 'shop_ref');
-- A baseline whose rows no longer fit its version is refused, not misread.
DELETE FROM persona.baseline_features WHERE model = 'shop' AND version = 2 AND ordinal = 2;
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur')$$);
SELECT persona.set_baseline('shop', 'shop_ref');
SELECT count(*) FROM persona.baseline_features WHERE model = 'shop' AND version = 2;
-- Baselines go with their model.
DELETE FROM persona.registered_models WHERE model = 'holes';
SELECT count(*) FROM persona.baselines WHERE model = 'holes';
SELECT count(*) FROM persona.baseline_features WHERE model = 'holes';

-- A caller who may not read the source gets PostgreSQL's own 42501 naming it, even with
-- every right persona_admin has.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_drift_nobody;
RESET client_min_messages;
CREATE ROLE regress_drift_nobody IN ROLE persona_admin;
GRANT USAGE ON SCHEMA regress TO regress_drift_nobody;
SET ROLE regress_drift_nobody;
SELECT regress.try($$SELECT * FROM persona.drift('shop', 'shop_cur')$$);
SELECT regress.try($$SELECT * FROM persona.check_drift('shop', 'shop_cur')$$);
SELECT regress.try($$SELECT persona.set_baseline('shop', 'shop_ref')$$);
RESET ROLE;
REVOKE USAGE ON SCHEMA regress FROM regress_drift_nobody;
DROP ROLE regress_drift_nobody;

-- Every object drift monitoring creates is documented.
SELECT p.oid::regprocedure AS function, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p WHERE p.pronamespace = 'persona'::regnamespace
   AND p.proname IN ('set_baseline', 'drift', 'check_drift') ORDER BY 1::text;
SELECT p.proname, p.provolatile, p.proisstrict FROM pg_proc p
 WHERE p.pronamespace = 'persona'::regnamespace
   AND p.proname IN ('set_baseline', 'drift', 'check_drift') ORDER BY 1;
SELECT c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL AS commented,
       count(a.attnum) AS columns, count(col_description(c.oid, a.attnum)) AS commented_columns
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'persona'::regnamespace
   AND c.relname IN ('baselines', 'baseline_features', 'drift_reports', 'drift_features')
 GROUP BY c.relname, c.oid ORDER BY 1;
SELECT c.relname FROM pg_extension e,
       unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'persona' ORDER BY 1;
