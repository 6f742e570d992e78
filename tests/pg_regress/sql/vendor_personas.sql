-- The main job on real input: the vendor's three personas label five survey months.
-- (\copy does not expand psql variables, so the client's shell finds the data folder.)

CREATE TABLE vendor_personas (persona text, x1 float8, x2 float8, x3 float8, x4 float8,
    x5 float8, x6 float8, x7 float8, x8 float8, x9 float8, x10 float8);
\copy vendor_personas FROM PROGRAM 'cat "$PG_ABS_SRCDIR/../../data/seed_personas.csv"' WITH (FORMAT csv, HEADER)
CREATE TABLE survey (customer_id integer PRIMARY KEY, survey_date date, x1 float8, x2 float8,
    x3 float8, x4 float8, x5 float8, x6 float8, x7 float8, x8 float8, x9 float8, x10 float8,
    true_persona text);
\copy survey FROM PROGRAM 'cat "$PG_ABS_SRCDIR/../../data/survey_2025.csv"' WITH (FORMAT csv, HEADER)

SELECT persona.import_centroids(
    'vendor',
    (SELECT array_agg(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10] ORDER BY persona)
       FROM vendor_personas),
    (SELECT array_agg(persona ORDER BY persona) FROM vendor_personas),
    '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}');

ALTER TABLE survey ADD COLUMN persona text;
UPDATE survey SET persona = assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10],
                                           'vendor');

SELECT to_char(survey_date, 'YYYY-MM') AS month, count(*) AS rows,
       count(*) FILTER (WHERE persona = true_persona) AS agree,
       round(100.0 * count(*) FILTER (WHERE persona = true_persona) / count(*), 1) AS pct
  FROM survey GROUP BY 1 ORDER BY 1;
SELECT persona, count(*) FROM survey GROUP BY 1 ORDER BY 1;

-- The wrong number of features names both counts.
SELECT regress.try($$SELECT assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9], 'vendor')
                      FROM survey LIMIT 1$$);
