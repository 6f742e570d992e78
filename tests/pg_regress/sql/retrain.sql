-- The monthly loop: check drift against production, retrain on drift, promote, record.
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE VIEW survey_jan AS SELECT * FROM survey WHERE survey_date = '2025-01-01';
CREATE VIEW survey_apr AS SELECT * FROM survey WHERE survey_date = '2025-04-01';

-- A model fitted on January carries its baseline from its training rows.
SET client_min_messages = warning;
SELECT persona.fit('dtc', 'survey_jan', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k_min => 2,
                   k_max => 4, n_init => 2, promote => true) AS version;
RESET client_min_messages;
SELECT b.origin, b.n_rows, b.persona_counts = v.sizes AS counts_match_sizes
  FROM persona.baselines b JOIN persona.model_versions v USING (model, version)
 WHERE b.model = 'dtc';

-- February looks like January: no drift, no new version.
CALL persona.retrain_if_drifted('dtc', 'survey_feb');
SELECT job_id, status, new_version, error, report_id IS NOT NULL AS has_report, rows_used
  FROM persona.jobs WHERE model = 'dtc' ORDER BY job_id;

-- May brings a new persona: drift, a new version trained on May, promoted because its
-- silhouette on May beats production's.
SET client_min_messages = warning;
CALL persona.retrain_if_drifted('dtc', 'survey_may', 'auto');
RESET client_min_messages;
SELECT job_id, status, new_version, error, rows_used FROM persona.jobs
 WHERE model = 'dtc' ORDER BY job_id;
SELECT version, stage, k FROM persona.models WHERE model = 'dtc' ORDER BY version;
SELECT e.version, e.to_stage, e.report_id = j.report_id AS same_report,
       e.reason LIKE 'promoted by retrain_if_drifted: silhouette %' AS reason
  FROM persona.model_events e JOIN persona.jobs j ON j.model = e.model AND j.status = 'promoted'
 WHERE e.model = 'dtc' AND e.to_stage = 'production' AND e.version = 2;
SELECT r.dataset_drift, r.share FROM persona.drift_reports r
  JOIN persona.jobs j USING (report_id) WHERE j.model = 'dtc' AND j.status = 'promoted';

-- A new version that does not score at least as well stays in staging and says why: with one
-- persona the silhouette is undefined, so auto promotes nothing.
SELECT persona.fit('one', 'survey_jan', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 1,
                   promote => true) AS version;
CALL persona.retrain_if_drifted('one', 'survey_may', 'auto');
SELECT status, new_version FROM persona.jobs WHERE model = 'one';
SELECT version, stage FROM persona.models WHERE model = 'one' ORDER BY version;
SELECT persona.drop_model('one');

-- Manual mode registers a staging version; the same data again trains nothing new.
SELECT persona.fit('manual', 'survey_jan', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 3,
                   n_init => 2, promote => true) AS version;
SET client_min_messages = warning;
CALL persona.retrain_if_drifted('manual', 'survey_apr');
CALL persona.retrain_if_drifted('manual', 'survey_apr');
RESET client_min_messages;
SELECT status, new_version, fingerprint IS NOT NULL AS fingerprinted FROM persona.jobs
 WHERE model = 'manual' ORDER BY job_id;
SELECT version, stage FROM persona.models WHERE model = 'manual' ORDER BY version;

-- A failing run keeps its row with the error, leaves the registry as it was, and fails the
-- call with the step's own error, so that the caller (and pg_cron) sees it.
CREATE TABLE survey_broken AS SELECT customer_id, x1 FROM survey;
-- (A CALL that commits cannot run inside regress.try's function: it is called directly and
-- psql's LAST_ERROR_SQLSTATE shows the SQLSTATE.)
\set SHOW_CONTEXT never
CALL persona.retrain_if_drifted('dtc', 'survey_broken');
\echo :LAST_ERROR_SQLSTATE
SELECT status, error, finished_at IS NOT NULL AS finished FROM persona.jobs
 WHERE model = 'dtc' ORDER BY job_id DESC LIMIT 1;
SELECT count(*) AS dtc_versions FROM persona.model_versions WHERE model = 'dtc';
-- Too few rows to judge is not drift, and not a success either.
CREATE TABLE survey_empty AS SELECT * FROM survey WHERE false;
CALL persona.retrain_if_drifted('dtc', 'survey_empty');
SELECT status FROM persona.jobs WHERE model = 'dtc' ORDER BY job_id DESC LIMIT 1;

-- One run per model: while another session holds the model, a call returns at once, skipped.
SELECT pg_advisory_lock(hashtext('persona.retrain_if_drifted'), hashtext('dtc'));
SELECT dblink_exec(format('host=%s port=%s dbname=%s user=%s',
                          current_setting('unix_socket_directories'), current_setting('port'),
                          current_database(), current_user),
                   $$CALL persona.retrain_if_drifted('dtc', 'survey_may')$$);
SELECT pg_advisory_unlock(hashtext('persona.retrain_if_drifted'), hashtext('dtc'));
SELECT status, finished_at IS NOT NULL AS finished FROM persona.jobs
 WHERE model = 'dtc' ORDER BY job_id DESC LIMIT 1;
-- A run that died with its session is marked failed by the next run.
INSERT INTO persona.jobs (model, source, promote_mode, status)
VALUES ('dtc', 'survey_feb', 'manual', 'running');
SELECT regress.try($$INSERT INTO persona.jobs (model, source, promote_mode, status)
                     VALUES ('dtc', 'survey_feb', 'manual', 'running')$$);
CALL persona.retrain_if_drifted('dtc', 'survey_may');
SELECT status, error FROM persona.jobs WHERE model = 'dtc' ORDER BY job_id DESC LIMIT 2;

-- Bad arguments.
SELECT regress.try($$CALL persona.retrain_if_drifted('dtc', 'survey_may', 'sometimes')$$);
SELECT regress.try($$CALL persona.retrain_if_drifted(NULL, 'survey_may')$$);
-- An unknown model is refused before any job row is written.
SELECT regress.try($$CALL persona.retrain_if_drifted('nope', 'survey_may')$$);
SELECT count(*) AS nope_jobs FROM persona.jobs WHERE model = 'nope';
CALL persona.retrain_if_drifted('draft', 'survey_may');
\echo :LAST_ERROR_SQLSTATE
SELECT status, error FROM persona.jobs WHERE model = 'draft';

-- Monitoring: the last run and last success per model, and models gone stale.
SELECT model, last_status, last_success_at IS NOT NULL AS succeeded, failures_since_success
  FROM persona.job_status WHERE model IN ('dtc', 'manual', 'vendor') ORDER BY model;
SET persona.retrain_interval = '1 hour';
SELECT model, last_success_at IS NULL AS never FROM persona.stale_models
 WHERE model IN ('dtc', 'manual', 'vendor') ORDER BY model;
-- A model never retrained counts from its promotion: once that is old, it is stale.
UPDATE persona.model_events SET changed_at = changed_at - interval '3 hours'
 WHERE model = 'vendor';
SELECT model, last_success_at IS NULL AS never FROM persona.stale_models
 WHERE model IN ('dtc', 'manual', 'vendor') ORDER BY model;
UPDATE persona.jobs SET finished_at = finished_at - interval '3 hours' WHERE model = 'manual';
SELECT model FROM persona.stale_models WHERE model IN ('dtc', 'manual', 'vendor') ORDER BY model;
RESET persona.retrain_interval;
