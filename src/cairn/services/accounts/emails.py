"""The emails the account service sends: sign-in links, sign-up confirmations, password changes.

Plain text; the service fills the placeholders (``{link}``, ``{email}``, ...); links in them are single-use
and expire.
"""

from __future__ import annotations

__all__ = [
    "ALREADY_BODY",
    "ALREADY_SUBJECT",
    "CHANGED_BODY",
    "CHANGED_SUBJECT",
    "CONFIRM_BODY",
    "CONFIRM_SUBJECT",
    "SIGN_IN_BODY",
]

SIGN_IN_BODY = (
    "Hello,\n\nfollow this link to sign in to Cairn:\n\n{link}\n\nIt works once, within {minutes} minutes. "
    "If you did not ask to sign in, ignore this email."
)

CONFIRM_SUBJECT = "Finish creating your Cairn account"

CONFIRM_BODY = (
    "Hello,\n\nsomeone asked to create a Cairn account with this email address. If it was you, follow this "
    "link to finish creating it:\n\n{link}\n\nIt works once, within {hours} hours; an earlier link of this kind "
    "no longer works. Until the link is used, nobody can sign in with the password that was chosen.\n\n"
    "If you did not ask for this just now, do not use the link and ignore this email. To use Cairn with this "
    "address yourself, ask for a sign-in link at {public}/sign-in instead."
)

ALREADY_SUBJECT = "You already have a Cairn account"

ALREADY_BODY = (
    "Hello,\n\nsomeone asked to create a Cairn account with this email address, but it already has one, which "
    "has not changed. To sign in without your password, follow this link:\n\n{link}\n\nIt works once, "
    "within {minutes} minutes. You can also sign in with your password at {public}/sign-in.\n\n"
    "If you did not ask for this, ignore this email."
)

CHANGED_SUBJECT = "Your Cairn password was changed"

CHANGED_BODY = (
    "Hello,\n\nthe password of your Cairn account ({email}) was {what} just now, and every other place where "
    "the account was signed in has been signed out.\n\nIf it was you, there is nothing more to do. If it was "
    "not, ask for a sign-in link at {public}/sign-in and change the password at once on your account page."
)
