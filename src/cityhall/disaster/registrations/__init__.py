"""How the disaster app plugs into core and the engines, one module per subject."""
