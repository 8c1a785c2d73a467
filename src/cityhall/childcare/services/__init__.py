"""The services of nursery admission (取組7): configuration (`config`), the priority rules
(`priority`), file imports (`imports`, `tables`), the engine's instance and results
(`instance`). Every write is a keyword-only function with an explicit actor, audited."""
