"""vnfacts: facts and citations from Vietnamese trade-union news, as normalised tables."""

from extract.model import Article, Citation, Fact, Result

__all__ = ["Article", "Citation", "Fact", "Result", "extract_paths", "extract_text"]


def __getattr__(name: str):  # lazy, so `import extract` stays cheap for worker processes
    if name in ("extract_text", "extract_paths"):
        from extract import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
