-- Lifecycle: stable persona ids across retrains, rollback, drop_model.

-- Version 1 is fitted on the first quarter and its personas are named.
SELECT persona.fit('steady', 'survey_q1', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 3,
                   n_init => 2, promote => true) AS version;
SELECT count(persona.label('steady', 1, persona_id, label))
  FROM (VALUES (1, 'Alpha'), (2, 'Beta'), (3, 'Gamma')) l(persona_id, label);

-- A retrain on another month with another seed finds the same personas in some order; each
-- keeps its id and label.
CREATE VIEW survey_feb AS SELECT * FROM survey WHERE survey_date = '2025-02-01';
SELECT persona.fit('steady', 'survey_feb', k => 3, seed => 4, n_init => 2) AS version;
CREATE VIEW persona_moves AS
SELECT n.version, n.persona_id, n.label, n.previous_id,
       round(sqrt((SELECT sum((a - b) ^ 2) FROM unnest(n.centroid, o.centroid) u(a, b)))::numeric,
             0) AS moved
  FROM persona.personas n
  LEFT JOIN persona.personas o ON o.model = n.model AND o.version = 1
                              AND o.persona_id = n.previous_id
 WHERE n.model = 'steady' AND n.version > 1;
SELECT * FROM persona_moves WHERE version = 2 ORDER BY persona_id;
SELECT version, matched_version FROM persona.model_versions WHERE model = 'steady' ORDER BY 1;
-- Without a production version to match, the same fit keeps k-means' own order, which here
-- differs: its persona 1 is Beta.
SELECT persona.fit('fresh', 'survey_feb', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 3, seed => 4,
                   n_init => 2) AS version;
SELECT f.persona_id, o.label AS same_persona_in_steady
  FROM persona.personas f
  CROSS JOIN LATERAL (
      SELECT o.label FROM persona.personas o WHERE o.model = 'steady' AND o.version = 1
       ORDER BY (SELECT sum((a - b) ^ 2) FROM unnest(f.centroid, o.centroid) u(a, b)) LIMIT 1) o
 WHERE f.model = 'fresh' ORDER BY f.persona_id;
SELECT persona.drop_model('fresh');

-- Month 2025-05 brings a fourth persona: three keep their ids and labels, the new one gets
-- the next id and a default label.
CREATE VIEW survey_may AS SELECT * FROM survey WHERE survey_date = '2025-05-01';
SELECT persona.fit('steady', 'survey_may', k => 4, n_init => 2) AS version;
SELECT * FROM persona_moves WHERE version = 3 ORDER BY persona_id;

-- With k = 2 one persona disappears: the two left keep their labels; ids are compacted and
-- previous_id says where each came from.
SELECT persona.fit('steady', 'survey_q1', k => 2, n_init => 2) AS version;
SELECT version, persona_id, label, previous_id FROM persona_moves WHERE version = 4
 ORDER BY persona_id;

-- Rollback restores the version that was production before the current one was promoted;
-- each further rollback goes back one promotion more, until there is none.
SELECT persona.promote('steady', 2);
SELECT persona.promote('steady', 3);
SELECT persona.rollback('steady') AS restored;
SELECT version, stage FROM persona.models WHERE model = 'steady' ORDER BY version;
SELECT persona.rollback('steady') AS restored_again;
SELECT regress.try($$SELECT persona.rollback('steady')$$) AS restored_thrice;
SELECT version FROM persona.models WHERE model = 'steady' AND stage = 'production';
-- Re-promoting an archived version does not make rollbacks go round in circles: promote 1,
-- 2, 1 again, and rollbacks give 2, then 1, then none.
SELECT persona.import_centroids('circle', '{{1}}') AS v1;
SELECT persona.import_centroids('circle', '{{2}}') AS v2;
SELECT persona.promote('circle', 1);
SELECT persona.rollback('circle') AS first;
SELECT persona.rollback('circle') AS second;
SELECT regress.try($$SELECT persona.rollback('circle')$$) AS third;
SELECT persona.drop_model('circle');
SELECT persona.import_centroids('never', '{{1}}', promote => false) AS staging_only;
SELECT regress.try($$SELECT persona.rollback('never')$$);
SELECT persona.drop_model('never');
-- The internal stage switch refuses a version that does not exist.
SELECT regress.try($$SELECT persona._set_production('steady', 99, 'x')$$);
SELECT version, from_stage, to_stage, reason FROM persona.model_events
 WHERE model = 'steady' AND event_id > (SELECT max(event_id) - 6 FROM persona.model_events)
 ORDER BY event_id;
SELECT regress.try($$SELECT persona.rollback('nope')$$);
SELECT regress.try($$SELECT persona.rollback(NULL)$$);
SELECT persona.import_centroids('lonely', '{{1}}');
SELECT regress.try($$SELECT persona.rollback('lonely')$$);

-- drop_model removes a model and everything it owns.
SELECT persona.drop_model('steady');
SELECT (SELECT count(*) FROM persona.model_versions WHERE model = 'steady') AS versions,
       (SELECT count(*) FROM persona.fit_runs WHERE model = 'steady') AS runs,
       (SELECT count(*) FROM persona.model_events WHERE model = 'steady') AS events;
SELECT regress.try($$SELECT persona.drop_model('steady')$$);
SELECT split_part(regress.try($$SELECT assign_persona('{1}'::float8[], 'steady')$$), ' (', 1)
    AS gone;

-- Export and import: a round trip gives identical assignments.
SELECT jsonb_pretty(persona.export_model('c04', 1) - 'created_at') AS document;
CREATE TABLE exported AS SELECT persona.export_model('survey', 1) AS doc;
SELECT persona.import_model(doc, 'survey_copy', promote => true) AS version FROM exported;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE assign_persona_id(f, 'survey') = assign_persona_id(f, 'survey_copy'))
           AS same_persona
  FROM (SELECT ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10] AS f FROM survey) s;
SELECT (persona.export_model('survey_copy') - '{model,created_at,origin,stage,params,metrics}'::text[])
     = ((SELECT doc FROM exported) - '{model,created_at,origin,stage,params,metrics}'::text[])
    AS same_document;
SELECT regress.try($$SELECT persona.export_model('nope')$$);
SELECT regress.try($$SELECT persona.export_model('draft')$$);
SELECT regress.try($$SELECT persona.export_model('survey', 99)$$);
SELECT regress.try($$SELECT persona.import_model(NULL)$$);
SELECT regress.try($$SELECT persona.import_model('{"format": "other"}')$$);
SELECT regress.try($$SELECT persona.import_model('[1, 2]')$$);
SELECT regress.try($$SELECT persona.import_model(
    '{"format": "persona-model", "model": "x", "features": ["a"], "labels": ["p"],
      "centroids": [[1, 2]]}')$$);
SELECT regress.try($$SELECT persona.import_model(
    '{"format": "persona-model", "features": ["a"], "labels": ["p"], "centroids": [[1]]}')$$);
SELECT regress.try($$SELECT persona.import_model(
    '{"format": "persona-model", "model": "x", "features": ["a", "a"], "labels": ["p"],
      "centroids": [[1, 2]]}')$$);
SELECT regress.try($$SELECT persona.import_model(
    '{"format": "persona-model", "model": "x", "features": ["a"], "labels": ["p", "q"],
      "centroids": [[1], [2]], "sizes": [-1, 5]}')$$);
SELECT regress.try($$SELECT persona.import_model(
    '{"format": "persona-model", "model": "x", "features": ["a"], "labels": ["p"],
      "centroids": [[1]], "sizes": [1, 2]}')$$);
SELECT regress.try($$SELECT persona.import_model(
    '{"format": "persona-model", "format_version": 99, "model": "x", "features": ["a"],
      "labels": ["p"], "centroids": [[1]]}')$$);
SELECT regress.try($$SELECT persona.import_model('{"format": "persona-model", "centroids": [[1e400]]}')$$);
SELECT count(*) AS no_model_x FROM persona.models WHERE model = 'x';

-- persona.evaluate scores any version on any source: on its own training rows it gives back
-- the metrics fit recorded.
SELECT round((e->>'silhouette')::numeric, 10) = round((r.metrics->>'silhouette')::numeric, 10)
           AS same_silhouette,
       round((e->>'inertia')::numeric, 6) = round((r.metrics->>'inertia')::numeric, 6)
           AS same_inertia,
       e->'rows_used' AS rows_used
  FROM persona.runs r, persona.evaluate('survey', 1, 'survey_q1') e
 WHERE r.model = 'survey' AND r.version = 1;
SELECT round((persona.evaluate('survey', 1, 'survey_may')->>'silhouette')::numeric, 4)
    AS silhouette_on_may;
SELECT regress.try($$SELECT persona.evaluate('survey', 9, 'survey_q1')$$);
SELECT regress.try($$SELECT persona.evaluate('survey', 1, 'words')$$);

-- source_fingerprint: the same rows in another order give the same text; a change does not.
CREATE TABLE fp AS SELECT g AS id, g * 1.5 AS a, g % 7 AS b FROM generate_series(1, 1000) g;
CREATE VIEW fp_reversed AS SELECT * FROM fp ORDER BY id DESC;
SELECT persona.source_fingerprint('fp', '{a,b}') = persona.source_fingerprint('fp_reversed', '{a,b}')
    AS order_independent,
       persona.source_fingerprint('fp', '{a,b}') = persona.source_fingerprint('fp', '{b,a}')
    AS same_with_columns_swapped;
SELECT persona.source_fingerprint('fp', '{a,b}') AS before \gset
UPDATE fp SET a = a + 1e-9 WHERE id = 500;
SELECT persona.source_fingerprint('fp', '{a,b}') <> :'before' AS changed,
       split_part(:'before', ':', 1) AS rows;
SELECT regress.try($$SELECT persona.source_fingerprint('fp', '{nope}')$$);
