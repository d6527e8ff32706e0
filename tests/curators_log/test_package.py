"""One package, one interface: what bot.curators_log exports, and the one guard that keeps a recorder from raising."""

from __future__ import annotations

import inspect
import logging

import pytest

import bot.curators_log as curators_log
from bot.curators_log import (
    UNAVAILABLE,
    DatabaseRecorder,
    NullRecorder,
    Recorder,
    SafeRecorder,
    StorageError,
    open_recorder,
)
from bot.errors import PhysioCareerError
from tests.curators_log.helpers import make_reply

MEMBER = "U0PRIV0001"
QUESTION = "my manager Sarah Jones said jo.bloggs@nhs.net can't be re-banded"


def protocol_methods() -> list[str]:
    return [name for name in vars(Recorder) if not name.startswith("_") and callable(getattr(Recorder, name))]


def test_the_package_exports_one_interface():
    for name in (
        "open_recorder",
        "open_store",
        "check_database_url",
        "Recorder",
        "NullRecorder",
        "SafeRecorder",
        "StorageError",
        "hash_user",
    ):
        assert name in curators_log.__all__ and hasattr(curators_log, name), name
    assert issubclass(StorageError, PhysioCareerError)
    assert StorageError("x", transient=False).transient is False


@pytest.mark.parametrize("implementation", [DatabaseRecorder, NullRecorder, SafeRecorder])
def test_every_recorder_has_every_method_of_the_interface_with_its_signature(implementation):
    assert len(protocol_methods()) == 14
    for name in protocol_methods():
        expected = inspect.signature(getattr(Recorder, name))
        actual = inspect.signature(getattr(implementation, name))
        assert [(p.name, p.kind, p.default) for p in actual.parameters.values()] == [
            (p.name, p.kind, p.default) for p in expected.parameters.values()
        ], name


class Exploding:
    """A recorder of someone else's that fails with a member's words in its message."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ValueError(f"cannot store {QUESTION!r} for {MEMBER}")

        return fail


def test_the_guard_answers_safely_and_logs_no_member_data(caplog):
    caplog.set_level(logging.DEBUG)
    safe = SafeRecorder(Exploding())
    assert safe.record_question("dm", QUESTION, make_reply("answer", "band-4"), user_id=MEMBER) is None
    assert safe.record_feedback("r", "band-4", False, user_id=MEMBER) is None
    assert safe.record_choice("r", "band-4", user_id=MEMBER) is None
    assert safe.record_flag("r", "band-4", user_id=MEMBER) is None
    assert safe.claim_event("Ev1") is True  # fails open: a rare duplicate beats no answer
    assert safe.member_nation(MEMBER) is None
    assert safe.set_member_nation(MEMBER, "wales") is None
    assert safe.get_context("D0CONV") is None
    assert safe.put_context("D0CONV", {"entry": "band-4"}) is None
    assert safe.report_text() == UNAVAILABLE
    assert safe.flush() is False
    assert safe.close() is None
    assert caplog.records, "the failure is logged"
    assert "ValueError" in caplog.text  # the error's class, and where it was raised ...
    for secret in (MEMBER, "Sarah", "jo.bloggs", "re-banded"):
        assert secret not in caplog.text  # ... never its message


def test_a_recorder_missing_new_methods_still_works_behind_the_guard():
    class Old:  # a recorder written before flags, nations and contexts existed
        def record_question(self, surface, question, reply, *, user_id=None, nation=None, guard=None):
            return "q1"

    safe = SafeRecorder(Old())  # type: ignore[arg-type]
    assert safe.record_question("dm", "band 5", make_reply("answer", "band-5")) == "q1"
    assert safe.record_flag("q1", "band-5") is None
    assert safe.member_nation("U1") is None


def test_the_database_recorder_never_raises_on_a_bad_reply(make_settings, recorders):
    recorder = recorders(make_settings())
    assert recorder.record_question("dm", "band 5", object()) is None  # not a reply at all
    assert recorder.record_question("dm", "band 5", make_reply("answer", "band-5")) is not None
    assert recorder.flush()


def test_a_url_that_can_never_work_gives_a_null_recorder_that_says_why(caplog):
    class Broken:
        database_url = "mysql://db.example.com/log"
        log_questions = True
        retention_days = 180
        hash_key = "k"

    recorder = open_recorder(Broken())
    assert isinstance(recorder, NullRecorder)
    assert recorder.report_text().startswith("The report is not available: DATABASE_URL must start with")
    assert recorder.claim_event("Ev1") is True and recorder.claim_event("Ev1") is False
    recorder.set_member_nation("U1", "scotland")
    assert recorder.member_nation("U1") == "scotland"  # this process's memory
    assert "DATABASE_URL" in caplog.text
