"""The adapter shipped for the default encoder: readable, trained (not the identity), with its floor."""

from __future__ import annotations

import numpy as np

from cairn.skills.adapter import shipped_adapter, shipped_fingerprint


def test_the_shipped_use_adapter_is_readable() -> None:
    found = shipped_adapter("use-multilingual-v3")
    assert found is not None
    assert found.dim == 512
    assert found.encoder_name == "use-multilingual-v3"
    assert found.ranking is not None
    assert found.ranking.floor is not None
    assert found.meta["seed"] == 0
    assert (found.meta["soup"], found.description_weight, found.description_template) == (4, 0.25, 0.8)
    assert not np.allclose(found.query, np.eye(512))
    assert shipped_fingerprint("use-multilingual-v3") == found.fingerprint
    assert shipped_adapter(None) is None
