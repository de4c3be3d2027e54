from datetime import UTC, date, datetime, timedelta

import pytest

from cumthidua.dates import DateError, format_date, isoformat, parse_date, time_zone

VN = time_zone("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    "text",
    [
        "14/07/2020 - 04:29 PM",
        "14/07/2020 16:29",
        "2020-07-14T16:29:00+07:00",
        "2020-07-14T16:29:00",
        "2020-07-14 16:29",
        "2020-07-14T09:29:00Z",
        "14/7/2020 - 4:29 pm",
    ],
)
def test_accepted_forms_all_mean_the_same_moment(text):
    assert parse_date(text, VN) == datetime(2020, 7, 14, 16, 29, tzinfo=VN)


def test_naive_dates_are_in_the_site_time_zone_not_utc():
    parsed = parse_date("14/07/2020 16:29", VN)
    assert parsed.utcoffset() == timedelta(hours=7)
    other = parse_date("14/07/2020 16:29", time_zone("Europe/Paris"))
    assert other.utcoffset() == timedelta(hours=2)


def test_yaml_date_objects():
    assert parse_date(date(2020, 7, 14), VN) == datetime(2020, 7, 14, tzinfo=VN)
    aware = datetime(2020, 7, 14, 9, 29, tzinfo=UTC)
    assert parse_date(aware, VN) == aware


def test_midnight_and_noon_in_twelve_hour_form():
    assert parse_date("01/01/2021 - 12:05 AM", VN).hour == 0
    assert parse_date("01/01/2021 - 12:05 PM", VN).hour == 12


@pytest.mark.parametrize("bad", ["31/02/2020", "hôm qua", "13/13/2020", "14/07/2020 - 13:00 PM", "", 42])
def test_bad_dates_raise_a_readable_error(bad):
    with pytest.raises(DateError):
        parse_date(bad, VN)


def test_default_display_is_the_old_portal_format():
    moment = datetime(2020, 7, 14, 16, 29, tzinfo=VN)
    assert format_date(moment) == "14/07/2020 - 04:29 PM"
    assert format_date(moment, "%d/%m/%Y") == "14/07/2020"
    assert isoformat(moment) == "2020-07-14T16:29:00+07:00"


def test_unknown_time_zone():
    with pytest.raises(DateError):
        time_zone("Mars/Olympus")
