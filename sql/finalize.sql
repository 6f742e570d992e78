-- Runs last, when every function pgrx generates from Rust exists: the scoring kernels that are
-- declared by hand, and the comments on the Rust functions.

-- Scoring with a model value instead of a model name. These read no table, so they are
-- IMMUTABLE: a distributed planner (Citus) may push them to the nodes that hold the rows, with
-- the value computed once where the registry lives:
--   SELECT persona.assign(features, (SELECT persona.model_value('dtc'))) FROM customers;
CREATE FUNCTION persona.assign(features float8[], model persona.persona_model)
RETURNS text
AS 'MODULE_PATHNAME', 'assign_value_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION persona.assign_id(features float8[], model persona.persona_model)
RETURNS integer
AS 'MODULE_PATHNAME', 'assign_id_value_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION persona.assign(float8[], persona.persona_model) IS
    'Label of the nearest persona under a model value (IMMUTABLE kernel; reads no table).';
COMMENT ON FUNCTION persona.assign_id(float8[], persona.persona_model) IS
    '1-based id of the nearest persona under a model value (IMMUTABLE kernel).';
COMMENT ON FUNCTION assign_persona(float8[]) IS
    'Label of the nearest persona under the default model''s production version.';
COMMENT ON FUNCTION assign_persona(float8[], text) IS
    'Label of the nearest persona under the named model''s production version.';
COMMENT ON FUNCTION assign_persona_id(float8[]) IS
    '1-based id of the nearest persona under the default model''s production version.';
COMMENT ON FUNCTION assign_persona_id(float8[], text) IS
    '1-based id of the nearest persona under the named model''s production version.';
COMMENT ON FUNCTION persona.nearest(float8[], text) IS
    'The nearest persona, the runner-up and the margin between them (Euclidean distances).';
COMMENT ON FUNCTION persona.model_value(text) IS
    'The production version of a model as a persona_model value, for persona.assign.';
COMMENT ON FUNCTION persona.model_value(text, integer) IS
    'Any version of a model as a persona_model value, e.g. to score a staging version.';
COMMENT ON FUNCTION persona.import_centroids(text, float8[], text[], text[], boolean) IS
    'Registers a k x d matrix of centroids as a new version of a model; returns the version.';
COMMENT ON TYPE persona.persona_model IS
    'A self-contained model version: features, labels, centroids and standardization (JSON text).';
COMMENT ON FUNCTION persona.import_model(jsonb, text, boolean) IS
    'Registers a document made by persona.export_model as a new version; returns it.';
COMMENT ON FUNCTION persona.source_fingerprint(regclass, text[]) IS
    'Order-independent fingerprint of the feature values of a source.';
COMMENT ON FUNCTION persona.evaluate(text, integer, regclass) IS
    'Metrics (inertia, silhouette, ...) of a version''s personas on the rows of a source.';
COMMENT ON FUNCTION persona.fit(text, regclass, text[], integer, integer, integer, boolean,
                                integer, integer, float8, bigint, text, boolean, float8[]) IS
    'Trains k-means personas on a table and registers the best run as a new version.';
COMMENT ON FUNCTION persona.persona_model_in(cstring) IS
    'Input function of type persona.persona_model: reads and checks its JSON text.';
COMMENT ON FUNCTION persona.persona_model_out(persona.persona_model) IS
    'Output function of type persona.persona_model: its JSON text.';
