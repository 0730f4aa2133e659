"""Supervision (监督考核): the street's view over its communities, by SQL aggregation."""
