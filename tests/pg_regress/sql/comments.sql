-- What a GUI shows next to every object: every function, procedure, aggregate, type, table,
-- view and column that belongs to the extension has a comment. The queries list what lacks
-- one, so a new object without a comment shows up here by name.

-- Functions, procedures and aggregates of the extension without a comment.
SELECT p.oid::regprocedure AS uncommented_function
  FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
   AND d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'persona')
   AND coalesce(obj_description(p.oid, 'pg_proc'), '') = ''
 ORDER BY 1::text;

-- Tables and views (and any other relation but sequences and indexes) without a comment.
SELECT c.oid::regclass AS uncommented_relation
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'persona')
   AND c.relkind NOT IN ('S', 'i')
   AND coalesce(obj_description(c.oid, 'pg_class'), '') = ''
 ORDER BY 1::text;

-- Their columns without a comment.
SELECT c.oid::regclass AS relation, a.attname AS uncommented_column
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'persona')
   AND c.relkind NOT IN ('S', 'i')
   AND coalesce(col_description(c.oid, a.attnum), '') = ''
 ORDER BY 1::text, a.attnum;

-- Types and the schema.
SELECT t.oid::regtype AS uncommented_type
  FROM pg_depend d JOIN pg_type t ON t.oid = d.objid
 WHERE d.classid = 'pg_type'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'persona')
   AND coalesce(obj_description(t.oid, 'pg_type'), '') = ''
 ORDER BY 1::text;
SELECT n.nspname AS uncommented_schema
  FROM pg_depend d JOIN pg_namespace n ON n.oid = d.objid
 WHERE d.classid = 'pg_namespace'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'persona')
   AND coalesce(obj_description(n.oid, 'pg_namespace'), '') = '';

-- The check above looks at something: the extension does own functions, relations, columns.
SELECT count(*) FILTER (WHERE d.classid = 'pg_proc'::regclass) > 20 AS has_functions,
       count(*) FILTER (WHERE d.classid = 'pg_class'::regclass) > 10 AS has_relations
  FROM pg_depend d
 WHERE d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'persona');
