"""The significance level of every test unless the pipeline YAML sets ``alpha`` (METHODS.md §0).

Its own light module so that the configuration and the kinds' signatures can name it without importing scipy.
"""

ALPHA = 0.05
