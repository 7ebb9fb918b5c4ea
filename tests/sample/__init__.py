"""A test-only table with every ordinary column type, declared as a Poser developer would.

It lives in its own MetaData (created by the `sample_tables` fixture after the
migrations ran), so `alembic check` never sees it; the app serves its pages
through the `poser.includes` setting, as an out-of-tree package would.
"""
