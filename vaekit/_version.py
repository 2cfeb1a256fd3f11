"""The version of vaekit, in one place: read by ``setup.py`` (without importing the
package), exposed as ``vaekit.__version__`` and printed by ``vaekit --version``."""

__version__ = "0.1.0"
