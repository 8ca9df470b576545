"""Endorsements: an organisation says, in a signed credential, that it co-created or values an achievement."""
