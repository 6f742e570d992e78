-- A text picture of everything the persona extension defines, one line per fact, sorted:
-- an upgraded installation must print exactly what a fresh installation prints.
WITH members AS (
    SELECT d.classid, d.objid
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.deptype = 'e' AND e.extname = 'persona'
), facts AS (
    SELECT 'member ' || pg_describe_object(classid, objid, 0) AS fact FROM members
    UNION ALL
    SELECT format('function %s kind=%s volatile=%s strict=%s parallel=%s secdef=%s '
                  'returns=%s%s config=%s acl=%s lang=%s body=%s comment=%s',
                  p.oid::regprocedure, p.prokind, p.provolatile, p.proisstrict, p.proparallel,
                  p.prosecdef, CASE WHEN p.proretset THEN 'setof ' ELSE '' END,
                  pg_get_function_result(p.oid), p.proconfig, p.proacl, l.lanname,
                  md5(p.prosrc), obj_description(p.oid, 'pg_proc'))
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_proc'::regclass)
    UNION ALL
    SELECT format('function %s arguments=%s', p.oid::regprocedure,
                  pg_get_function_arguments(p.oid))
      FROM pg_proc p
     WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_proc'::regclass)
    UNION ALL
    SELECT format('relation %s kind=%s acl=%s comment=%s', c.oid::regclass, c.relkind,
                  c.relacl, obj_description(c.oid, 'pg_class'))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'persona'
    UNION ALL
    SELECT format('column %s.%s type=%s notnull=%s default=%s identity=%s acl=%s comment=%s',
                  c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attacl,
                  col_description(c.oid, a.attnum))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
     WHERE n.nspname = 'persona' AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
    UNION ALL
    SELECT format('view %s %s', c.oid::regclass, md5(pg_get_viewdef(c.oid)))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'persona' AND c.relkind = 'v'
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'persona'
    UNION ALL
    SELECT format('constraint %s %s %s', co.conrelid::regclass, co.conname,
                  pg_get_constraintdef(co.oid))
      FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
     WHERE n.nspname = 'persona'
    UNION ALL
    SELECT format('trigger %s', pg_get_triggerdef(t.oid))
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'persona' AND NOT t.tgisinternal
    UNION ALL
    SELECT format('type %s comment=%s', t.oid::regtype, obj_description(t.oid, 'pg_type'))
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'persona' AND t.typtype <> 'c'
    UNION ALL
    SELECT format('schema %s acl=%s comment=%s', n.nspname, n.nspacl,
                  obj_description(n.oid, 'pg_namespace'))
      FROM pg_namespace n WHERE n.nspname = 'persona'
    UNION ALL
    SELECT format('config %s', c::regclass)
      FROM pg_extension e, unnest(e.extconfig) AS c WHERE e.extname = 'persona'
    UNION ALL
    SELECT format('config condition %s', cond)
      FROM pg_extension e, unnest(e.extcondition) AS cond WHERE e.extname = 'persona'
    UNION ALL
    SELECT format('role %s member of %s', r.rolname, m.roleid::regrole)
      FROM pg_roles r LEFT JOIN pg_auth_members m ON m.member = r.oid
     WHERE r.rolname LIKE 'persona\_%'
)
SELECT fact FROM facts ORDER BY fact COLLATE "C";
