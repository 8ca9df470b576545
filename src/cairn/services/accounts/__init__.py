"""Accounts and access: sign-in, sessions and sign-up (``service``), roles and the shared records
(``access``), members (``members``), API tokens (``tokens``) and the emails sent (``emails``)."""
