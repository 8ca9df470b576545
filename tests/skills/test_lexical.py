"""The analyser and the label BM25 index."""

from __future__ import annotations

import numpy as np

from cairn.skills.lexical import Bm25Index, analyse


def test_analyse_stems_drops_function_words_and_keeps_symbols() -> None:
    assert analyse("Managing the teams of C++ and C# developers") == ["manag", "team", "c++", "c#", "develop"]
    assert analyse("") == []


def test_bm25_scores_labels_and_takes_each_concepts_best_label() -> None:
    index = Bm25Index.build([["manage staff", "lead employees"], ["bake bread"], ["manage a bakery"]])
    best, coverage, per_label = index.scores(analyse("we need someone to lead employees"))
    assert per_label.shape == (4,)
    assert best[0] > 0
    assert best[1] == 0
    assert best[2] == 0
    assert coverage.tolist() == [1.0, 0.0, 0.0]
    weighted, coverage, _ = index.scores(analyse("lead employees"), np.array([1, 0.5, 1, 1], np.float32))
    assert weighted[0] == np.float32(best[0] * 0.5)
    assert coverage[0] == 0.5
    assert index.scores(analyse("manage"))[0].argmax() == 0


def test_bm25_round_trips_through_arrays() -> None:
    index = Bm25Index.build([["manage staff"], ["bake bread", "make bread"]])
    terms = sorted(index.vocabulary, key=index.vocabulary.__getitem__)
    again = Bm25Index.from_arrays(terms, index.arrays())
    query = analyse("bread staff")
    assert np.array_equal(index.scores(query)[0], again.scores(query)[0])


def test_a_query_drops_the_function_words_of_its_own_language() -> None:
    from cairn.skills.lexical import analyse_query

    assert "die" not in analyse_query("Die Lernenden installieren Photovoltaikanlagen und Wärmepumpen")
    assert "la" not in analyse_query("El alumno gestiona la base de datos")
    assert "i" not in analyse_query("Pisze programy w języku Python i analizuje dane")
    # English text keeps its words: "die" is a tool here, and English function words outnumber German ones
    assert "die" in analyse_query("Operates the die-casting machine in the foundry")
    assert analyse_query("Writes SQL queries") == analyse("Writes SQL queries")
