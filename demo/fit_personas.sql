-- persona demo, part 2: train personas in the database, with the k search tracked.
\pset footer off
\echo '== 6. Fit personas on the first quarter of the survey: k = 2..6, best silhouette'
CREATE VIEW survey_q1 AS SELECT * FROM survey WHERE survey_date < '2025-04-01';
SELECT persona.fit('dtc_fitted', 'survey_q1', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}',
                   k_min => 2, k_max => 6) AS version;
SELECT k, version AS registered_as,
       round((metrics->>'silhouette')::numeric, 4) AS silhouette,
       round((metrics->>'inertia')::numeric, 1) AS inertia,
       round((metrics->>'calinski_harabasz')::numeric, 1) AS calinski_harabasz,
       round((metrics->>'davies_bouldin')::numeric, 3) AS davies_bouldin,
       duration
  FROM persona.runs WHERE model = 'dtc_fitted' ORDER BY k;

\echo '== 7. The fitted personas, named after the vendor persona each one matches'
SELECT count(persona.label('dtc_fitted', 1, p.persona_id, n.persona)) AS renamed
  FROM persona.personas p
  CROSS JOIN LATERAL (
      SELECT v.persona FROM vendor_personas v
       ORDER BY (SELECT sum((a - b) ^ 2) FROM unnest(p.centroid,
                 ARRAY[v.x1, v.x2, v.x3, v.x4, v.x5, v.x6, v.x7, v.x8, v.x9, v.x10]) u(a, b))
       LIMIT 1) m
  JOIN persona_names n ON n.vendor_name = m.persona
 WHERE p.model = 'dtc_fitted' AND p.version = 1;
SELECT persona_id, label, size, share,
       (SELECT array_agg(round(c::numeric, 2)) FROM unnest(centroid) c) AS centroid
  FROM persona.personas WHERE model = 'dtc_fitted' ORDER BY persona_id;

\echo '== 8. UCI wholesale customers (log of annual spend): k = 2..8'
CREATE TABLE wholesale (channel int, region int, fresh int, milk int, grocery int, frozen int,
                        detergents_paper int, delicassen int);
\copy wholesale FROM 'data/wholesale_customers.csv' WITH (FORMAT csv, HEADER)
CREATE VIEW wholesale_log AS
SELECT ln(1 + fresh) AS fresh, ln(1 + milk) AS milk, ln(1 + grocery) AS grocery,
       ln(1 + frozen) AS frozen, ln(1 + detergents_paper) AS detergents_paper,
       ln(1 + delicassen) AS delicassen
  FROM wholesale;
SET client_min_messages = warning;
SELECT persona.fit('wholesale', 'wholesale_log',
                   '{fresh,milk,grocery,frozen,detergents_paper,delicassen}',
                   k_min => 2, k_max => 8) AS version;
RESET client_min_messages;
SELECT k, version AS registered_as,
       round((metrics->>'silhouette')::numeric, 4) AS silhouette,
       round((metrics->>'inertia')::numeric, 1) AS inertia,
       round((metrics->>'silhouette_inertia_ratio')::numeric, 4) AS silhouette_x1000_per_inertia
  FROM persona.runs WHERE model = 'wholesale' ORDER BY k;
SELECT persona_id, size, share,
       (SELECT array_agg(round(exp(c)::numeric - 1, 0)) FROM unnest(centroid) c)
           AS annual_spend_fresh_milk_grocery_frozen_paper_deli
  FROM persona.personas WHERE model = 'wholesale' ORDER BY persona_id;
