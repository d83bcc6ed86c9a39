"""The publish step's last guard: no column named like personal data, no email value."""

from __future__ import annotations

import duckdb
import pytest

from ochre_analytics.publish import PublishError, check_no_personal_data


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        "create table summary as select * from (values "
        "('w1', 'c1', 'a1', 'handed_off', 1), "
        "('w1', 'c2', 'a1,a2', 'ai_handled', 2), "
        "('w1', 'c3', 'x@y', null, 3)) t(workspace_id, conversation_id, agents, handling, day)"
    )
    yield con
    con.close()


def test_clean_tables_pass(con) -> None:
    # "x@y" holds an "@" but is no address
    check_no_personal_data(con, ["summary"])


def test_an_email_value_is_refused_with_its_column_and_count(con) -> None:
    con.execute(
        "update summary set handling = 'ann@example.com', agents = 'bo@example.org' "
        "where day >= 2"
    )
    with pytest.raises(PublishError) as caught:
        check_no_personal_data(con, ["summary"])
    assert str(caught.value) == (
        "refusing to publish personal data: summary.agents holds 2 email address(es)"
    )
    # only the rows the filter keeps are scanned (a history table's new as-of date)
    check_no_personal_data(con, ["summary"], value_filters={"summary": ("day < ?", [2])})
    with pytest.raises(PublishError, match=r"summary.agents holds 1 email"):
        check_no_personal_data(con, ["summary"], value_filters={"summary": ("day = ?", [3])})


def test_a_column_named_like_personal_data_is_refused(con) -> None:
    con.execute("alter table summary add column phone_number integer")
    with pytest.raises(PublishError) as caught:
        check_no_personal_data(con, ["summary"])
    assert str(caught.value) == "refusing to publish personal data: summary.phone_number"
