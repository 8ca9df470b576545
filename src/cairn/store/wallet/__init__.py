"""The wallet's repositories: wallets, held credentials, collections, share links and profiles."""
