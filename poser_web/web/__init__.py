"""Web plumbing every page shares: templates, static assets, compression, the request log,
the input guard, allowed host names and the navbar."""
