"""Every write of the reports app, split by subject: `reports` (filing a report, its place
and photos, status changes), `triage` (the back office's work on a report), `following`
(telling residents), `open311` (API keys). Callers import from the submodule."""
