"""Sikker By counts closures due to unrest only: the clean step leaves out closures for other reasons and says so
(hand-made logs, counted by hand)."""

import pandas as pd

from tryghed.clean import is_unrest, unrest_closures


def test_reasons_that_name_unrest():
    reasons = pd.Series(["Uro og utryghed i området", "Skudepisode i nærområdet", "Trusler mod personale",
                         "Konflikt mellem grupperinger", "Hærværk og brandstiftelse", "Threats to staff",
                         "Vandskade", "Europa-besøg", "Brandalarm", "Personalemangel", None, ""])
    assert is_unrest(reasons).tolist() == [True] * 6 + [False] * 4 + [pd.NA, pd.NA]


def test_closures_for_other_reasons_are_left_out_and_logged():
    log = pd.DataFrame({"institution": ["A", "B", "C", "D"], "days": [5, 7, 2, 4],
                        "reason": ["Uro i området", "Vandskade", "", "Skudepisode"]})
    kept, entries = unrest_closures(log, "closures")
    # A and D are unrest; C gives no reason (kept, said so); B is a water leak (left out): 5 + 2 + 4 = 11 days
    assert kept["institution"].tolist() == ["A", "C", "D"] and kept["days"].sum() == 11
    assert entries[0]["dropped"] == 1 and "Vandskade" in entries[0]["why"]
    assert entries[1]["why"].startswith("1 closure(s) without a reason: counted")


def test_a_log_without_reasons_counts_every_closure():
    log = pd.DataFrame({"institution": ["A", "B"], "days": [5, 7]})
    kept, entries = unrest_closures(log, "closures")
    assert kept.equals(log) and entries == []
