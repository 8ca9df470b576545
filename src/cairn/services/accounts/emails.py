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
    "SIGN_IN_SUBJECT",
    "said",
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

SIGN_IN_SUBJECT = "Your Cairn sign-in link"

_POLISH: dict[str, str] = {
    SIGN_IN_SUBJECT: "Twój link do logowania w Cairn",
    SIGN_IN_BODY: (
        "Dzień dobry,\n\nkliknij ten link, aby zalogować się do Cairn:\n\n{link}\n\nDziała jeden raz, przez "
        "{minutes} min. Jeśli nie prosiłeś(-aś) o logowanie, zignoruj tę wiadomość."
    ),
    CONFIRM_SUBJECT: "Dokończ zakładanie konta w Cairn",
    CONFIRM_BODY: (
        "Dzień dobry,\n\nktoś poprosił o założenie konta w Cairn z tym adresem e-mail. Jeśli to Ty, kliknij ten "
        "link, aby dokończyć zakładanie konta:\n\n{link}\n\nDziała jeden raz, przez {hours} godz.; wcześniejszy "
        "link tego rodzaju już nie działa. Dopóki link nie zostanie użyty, nikt nie zaloguje się wybranym "
        "hasłem.\n\nJeśli to nie Ty prosiłeś(-aś) o to przed chwilą, nie używaj linku i zignoruj tę wiadomość. "
        "Aby samemu korzystać z Cairn z tym adresem, poproś o link do logowania na stronie {public}/sign-in."
    ),
    ALREADY_SUBJECT: "Masz już konto w Cairn",
    ALREADY_BODY: (
        "Dzień dobry,\n\nktoś poprosił o założenie konta w Cairn z tym adresem e-mail, ale konto z tym adresem "
        "już istnieje i nic się w nim nie zmieniło. Aby zalogować się bez hasła, kliknij ten link:\n\n{link}\n\n"
        "Działa jeden raz, przez {minutes} min. Możesz też zalogować się hasłem na stronie {public}/sign-in.\n\n"
        "Jeśli to nie Ty prosiłeś(-aś) o to, zignoruj tę wiadomość."
    ),
    CHANGED_SUBJECT: "Hasło do Twojego konta w Cairn zostało zmienione",
    CHANGED_BODY: (
        "Dzień dobry,\n\nhasło do Twojego konta w Cairn ({email}) zostało przed chwilą {what}, a wszędzie, gdzie "
        "konto było zalogowane, nastąpiło wylogowanie.\n\nJeśli to Ty, nic więcej nie trzeba robić. Jeśli nie, "
        "poproś o link do logowania na stronie {public}/sign-in i od razu zmień hasło na stronie swojego konta."
    ),
    "changed": "zmienione",
    "set": "ustawione",
}

_LANGUAGES = {"en": {}, "pl": _POLISH}


def said(text: str, language: str) -> str:
    """``text`` (one of this module's subjects, bodies or words) in ``language`` where it is written in it; the
    English otherwise. The outbox keeps the text as sent, so the language is chosen when the email is queued:
    the language of the page the person asked from."""
    return _LANGUAGES.get(language, {}).get(text, text)
