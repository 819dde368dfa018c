"""tryghed: yearly, reproducible evaluation of municipal crime-prevention and public-safety programmes."""

__version__ = "0.1.0"
