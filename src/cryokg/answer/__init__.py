"""Stage 4, answering from the release: the embedded store, the query catalogue, code selection, text matching,
comparison, description and claim checks."""
