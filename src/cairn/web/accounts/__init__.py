"""Sign-in, sign-up confirmation, the account page, members and API tokens."""
