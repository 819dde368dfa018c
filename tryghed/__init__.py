"""tryghed: yearly, reproducible evaluation of municipal crime-prevention and public-safety programmes."""

import sys as _sys

__version__ = "0.1.0"

# jsonschema (imported by nbformat, so by papermill, nbconvert and this package's report module) checks the "iri"
# string format with rfc3987_syntax when that is installed, and rfc3987_syntax builds a Lark grammar when imported:
# 1.2 s in every process that reads a notebook. No schema here uses that format (nbformat's have none), so the
# check is left out: jsonschema's own ``try: import`` then skips it.
_sys.modules.setdefault("rfc3987_syntax", None)
