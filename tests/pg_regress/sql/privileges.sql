-- The privilege model: persona_reader scores and reads summaries; persona_admin also
-- changes the registry; anyone else gets nothing. Every call runs with the caller's rights.
CREATE ROLE persona_test_reader IN ROLE persona_reader;
CREATE ROLE persona_test_admin IN ROLE persona_admin;
CREATE ROLE persona_test_nobody;
GRANT USAGE ON SCHEMA regress TO persona_test_reader, persona_test_admin, persona_test_nobody;
CREATE TABLE admin_rows AS SELECT * FROM survey WHERE survey_date = '2025-01-01';
GRANT SELECT ON admin_rows TO persona_test_admin;

SET ROLE persona_test_reader;
SELECT assign_persona('{-2.5,9,4.6,2,-6.9,-6.9,-8.8,7.3,2,4.2}'::float8[], 'vendor') AS reader_scores;
SELECT persona FROM persona.nearest('{-2.5,9,4.6,2,-6.9,-6.9,-8.8,7.3,2,4.2}', 'vendor');
SELECT count(*) > 0 AS reads_models FROM persona.models;
SELECT count(*) > 0 AS reads_personas FROM persona.personas;
SELECT count(*) > 0 AS reads_reports FROM persona.drift_reports;
SELECT regress.try($$SELECT sample FROM persona.baseline_features LIMIT 1$$);
SELECT regress.try($$SELECT persona.promote('vendor', 1)$$);
SELECT regress.try($$SELECT persona.import_centroids('mine', '{{1}}')$$);
SELECT regress.try($$SELECT persona.fit('mine', 'survey', '{x1}', k => 2)$$);
SELECT regress.try($$SELECT * FROM persona.check_drift('vendor', 'survey')$$);
SELECT regress.try($$SELECT * FROM persona.drift('vendor', 'survey')$$);
SELECT regress.try($$SELECT persona.drop_model('vendor')$$);
SELECT regress.try($$UPDATE persona.model_versions SET stage = 'archived'$$);
SELECT regress.try($$CALL persona.retrain_if_drifted('vendor', 'survey')$$);
RESET ROLE;

SET ROLE persona_test_admin;
SELECT persona.fit('admin_model', 'admin_rows', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 3,
                   n_init => 1, promote => true) AS version;
SELECT dataset_drift FROM persona.check_drift('admin_model', 'admin_rows');
SELECT count(*) > 0 AS reads_samples FROM persona.baseline_features WHERE model = 'admin_model';
SELECT regress.try($$SELECT persona.fit('admin_model', 'survey', k => 3)$$);
SELECT persona.drop_model('admin_model');
RESET ROLE;

SET ROLE persona_test_nobody;
SELECT regress.try($$SELECT assign_persona('{1,2}'::float8[], 'shapes')$$);
SELECT regress.try($$SELECT * FROM persona.models$$);
RESET ROLE;

-- No persona function is SECURITY DEFINER, and every PL/pgSQL function pins its search_path.
SELECT count(*) AS security_definer
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'persona' AND p.prosecdef;
SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'persona' AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
   AND p.prokind = 'f' AND p.proconfig IS NULL;

DROP TABLE admin_rows;
DROP OWNED BY persona_test_reader, persona_test_admin, persona_test_nobody;
DROP ROLE persona_test_reader, persona_test_admin, persona_test_nobody;
