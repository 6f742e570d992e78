-- persona demo, part 3: drift month by month, and the retrain loop.
\pset footer off
\echo '== 9. Drift of each month against the January baseline of the vendor personas'
CREATE VIEW survey_jan AS SELECT * FROM survey WHERE survey_date = '2025-01-01';
SELECT persona.set_baseline('dtc', 'survey_jan') AS baseline_version;
CREATE TABLE monthly_checks (month text, report_id bigint, dataset_drift boolean,
                             drifted_features integer, total_features integer, share float8);
DO $$
DECLARE
    m date;
BEGIN
    FOR m IN SELECT DISTINCT survey_date FROM survey WHERE survey_date > '2025-01-01' ORDER BY 1
    LOOP
        EXECUTE format('CREATE OR REPLACE VIEW survey_month AS
                        SELECT * FROM survey WHERE survey_date = %L', m);
        INSERT INTO monthly_checks
        SELECT to_char(m, 'YYYY-MM'), c.* FROM persona.check_drift('dtc', 'survey_month') c;
    END LOOP;
END $$;
SELECT month, dataset_drift, drifted_features || ' of ' || total_features AS features_drifted,
       share FROM monthly_checks ORDER BY month;
\echo 'Per feature, May against January:'
SELECT feature, method, round(statistic::numeric, 4) AS statistic,
       round(p_value::numeric, 6) AS p_value, drifted
  FROM persona.drift_features
 WHERE report_id = (SELECT report_id FROM monthly_checks WHERE month = '2025-05')
 ORDER BY kind DESC, feature;

\echo '== 10. The retrain loop, as pg_cron would run it every month'
CREATE VIEW survey_current AS SELECT * FROM survey WHERE survey_date = '2025-02-01';
CALL persona.retrain_if_drifted('dtc', 'survey_current', 'auto');
CREATE OR REPLACE VIEW survey_current AS SELECT * FROM survey WHERE survey_date = '2025-05-01';
CALL persona.retrain_if_drifted('dtc', 'survey_current', 'auto');
SELECT job_id, source, status, new_version, report_id, rows_used FROM persona.jobs ORDER BY job_id;
SELECT version, stage, k, origin, labels FROM persona.models WHERE model = 'dtc' ORDER BY version;
\echo 'The three known personas kept their names; the new one waits for a name:'
SELECT persona_id, label, previous_id, size FROM persona.personas
 WHERE model = 'dtc' AND version = 2 ORDER BY persona_id;
SELECT persona.label('dtc', 2, 4, 'Outdoor Olivia');

\echo '== 11. Rollback, and the audit trail'
SELECT persona.rollback('dtc') AS production_again;
SELECT version, from_stage, to_stage, changed_by, reason, report_id
  FROM persona.model_events WHERE model = 'dtc' ORDER BY event_id;
SELECT persona.promote('dtc', 2);
SELECT assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]) AS persona, count(*)
  FROM survey WHERE survey_date = '2025-05-01' GROUP BY 1 ORDER BY 2 DESC;
