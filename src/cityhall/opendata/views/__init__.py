"""The catalogue's pages, split by audience: `public` (the catalogue, anyone), `downloads`
(the files), `staff` (the back office)."""
