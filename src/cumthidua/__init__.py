"""cumthidua: a static news-portal generator for Vietnamese newsrooms."""

__version__ = "0.1.0"
