"""Dates and datetimes as FiftyOne stores and returns them (issue #15), on both databases.

Every expected value below is FiftyOne 1.22's answer to the same calls, pinned as a literal:
datetimes are UTC instants to the millisecond (a naive one is taken to be UTC), read back
naive in UTC or aware in ``config.timezone``; ``date`` values live in a ``DateField`` and read
back as dates; both compare with date and datetime operands as that day's midnight UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import bakeoff as fo
from bakeoff import ViewField as F
from bakeoff._config import Config
from bakeoff.errors import FieldTypeError, UnknownTimezoneError

EASTERN = ZoneInfo("US/Eastern")
#: 1970-01-01 00:00 UTC, written as US/Eastern wall-clock time
EPOCH_IN_EASTERN = datetime(1970, 1, 1, tzinfo=UTC).astimezone(EASTERN)


@pytest.fixture(autouse=True)
def naive_utc():
    """Each test starts (and leaves bakeoff) with the default: naive UTC datetimes."""
    fo.config.timezone = None
    yield
    fo.config.timezone = None


@pytest.fixture
def dataset():
    """a: epoch given in US/Eastern; b: a naive datetime with microseconds; c: neither field."""
    ds = fo.Dataset("dates")
    ds.add_samples([
        fo.Sample("/img/a.jpg", dt=EPOCH_IN_EASTERN, d=date(2020, 1, 2)),
        fo.Sample("/img/b.jpg", dt=datetime(2021, 1, 1, 12, 0, 0, 123456), d=date(2021, 3, 4)),
        fo.Sample("/img/c.jpg"),
    ])
    return ds


def names(view) -> list[str]:
    return [p.rsplit("/", 1)[-1] for p in view.values("filepath")]


# -- storage: the instant, the precision, the field types ------------------------------------


def test_fields_are_inferred_as_in_fiftyone(dataset):
    schema = dataset.get_field_schema()
    assert type(schema["dt"]) is fo.DateTimeField
    assert type(schema["d"]) is fo.DateField
    assert type(schema["created_at"]) is fo.DateTimeField


def test_an_aware_datetime_is_stored_as_its_utc_instant(dataset):
    # FiftyOne: [datetime(1970, 1, 1, 0, 0), datetime(2021, 1, 1, 12, 0, 0, 123000), None]
    assert dataset.values("dt") == [datetime(1970, 1, 1), datetime(2021, 1, 1, 12, 0, 0, 123000), None]
    assert all(v is None or v.tzinfo is None for v in dataset.values("dt"))


def test_datetimes_keep_milliseconds_as_mongodb_does(dataset):
    stored = dataset.values("dt")[1]
    assert stored.microsecond == 123000
    # a literal is cut the same way: == the microsecond value matches, > it does not (FiftyOne: ['b'], [])
    assert names(dataset.match(F("dt") == datetime(2021, 1, 1, 12, 0, 0, 123456))) == ["b.jpg"]
    assert names(dataset.match(F("dt") > datetime(2021, 1, 1, 12, 0, 0, 123456))) == []


def test_dates_read_back_as_dates(dataset):
    assert dataset.values("d") == [date(2020, 1, 2), date(2021, 3, 4), None]
    assert all(type(v) is date for v in dataset.values("d") if v is not None)


def test_values_written_by_set_values_read_back_from_the_database():
    ds = fo.Dataset("set-values")
    ds.add_samples([fo.Sample("/img/a.jpg"), fo.Sample("/img/b.jpg")])
    ds.set_values("dt", [datetime(2020, 1, 1, tzinfo=EASTERN), None])
    ds.set_values("d", [date(2020, 1, 1), None])
    assert ds.values("dt") == [datetime(2020, 1, 1, 5, 0), None]  # FiftyOne's answer
    assert [s.dt for s in ds] == [datetime(2020, 1, 1, 5, 0), None]
    assert [s.d for s in ds] == [date(2020, 1, 1), None]


def test_a_naive_datetime_is_taken_to_be_utc(dataset):
    fo.config.timezone = "US/Eastern"
    # FiftyOne: datetime(2021, 1, 1, 7, 0, 0, 123000, tzinfo=<US/Eastern EST>)
    value = dataset.values("dt")[1]
    assert value == datetime(2021, 1, 1, 7, 0, 0, 123000, tzinfo=EASTERN)
    assert (value.hour, value.utcoffset()) == (7, timedelta(hours=-5))


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [date(2020, 5, 5), "2020-01-01", 5])
def test_a_datetime_field_refuses_what_is_not_a_datetime(dataset, value):
    # FiftyOne: ValidationError "Datetime fields must have `datetime` values"
    sample = dataset.first()
    with pytest.raises(FieldTypeError) as raised:
        sample["dt"] = value
        sample.save()
    assert isinstance(raised.value, TypeError)
    assert dataset.values("dt")[0] == datetime(1970, 1, 1)


def test_a_date_field_refuses_a_string(dataset):
    sample = dataset.first()
    with pytest.raises(FieldTypeError):
        sample["d"] = "2020-01-01"
        sample.save()


@pytest.mark.parametrize("value", [datetime(2020, 5, 5, 13), datetime(2020, 5, 5, 22, tzinfo=EASTERN),
                                   datetime(2020, 5, 5, 0, tzinfo=EASTERN)])
def test_a_datetime_in_a_date_field_keeps_its_calendar_date(dataset, value):
    sample = dataset.first()
    sample["d"] = value
    sample.save()
    # FiftyOne: [date(2020, 5, 5), date(2021, 3, 4), None] for all three; stored at midnight
    assert dataset.values("d") == [date(2020, 5, 5), date(2021, 3, 4), None]
    assert dataset.match(F("d") == date(2020, 5, 5)).count() == 1
    assert dataset.match(F("d") == datetime(2020, 5, 5, 13)).count() == 0


def test_a_date_field_can_be_declared():
    ds = fo.Dataset("declared")
    ds.add_sample_field("when", fo.DateField)
    assert type(ds.get_field("when")) is fo.DateField
    ds.add_sample(fo.Sample("/img/a.jpg", when=date(2024, 2, 29)))
    assert ds.values("when") == [date(2024, 2, 29)]


# -- matching and sorting ----------------------------------------------------------------------


@pytest.mark.parametrize(("expr", "expected"), [
    # aware operands compare as instants: 1969-12-31 20:00 EST is 1970-01-01 01:00 UTC
    (F("dt") > datetime(1969, 12, 31, 20, 0, tzinfo=EASTERN), ["b.jpg"]),
    (F("dt") == datetime(1970, 1, 1, tzinfo=UTC), ["a.jpg"]),
    # naive operands are UTC
    (F("dt") >= datetime(1970, 1, 1), ["a.jpg", "b.jpg"]),
    (F("dt") > datetime(1970, 1, 1, 0, 0, 1), ["b.jpg"]),
    (F("dt") == datetime(1970, 1, 1), ["a.jpg"]),
    # date operands are midnight UTC, on both field types
    (F("dt") > date(2000, 6, 1), ["b.jpg"]),
    (F("d") > date(2020, 6, 1), ["b.jpg"]),
    (F("d") == date(2020, 1, 2), ["a.jpg"]),
    (F("d") > datetime(2020, 6, 1), ["b.jpg"]),
    (F("d") == datetime(2020, 1, 2), ["a.jpg"]),
    (F("d") > datetime(2020, 1, 2, 12), ["b.jpg"]),
    (F("d") >= datetime(2020, 1, 2, 20, tzinfo=EASTERN), ["b.jpg"]),
    (F("d").is_in([date(2020, 1, 2)]), ["a.jpg"]),
    (F("dt").is_in([datetime(1970, 1, 1)]), ["a.jpg"]),
    (F("dt").is_in([datetime(1969, 12, 31, 19, tzinfo=EASTERN), date(1999, 1, 1)]), ["a.jpg"]),
    (F("dt") != datetime(1970, 1, 1), ["b.jpg", "c.jpg"]),
])
def test_match_compares_instants_as_fiftyone(dataset, expr, expected):
    assert names(dataset.match(expr)) == expected


def test_dates_compare_as_midnight_utc_against_an_aware_bound():
    # FiftyOne: F("d") >= 2020-01-02 20:00 EST (= 01-03 01:00 UTC) matches neither 01-02 nor 01-03
    ds = fo.Dataset("midnight")
    ds.add_samples([fo.Sample("/img/a.jpg", d=date(2020, 1, 2)), fo.Sample("/img/b.jpg", d=date(2020, 1, 3))])
    assert names(ds.match(F("d") >= datetime(2020, 1, 2, 20, tzinfo=EASTERN))) == []


def test_sorting_by_datetimes_and_dates(dataset):
    # FiftyOne: missing values sort first
    assert names(dataset.sort_by("dt")) == ["c.jpg", "a.jpg", "b.jpg"]
    assert names(dataset.sort_by("dt", reverse=True)) == ["b.jpg", "a.jpg", "c.jpg"]
    assert names(dataset.sort_by("d")) == ["c.jpg", "a.jpg", "b.jpg"]


def test_a_view_with_datetime_literals_survives_json(dataset):
    view = dataset.match((F("dt") > datetime(1969, 12, 31, 20, tzinfo=EASTERN)) | (F("d") == date(2020, 1, 2)))
    again = fo.DatasetView.from_json(view.to_json(), dataset)
    assert again == view
    assert names(again) == ["a.jpg", "b.jpg"]


# -- aggregations return Python dates and datetimes ----------------------------------------------


def test_aggregations_on_datetimes(dataset):
    epoch, later = datetime(1970, 1, 1), datetime(2021, 1, 1, 12, 0, 0, 123000)
    assert dataset.bounds("dt") == (epoch, later)
    assert dataset.distinct("dt") == [epoch, later]
    assert dataset.count_values("dt") == {epoch: 1, later: 1, None: 1}


def test_aggregations_on_dates(dataset):
    assert dataset.bounds("d") == (date(2020, 1, 2), date(2021, 3, 4))
    assert dataset.distinct("d") == [date(2020, 1, 2), date(2021, 3, 4)]
    assert dataset.count_values("d") == {date(2020, 1, 2): 1, date(2021, 3, 4): 1, None: 1}
    assert all(type(v) is date for v in dataset.distinct("d"))


# -- config.timezone ------------------------------------------------------------------------------


def test_a_timezone_makes_every_read_aware_in_that_zone(dataset):
    fo.config.timezone = "US/Eastern"
    # FiftyOne: datetime(1969, 12, 31, 19, 0, tzinfo=<US/Eastern EST>) ...
    first, second = datetime(1969, 12, 31, 19, tzinfo=EASTERN), datetime(2021, 1, 1, 7, 0, 0, 123000, tzinfo=EASTERN)
    values = dataset.values("dt")
    assert values == [first, second, None]
    assert [v.utcoffset() for v in values[:2]] == [timedelta(hours=-5)] * 2
    assert (values[0].year, values[0].hour) == (1969, 19)
    assert dataset.bounds("dt") == (first, second)
    assert dataset.distinct("dt") == [first, second]
    assert dataset.count_values("dt") == {first: 1, second: 1, None: 1}
    assert [s.dt for s in dataset.select_fields("dt")][0].utcoffset() == timedelta(hours=-5)
    # dates are not shifted
    assert dataset.values("d") == [date(2020, 1, 2), date(2021, 3, 4), None]
    assert dataset.bounds("d") == (date(2020, 1, 2), date(2021, 3, 4))
    created = dataset.values("created_at")[0]
    assert created.tzinfo is not None and created.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
    assert dataset.created_at.tzinfo is not None
    # matching is unchanged by the zone things are shown in
    assert names(dataset.match(F("dt") > datetime(1970, 1, 1))) == ["b.jpg"]


@pytest.mark.parametrize(("name", "offset"), [
    ("UTC", timedelta(0)), ("utc", timedelta(0)),
    ("local", datetime(1970, 1, 1, tzinfo=UTC).astimezone().utcoffset()),
])
def test_utc_and_local_timezones(dataset, name, offset):
    fo.config.timezone = name
    value = dataset.values("dt")[0]
    assert value == datetime(1970, 1, 1, tzinfo=UTC)
    assert value.tzinfo is not None
    if name != "local":  # "local" is this machine's offset now, as in FiftyOne (not the offset of 1970)
        assert value.utcoffset() == offset


def test_an_unknown_timezone_is_a_key_error():
    # FiftyOne raises pytz.UnknownTimeZoneError, a KeyError
    with pytest.raises(UnknownTimezoneError) as raised:
        fo.config.timezone = "Not/AZone"
    assert isinstance(raised.value, KeyError)
    assert "Not/AZone" in str(raised.value)
    assert fo.config.timezone is None


def test_timezone_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("BAKEOFF_TIMEZONE", "US/Eastern")
    assert Config().timezone == "US/Eastern"
    assert Config().tzinfo() == EASTERN
    monkeypatch.setenv("BAKEOFF_TIMEZONE", "")
    assert Config().timezone is None
    monkeypatch.setenv("BAKEOFF_TIMEZONE", "Not/AZone")
    config = Config()  # a bad value fails where it is used, not at import
    with pytest.raises(UnknownTimezoneError):
        config.tzinfo()


# -- created_at / last_modified_at -----------------------------------------------------------------


def test_created_at_is_naive_utc_to_the_millisecond(dataset):
    before = datetime.now(UTC).replace(tzinfo=None)
    created, modified = dataset.values("created_at")[0], dataset.values("last_modified_at")[0]
    for value in (created, modified, dataset.created_at, dataset.last_loaded_at):
        assert value.tzinfo is None
        assert value.microsecond % 1000 == 0
        assert abs(value - before) < timedelta(minutes=5)
    sample = dataset.first()
    sample["n"] = 1
    sample.save()
    assert dataset.values("last_modified_at")[0] >= modified


def test_naive_datetimes_in_an_existing_database_read_the_same(dataset):
    # before UTC instants, bakeoff wrote naive datetimes with microseconds (created_at in UTC already):
    # they read back unchanged, no migration
    _, table = dataset._sync()
    old = sa.table(table.name, sa.column("filepath"), sa.column("dt", sa.DateTime()))
    with dataset._engine.begin() as conn:
        conn.execute(old.update().where(old.c.filepath == "/img/c.jpg").values(dt=datetime(2019, 6, 1, 8, 30, 0, 654321)))
    assert dataset.values("dt")[2] == datetime(2019, 6, 1, 8, 30, 0, 654321)
    fo.config.timezone = "UTC"
    assert dataset.values("dt")[2] == datetime(2019, 6, 1, 8, 30, 0, 654321, tzinfo=UTC)
