"""Stage 5, publishing the release: the web app, the static site, triple stores and the SPARQL HTTP client."""
