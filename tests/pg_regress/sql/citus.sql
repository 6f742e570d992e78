-- persona.distribute_registry, with Citus emulated: Citus is not installable here, so a
-- stand-in pg_catalog.create_reference_table records the tables it is given.
-- Without Citus the call says so and changes nothing.
SELECT regress.try($$SELECT * FROM persona.distribute_registry()$$);

CREATE TABLE regress.reference_calls (n serial, relation regclass);
CREATE FUNCTION pg_catalog.create_reference_table(relation regclass) RETURNS void
LANGUAGE sql AS $$ INSERT INTO regress.reference_calls (relation) VALUES (relation) $$;

SELECT * FROM persona.distribute_registry();
-- Each table once, and every foreign key's target before the table that points at it.
SELECT n, relation FROM regress.reference_calls ORDER BY n;
SELECT c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
       child_call.n > parent_call.n AS parent_first
  FROM pg_constraint c
  JOIN regress.reference_calls child_call ON child_call.relation = c.conrelid
  JOIN regress.reference_calls parent_call ON parent_call.relation = c.confrelid
 WHERE c.contype = 'f' AND c.connamespace = 'persona'::regnamespace
 ORDER BY 1::text, 2::text;
-- Every table of the registry is covered.
SELECT c.oid::regclass AS missing FROM pg_class c
 WHERE c.relnamespace = 'persona'::regnamespace AND c.relkind = 'r'
   AND c.oid NOT IN (SELECT relation FROM regress.reference_calls);

-- Only superusers (table owners) may run it.
CREATE ROLE regress_citus_admin IN ROLE persona_admin;
GRANT USAGE ON SCHEMA regress TO regress_citus_admin;
SET ROLE regress_citus_admin;
SELECT regress.try($$SELECT * FROM persona.distribute_registry()$$);
RESET ROLE;
REVOKE USAGE ON SCHEMA regress FROM regress_citus_admin;
DROP ROLE regress_citus_admin;

DROP FUNCTION pg_catalog.create_reference_table(regclass);
DROP TABLE regress.reference_calls;
