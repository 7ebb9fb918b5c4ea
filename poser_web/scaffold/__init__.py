"""`poser scaffold`: a new table's model, master view and tests, written from a short spec.

spec.py reads the spec (its grammar is in GRAMMAR), project.py reads the
target checkout (its table packages), render.py fills the templates in
templates/. The command itself is poser_web/cli/scaffold.py.
"""
