-- Model lifecycle: rolling back a promotion and dropping a model.

-- Restores the version that was production before the current one was promoted. The history
-- is the sequence of promotions in persona.model_events, so a second rollback goes back
-- one promotion further: after promoting 1, 2 and 3, rollbacks return 2, then 1; after
-- promoting 1, 2 and 1 again, they return 2, then 1, then none.
CREATE FUNCTION persona.rollback(model text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_current integer;
    v_stack integer[] := '{}';
    v_event record;
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
    IF v_current IS NULL THEN
        RAISE EXCEPTION 'model "%" has no production version to roll back from', model
            USING ERRCODE = '55000';
    END IF;
    -- The promotions form a stack: a promotion pushes its version, a rollback pops one. The
    -- target is the version under the top, so successive rollbacks walk back one promotion
    -- at a time and end when there is none, whatever was promoted in between.
    FOR v_event IN SELECT e.version, e.reason FROM persona.model_events e
                    WHERE e.model = rollback.model AND e.to_stage = 'production'
                    ORDER BY e.event_id LOOP
        IF v_event.reason LIKE 'rollback from version %' THEN
            v_stack := v_stack[1:cardinality(v_stack) - 1];
        ELSE
            v_stack := v_stack || v_event.version;
        END IF;
    END LOOP;
    v_target := v_stack[cardinality(v_stack) - 1];
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
    DELETE FROM persona.drift_reports d WHERE d.model = drop_model.model;
    DELETE FROM persona.jobs j WHERE j.model = drop_model.model;
END;
$$;
COMMENT ON FUNCTION persona.drop_model(text) IS
    'Removes a model and everything it owns: versions, baselines, runs, events, drift '
    'reports and retrain jobs.';

-- A version as one self-contained JSON document: everything needed to score it and to know
-- where it came from. persona.import_model reads it back.
CREATE FUNCTION persona.export_model(model text, version integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v persona.model_versions;
    v_run persona.fit_runs;
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION 'model must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO v FROM persona.model_versions mv
     WHERE mv.model = export_model.model
       AND (mv.version = export_model.version
            OR (export_model.version IS NULL AND mv.stage = 'production'));
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM persona.registered_models m
                        WHERE m.model = export_model.model) THEN
            RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = '42704';
        ELSIF version IS NULL THEN
            RAISE EXCEPTION 'model "%" has no production version', model
                USING ERRCODE = '55000', HINT = 'Name the version to export.';
        END IF;
        RAISE EXCEPTION 'version % of model "%" does not exist', version, model
            USING ERRCODE = '42704';
    END IF;
    SELECT * INTO v_run FROM persona.fit_runs r WHERE r.run_id = v.run_id;
    RETURN jsonb_build_object(
        'format', 'persona-model',
        'format_version', 1,
        'model', v.model,
        'version', v.version,
        'stage', v.stage,
        'origin', v.origin,
        'created_at', v.created_at,
        'features', to_jsonb(v.features),
        'labels', to_jsonb(v.labels),
        'centroids', to_jsonb(v.centroids),
        'scaler', CASE WHEN v.scaler_mean IS NULL THEN NULL ELSE
                  jsonb_build_object('mean', to_jsonb(v.scaler_mean),
                                     'scale', to_jsonb(v.scaler_scale)) END,
        'sizes', to_jsonb(v.sizes),
        'params', v_run.params,
        'metrics', v_run.metrics);
END;
$$;
COMMENT ON FUNCTION persona.export_model(text, integer) IS
    'A model version (default: production) as a self-contained JSON document.';
