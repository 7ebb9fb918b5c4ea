"""Who may do what: the security policy and CSRF, server-side sessions, passwords, login
throttling, permissions and the account rules."""
