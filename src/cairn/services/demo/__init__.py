"""The demo instance ``cairn serve --demo`` sets up: catalogue, accounts, token, learner, ESCO extract."""
