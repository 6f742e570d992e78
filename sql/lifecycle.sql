-- Model lifecycle: rolling back a promotion and dropping a model.

-- Restores the version that was production before the current one. The history is the
-- sequence of promotions in persona.model_events, so a second rollback goes back again.
CREATE FUNCTION persona.rollback(model text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_current integer;
    v_target integer;
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION 'model must not be null' USING ERRCODE = '22004';
    END IF;
    PERFORM 1 FROM persona.registered_models m WHERE m.model = rollback.model FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = '42704',
            HINT = 'The registered models are listed in persona.models.';
    END IF;
    SELECT v.version INTO v_current FROM persona.model_versions v
     WHERE v.model = rollback.model AND v.stage = 'production';
    SELECT e.version INTO v_target FROM persona.model_events e
     WHERE e.model = rollback.model AND e.to_stage = 'production'
       AND e.version IS DISTINCT FROM v_current
       AND EXISTS (SELECT 1 FROM persona.model_versions v
                    WHERE v.model = e.model AND v.version = e.version)
     ORDER BY e.event_id DESC LIMIT 1;
    IF v_target IS NULL THEN
        RAISE EXCEPTION 'model "%" has no earlier production version to roll back to', model
            USING ERRCODE = '55000';
    END IF;
    PERFORM persona._set_production(model, v_target,
                                    format('rollback from version %s', v_current));
    RETURN v_target;
END;
$$;
COMMENT ON FUNCTION persona.rollback(text) IS
    'Restores the version that was production before the current one; returns it.';

-- Removes a model with its versions, runs and events.
CREATE FUNCTION persona.drop_model(model text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION 'model must not be null' USING ERRCODE = '22004';
    END IF;
    DELETE FROM persona.registered_models m WHERE m.model = drop_model.model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = '42704',
            HINT = 'The registered models are listed in persona.models.';
    END IF;
    DELETE FROM persona.fit_runs r WHERE r.model = drop_model.model;
    DELETE FROM persona.model_events e WHERE e.model = drop_model.model;
END;
$$;
COMMENT ON FUNCTION persona.drop_model(text) IS
    'Removes a model and everything it owns: versions, runs and events.';
