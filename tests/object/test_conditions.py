"""Ranges and conditions as Swift's object server reads them (swob's rules)."""

import email.utils

from minicloud.object import conditions
from minicloud.object.conditions import parse_range, precondition_status, ranges_for_length

ETAG = "d41d8cd98f00b204e9800998ecf8427e"
TS = "0000001000.50000"  # Last-Modified: second 1001


def test_ranges_single_suffix_open_and_clipped():
    assert ranges_for_length(parse_range("bytes=0-4"), 10) == [(0, 5)]
    assert ranges_for_length(parse_range("bytes=-3"), 10) == [(7, 10)]
    assert ranges_for_length(parse_range("bytes=-30"), 10) == [(0, 10)]
    assert ranges_for_length(parse_range("bytes=4-"), 10) == [(4, 10)]
    assert ranges_for_length(parse_range("bytes=8-100"), 10) == [(8, 10)]
    assert ranges_for_length(parse_range("bytes=0-1, 5-6"), 10) == [(0, 2), (5, 7)]


def test_unsatisfiable_and_egregious_ranges_are_empty():
    assert ranges_for_length(parse_range("bytes=10-"), 10) == []
    assert ranges_for_length(parse_range("bytes=-0"), 10) == []
    assert ranges_for_length(parse_range("bytes=0-5,1-6,2-7"), 10) == []  # 3 overlaps
    many = ",".join(f"{i}-{i}" for i in range(51))
    assert ranges_for_length(parse_range("bytes=" + many), 100) == []
    backwards = ",".join(f"{i}-{i}" for i in range(8, 0, -1))
    assert ranges_for_length(parse_range("bytes=" + backwards), 100) == []


def test_ranges_that_do_not_parse_are_ignored():
    for bad in (None, "", "bytes=5-3", "bytes=-", "bytes=4", "bytes=a-b", "items=0-1",
                "bytes=--0"):
        assert parse_range(bad) is None, bad


def test_multipart_body_size_matches_what_it_yields():
    data = b"0123456789"
    size, chunks = conditions.multipart([(0, 2), (5, 7)], "text/plain", 10, "b0und",
                                        lambda a, b: iter([data[a:b]]))
    body = b"".join(chunks)
    assert len(body) == size
    assert body.startswith(b"--b0und\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10")
    assert body.endswith(b"\r\n--b0und--") and b"\r\n\r\n56\r\n" in body


def date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def check(**headers):
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return precondition_status(named, ETAG, TS)


def test_etag_conditions():
    assert check(If_None_Match=f'"{ETAG}"') == 304
    assert check(If_None_Match="*") == 304
    assert check(If_None_Match="other") is None
    assert check(If_Match=ETAG) is None
    assert check(If_Match="*") is None
    assert check(If_Match="other, another") == 412
    assert check(If_None_Match=ETAG, If_Match="other") == 304  # If-None-Match first


def test_date_conditions_compare_whole_seconds_rounded_up():
    assert check(If_Modified_Since=date(1001)) == 304
    assert check(If_Modified_Since=date(1000)) is None
    assert check(If_Unmodified_Since=date(1000)) == 412
    assert check(If_Unmodified_Since=date(1001)) is None
    assert check(If_Modified_Since="not a date") is None
