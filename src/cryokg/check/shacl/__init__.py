"""cryokg's own SHACL engine: the project's shapes evaluated over dictionaries and pyoxigraph, checked against
pyshacl (the reference engine) on the release, on every shape's examples and on synthetic graphs.

:func:`cryokg.check.validation.validate_graph` uses it unless the shapes need a feature it does not evaluate
(:class:`Unsupported`), in which case pyshacl runs instead; ``cryokg validate --engine pyshacl`` asks for the
reference directly.
"""

from cryokg.check.shacl.engine import Engine, RawResult, report_graph
from cryokg.check.shacl.model import IllFormed, Unsupported, compile_shapes

__all__ = ["Engine", "IllFormed", "RawResult", "Unsupported", "compile_shapes", "report_graph"]
