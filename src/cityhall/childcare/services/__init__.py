"""The services of childcare: for nursery admission (取組7) the configuration (`config`), the
priority rules (`priority`), file imports (`imports`, `tables`), the engine's instance and
results (`instance`, `runs`); for the immunisation schedule (取組23) the records
(`immunisation`). Every write is a keyword-only function with an explicit actor, audited."""
