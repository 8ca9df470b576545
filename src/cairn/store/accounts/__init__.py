"""Accounts, sessions, sign-in links, memberships and API tokens."""
