-- Versions and stages: promote archives the previous production version, and the next
-- statement scores with the new one.

SELECT persona.import_centroids('flip', '{{0},{10}}', '{low,high}', '{x}');
SELECT persona.import_centroids('flip', '{{0},{10}}', '{high,low}', '{x}', promote => false);
SELECT version, stage FROM persona.models WHERE model = 'flip' ORDER BY version;
SELECT assign_persona('{1}'::float8[], 'flip') AS before_promote;

SELECT persona.promote('flip', 2);
SELECT version, stage FROM persona.models WHERE model = 'flip' ORDER BY version;
SELECT assign_persona('{1}'::float8[], 'flip') AS after_promote;

-- Promoting the production version again changes nothing.
SELECT persona.promote('flip', 2);
SELECT version, from_stage, to_stage, reason
  FROM persona.model_events WHERE model = 'flip' ORDER BY event_id;

-- A promote inside a transaction is seen by the next statement of that transaction, and
-- rolled back with it.
BEGIN;
SELECT persona.promote('flip', 1);
SELECT assign_persona('{1}'::float8[], 'flip') AS inside_transaction;
ROLLBACK;
SELECT assign_persona('{1}'::float8[], 'flip') AS after_rollback;

-- One statement never mixes versions: a promote made by a function called in the middle of
-- a statement is not seen by the rest of that statement.
CREATE FUNCTION regress.promote_then(v integer) RETURNS integer
LANGUAGE plpgsql AS $$ BEGIN PERFORM persona.promote('flip', v); RETURN v; END $$;
SELECT g, assign_persona('{1}'::float8[], 'flip') AS label,
       CASE WHEN g = 2 THEN regress.promote_then(1) END AS promoted
  FROM generate_series(1, 3) g;
SELECT assign_persona('{1}'::float8[], 'flip') AS next_statement;

-- Any version can be scored as a value before it is promoted.
SELECT persona.assign('{1}', persona.model_value('flip', 1)) AS version_1,
       persona.assign('{1}', persona.model_value('flip', 2)) AS version_2;
SELECT regress.try($$SELECT persona.model_value('flip', 7)$$);

-- At most one production version per model, enforced by the schema itself.
SELECT regress.try($$UPDATE persona.model_versions SET stage = 'production' WHERE model = 'flip'$$);
SELECT regress.try($$UPDATE persona.model_versions SET stage = 'retired' WHERE model = 'flip'$$);

-- Bad promotes.
SELECT regress.try($$SELECT persona.promote('nope', 1)$$);
SELECT regress.try($$SELECT persona.promote('flip', 9)$$);
SELECT regress.try($$SELECT persona.promote(NULL, 1)$$);
SELECT regress.try($$SELECT persona.promote('flip', NULL)$$);
SELECT version, stage FROM persona.models WHERE model = 'flip' ORDER BY version;
