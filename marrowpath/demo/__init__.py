"""Demo data: realistic bone marrow cases for demonstrations, training and performance work.

Everyone here is fictional: patients, providers (their NPI-like ids deliberately fail the
NPI check digit), users and the laboratory. Every demo user signs in with the password
`people.DEMO_PASSWORD` ("marrow-demo-1").

* `showcase`: about thirty hand-written cases that a pathologist would recognise, in every
  lifecycle state, with patients followed through treatment and names in several scripts;
  one JSON file per patient story in `stories/`.
* `bulk`: a fast, deterministic stream of plausible cases built from the diagnosis
  templates in `diagnoses` (blocks in `documents`), for filling a database with up to a
  million cases.
* `loader`: plays the cases into a database through the real services.

Everything but `loader` is pure Python (stdlib and `marrowpath.domain`): tests and
benchmarks use the cases without a database. Every number a diagnosis quotes (percentages,
M:E ratio, cellularity for age) comes from `marrowpath.domain.derived`, so the words and
the report's computed values cannot disagree.
"""
