"""Sub-commands of ``cryokg``. Each module defines HELP, ``add_arguments(parser)`` and ``run(args) -> int``."""
