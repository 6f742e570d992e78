-- persona demo, part 1: the vendor's personas label every survey row inside PostgreSQL.
\pset footer off
\echo '== 1. Import the vendor personas under the names marketing uses'
CREATE TABLE persona_names (vendor_name text PRIMARY KEY, persona text NOT NULL);
INSERT INTO persona_names VALUES
    ('Persona A', 'Sustainable Steve'),
    ('Persona B', 'Eco-Conscious Haley'),
    ('Persona C', 'Budget-Minded Ben');
SELECT persona.import_centroids(
    'dtc',
    array_agg(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10] ORDER BY v.persona),
    array_agg(n.persona ORDER BY v.persona),
    '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}') AS version
  FROM vendor_personas v JOIN persona_names n ON n.vendor_name = v.persona;
SELECT model, version, stage, k, labels FROM persona.models;

\echo '== 2. Label all 2,500 survey rows with one UPDATE'
ALTER TABLE survey ADD COLUMN persona text;
\timing on
UPDATE survey SET persona = assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]);
\timing off

\echo '== 3. Rows per persona'
SELECT persona, count(*) AS customers FROM survey GROUP BY 1 ORDER BY 2 DESC;

\echo '== 4. Agreement with the true persona, month by month'
SELECT to_char(s.survey_date, 'YYYY-MM') AS month,
       count(*) AS rows,
       count(*) FILTER (WHERE s.persona = n.persona) AS agree,
       round(100.0 * count(*) FILTER (WHERE s.persona = n.persona) / count(*), 1) AS pct
  FROM survey s LEFT JOIN persona_names n ON n.vendor_name = s.true_persona
 GROUP BY 1 ORDER BY 1;
\echo '(2025-05 brings a persona D that the vendor personas do not know: those rows cannot agree.)'

\echo '== 5. Why a customer got its persona'
SELECT s.customer_id, n.*
  FROM survey s,
       persona.nearest(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10]) n
 WHERE s.customer_id IN (1, 2001, 2002)
 ORDER BY s.customer_id;
