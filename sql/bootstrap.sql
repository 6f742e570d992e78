-- persona keeps its registry and management functions in schema persona; the scoring
-- functions users call on every row (assign_persona, assign_persona_id) live in the
-- extension's own schema, public by default, so they work with the default search_path.
CREATE SCHEMA IF NOT EXISTS persona;
COMMENT ON SCHEMA persona IS 'persona: model registry, fitting, drift checks and scoring kernels.';
