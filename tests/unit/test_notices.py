"""Who sent a digest's files, in words (files/mail/notices.py)."""

import pytest

from files.mail.notices import Arrived, senders


@pytest.mark.parametrize(
    ("names", "words"),
    [
        (["Bea", "Bea"], "Bea"),
        (["", ""], "someone"),
        (["Bea", "Carl"], "Bea and Carl"),
        (["Bea", "", "Carl", "Bea"], "Bea, Carl and someone"),
    ],
)
def test_senders_are_named_once_each_and_the_nameless_are_someone(names, words):
    assert senders([Arrived(name="f", size=1, sender=name) for name in names]) == words
