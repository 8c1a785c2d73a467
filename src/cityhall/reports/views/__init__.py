"""The reports app's pages, split by audience: `public` (residents and visitors) and
`staff` (the back office)."""
