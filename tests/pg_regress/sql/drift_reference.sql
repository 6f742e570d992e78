-- persona.drift agrees with scipy 1.17.1 and numpy 2.4.6: every method on small generated
-- tables whose numbers scripts/reference/drift_sql_reference.py computes from the same
-- formulas (its output lists these rows, rounded the same way).

CREATE FUNCTION regress.drift_rows(p_model text, p_source regclass, p_methods text[])
RETURNS TABLE (asked text, feature text, method text, statistic numeric, p_value numeric,
               threshold float8, drifted boolean, n_reference bigint, n_current bigint)
LANGUAGE sql AS $$
    SELECT m.method, d.feature, d.method, round(d.statistic::numeric, 6),
           round(d.p_value::numeric, 6), d.threshold, d.drifted, d.n_reference, d.n_current
      FROM unnest(p_methods) WITH ORDINALITY AS m(method, o)
     CROSS JOIN LATERAL persona.drift(p_model, p_source, m.method) WITH ORDINALITY AS d
     ORDER BY m.o, d.ordinality
$$;

-- One continuous feature: 60 reference rows, 45 current rows, two personas at 2 and 8.
SELECT persona.import_centroids('tiny', '{{2},{8}}', '{low,high}', '{v}');
CREATE TABLE tiny_ref AS SELECT ((i * 37) % 101)::float8 / 10 AS v FROM generate_series(1, 60) i;
CREATE TABLE tiny_cur AS
    SELECT ((i * 53) % 97)::float8 / 8 + 1.5 AS v FROM generate_series(1, 45) i;
SELECT persona.set_baseline('tiny', 'tiny_ref');
SELECT * FROM regress.drift_rows('tiny', 'tiny_cur',
                                 '{ks,wasserstein,psi,jensenshannon,chisquare,z,auto}');

-- More than 10,000 current rows: KS takes scipy's asymptotic p-value.
CREATE TABLE tiny_big AS
    SELECT ((i * 7919) % 1000)::float8 / 100 AS v FROM generate_series(1, 12000) i;
SELECT * FROM regress.drift_rows('tiny', 'tiny_big', '{ks}');

-- Discrete features: k has 3 values (auto: chisquare), flag 2 (auto: z); psi and
-- jensenshannon then compare value counts rather than bins.
SELECT persona.import_centroids('dice', '{{0,0},{2,1}}', '{zero,two}', '{k,flag}');
CREATE TABLE dice_ref AS
    SELECT (i % 3)::float8 AS k, (i % 2)::integer AS flag FROM generate_series(1, 60) i;
CREATE TABLE dice_cur AS
    SELECT least(i % 4, 2)::numeric AS k, (i % 5 = 0)::integer AS flag
      FROM generate_series(1, 45) i;
SELECT persona.set_baseline('dice', 'dice_ref');
SELECT feature, n_rows, categories, category_counts FROM persona.baseline_features
 WHERE model = 'dice' ORDER BY ordinal;
SELECT * FROM regress.drift_rows('dice', 'dice_cur', '{auto,psi,jensenshannon}');
