"""RDF and SPARQL text: strict parsing, the one SPARQL lexer, term tables. The foundation every stage uses."""
