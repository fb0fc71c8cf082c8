"""Fixed vectors for the one canonical encoding: if one of these changes,
every run id and recipe hash changes with it."""

import math

import pytest

from engine.canonical import canonical_bytes, hash_object, is_content_hash, sha3_hex


def test_empty_bytes_hash_to_the_published_sha3_256_vector():
    assert sha3_hex(b"") == "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"


def test_keys_are_sorted_and_there_is_no_whitespace():
    assert canonical_bytes({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'


def test_integral_floats_encode_like_integers():
    assert canonical_bytes({"v": 1.0}) == canonical_bytes({"v": 1}) == b'{"v":1}'
    assert canonical_bytes(0.5) == b"0.5"


def test_non_ascii_is_written_as_utf8_not_escaped():
    assert canonical_bytes("chat noir é") == '"chat noir é"'.encode("utf-8")


def test_fixed_object_hash_vector():
    assert hash_object({"recipe": "dog", "inputs": ["a", "b"]}) == sha3_hex(
        b'{"inputs":["a","b"],"recipe":"dog"}')


def test_order_of_list_items_changes_the_hash():
    assert hash_object(["a", "b"]) != hash_object(["b", "a"])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, {1: "x"}, {"s": {1, 2}}, b"x"])
def test_values_without_a_canonical_form_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        canonical_bytes(bad)


@pytest.mark.parametrize("text,ok", [("a" * 64, True), ("A" * 64, False), ("a" * 63, False),
                                     ("g" * 64, False), (None, False)])
def test_content_hash_shape(text, ok):
    assert is_content_hash(text) is ok
