-- persona.feature_stats: the per-feature statistics fit and drift start from (count, mean,
-- population standard deviation, range), as an aggregate whose partial states combine, so
-- PostgreSQL's parallel query, and a distributed engine such as Citus, split it across workers
-- (src/gather.rs). The transition state is internal; between processes it travels as bytea.

CREATE FUNCTION persona._feature_stats_step(state internal, features float8[])
RETURNS internal
AS 'MODULE_PATHNAME', 'feature_stats_step_wrapper'
LANGUAGE c IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_combine(first internal, second internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'feature_stats_combine_wrapper'
LANGUAGE c IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_serialize(state internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'feature_stats_serialize_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_deserialize(bytes bytea, unused internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'feature_stats_deserialize_wrapper'
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION persona._feature_stats_final(state internal)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'feature_stats_final_wrapper'
LANGUAGE c IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE persona.feature_stats(features float8[]) (
    SFUNC = persona._feature_stats_step,
    STYPE = internal,
    COMBINEFUNC = persona._feature_stats_combine,
    SERIALFUNC = persona._feature_stats_serialize,
    DESERIALFUNC = persona._feature_stats_deserialize,
    FINALFUNC = persona._feature_stats_final,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE persona.feature_stats(float8[]) IS
    'Per-feature n, n_null, mean, std (population), min and max of feature vectors, as jsonb; runs in parallel workers (partial states combine, shipped as bytea).';
COMMENT ON FUNCTION persona._feature_stats_step(internal, float8[]) IS
    'Internal: transition function of persona.feature_stats (adds one row).';
COMMENT ON FUNCTION persona._feature_stats_combine(internal, internal) IS
    'Internal: combine function of persona.feature_stats (merges two partial states).';
COMMENT ON FUNCTION persona._feature_stats_serialize(internal) IS
    'Internal: serializes a persona.feature_stats state to bytea.';
COMMENT ON FUNCTION persona._feature_stats_deserialize(bytea, internal) IS
    'Internal: reads a persona.feature_stats state from bytea.';
COMMENT ON FUNCTION persona._feature_stats_final(internal) IS
    'Internal: final function of persona.feature_stats (the jsonb result).';
