"""cryokg: a knowledge graph of the CPT codes for percutaneous cryoablation of nerves."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cryokg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__", "to_networkx"]


def __getattr__(name: str) -> object:
    """Lazy exports (PEP 562): ``cryokg.to_networkx`` without importing networkx on ``import cryokg``."""
    if name == "to_networkx":
        from cryokg.graphview import to_networkx

        return to_networkx
    raise AttributeError(f"module 'cryokg' has no attribute {name!r}")
