"""Sections of the web form (``app.py``): widgets in, the estimator API, results out.

No arithmetic lives here: every number shown comes from ``estimator``.
"""
