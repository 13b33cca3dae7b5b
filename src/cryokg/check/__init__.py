"""Stage 2, checking: SHACL validation (cryokg's engine and pyshacl) and readable reports."""
