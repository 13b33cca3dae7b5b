"""Stage 1, sources: find, parse and load the hand-authored ontology/ folder (and SSSOM tables)."""
