"""cryokg: a knowledge graph of the CPT codes for percutaneous cryoablation of nerves."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cryokg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
