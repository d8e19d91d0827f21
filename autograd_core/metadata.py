"""The version of autograd-core, as ``autograd_core.__version__`` and ``nn.__version__`` give it.

It is read from the installed distribution's metadata, so pyproject.toml is the one place it is
written; and only when asked for, since importlib.metadata takes half as long to import as the
whole engine.
"""

DISTRIBUTION = "autograd-core"
NOT_INSTALLED = "0+unknown"  # a PEP 440 version that sorts before every release


def version() -> str:
    """The installed distribution's version, or "0+unknown" for a source tree that was never
    installed (imported through PYTHONPATH, say)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version(DISTRIBUTION)
    except PackageNotFoundError:
        return NOT_INSTALLED
