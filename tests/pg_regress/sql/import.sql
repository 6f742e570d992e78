-- persona.import_centroids: registering vendor centroids, with every bad input rejected
-- by SQLSTATE and message, and nothing written by a failed call.

SELECT persona.import_centroids('shapes', '{{0,0},{10,0},{0,10}}',
                                '{origin,east,north}', '{width,height}');
SELECT model, version, stage, k, features, labels, standardized, origin FROM persona.models;

-- Defaults: labels 'persona 1'..'persona k', features x1..xd, promoted.
SELECT persona.import_centroids('plain', '{{1,2,3},{4,5,6}}');
SELECT persona.import_centroids('plain', '{{1,2,3},{4,5,6},{7,8,9}}', promote => false);
SELECT model, version, stage, k, features, labels FROM persona.models WHERE model = 'plain';
SELECT centroids FROM persona.model_versions WHERE model = 'plain' ORDER BY version;

-- A single persona is a 1 x d matrix.
SELECT persona.import_centroids('single', '{{5,5}}');

-- Bad input: each call fails with its own SQLSTATE and message.
SELECT regress.try($$SELECT persona.import_centroids(NULL, '{{1}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('', '{{1}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', NULL)$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{1,2,3}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{{1}}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,NULL}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{NaN,4}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,Infinity}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,-Infinity}}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3,4}}', '{a}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3,4}}', '{a,a}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3,4}}', '{a,NULL}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3,4}}', '{a,""}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3,4}}', NULL, '{f}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3,4}}', NULL, '{f,f}')$$);
SELECT regress.try($$SELECT persona.import_centroids('bad', '{{1,2},{3,4}}', NULL, '{f,g,h}')$$);

-- None of the failed calls wrote anything.
SELECT count(*) AS models FROM persona.registered_models;
SELECT count(*) AS versions FROM persona.model_versions;
SELECT count(*) AS events FROM persona.model_events;

-- The session is still usable after every error.
SELECT 1 AS still_connected;
