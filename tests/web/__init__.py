"""HTTP, SPARQL protocol, security, static-site and browser tests of ``cryokg serve`` and ``cryokg site``."""
